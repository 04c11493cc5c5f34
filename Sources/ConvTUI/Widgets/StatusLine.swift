import ConvProtocol

/// Two rows at the top: the run's state and identity (with the image files its dataset skipped),
/// then progress, speed, time and learning rate.
public struct StatusLine: Widget {
    public var run: RunModel
    /// A stop was sent and the run is saving its checkpoint.
    public var stopping: Bool
    public var theme: Theme

    public init(run: RunModel, stopping: Bool, theme: Theme) {
        self.run = run
        self.stopping = stopping
        self.theme = theme
    }

    /// The state as the badge writes it, and its role.
    public var badge: (text: String, role: Role) {
        switch run.state {
        case .starting: (" STARTING ", .starting)
        case .running where stopping, .paused where stopping: (" STOPPING ", .paused)
        case .running: (" RUNNING ", .running)
        case .paused: (" PAUSED ", .paused)
        case .finished: (" FINISHED ", .finished)
        case .failed: (" FAILED ", .failed)
        }
    }

    public func render(area: Rect, buffer: inout Buffer) {
        guard area.height >= 2 else { return }
        let (text, role) = badge
        let x = buffer.setString(x: area.x, y: area.y, text, style: theme[role], maxWidth: area.width)
        let identity: String
        if let s = run.summary {
            // The optimizer's description is long (momentum, decay, schedule), so it comes last and
            // is what a narrow terminal cuts; a long run name is cut to keep the threads in view.
            // Files the dataset left out are counted beside its name, early enough to survive the cut.
            let skipped =
                s.skippedFileCount == 0
                ? "" : " (\(s.skippedFileCount) file\(s.skippedFileCount == 1 ? "" : "s") skipped)"
            identity =
                "  \(Format.truncate(s.runName, 16))  \(s.datasetName)\(skipped)  \(s.modelName)"
                + " · \(Format.grouped(s.parameterCount)) params · \(s.threads) thread\(s.threads == 1 ? "" : "s")"
                + (s.worldSize > 1 ? " x \(s.worldSize) ranks" : "") + " · batch \(s.batchSize) · \(s.optimizer)"
        } else {
            identity = "  waiting for the run to start…"
        }
        buffer.setString(x: x, y: area.y, Format.truncate(identity, area.right - x), style: theme[.title])
        renderProgress(area.row(1), buffer: &buffer)
    }

    /// The step's time in collectives and its share of the step (as the throughput times it), for a
    /// run of more than one rank.
    private func communicationText(_ s: StepMetrics) -> String? {
        guard let seconds = s.communicationSeconds, let batch = run.summary?.batchSize, s.imagesPerSecond > 0 else {
            return nil
        }
        let share = min(1, seconds * s.imagesPerSecond / Double(batch))
        return String(format: "comm %.1f ms ", seconds * 1000) + Format.percent(share)
    }

    private func renderProgress(_ row: Rect, buffer: inout Buffer) {
        let s = run.latestStep
        let epochs = run.summary?.epochs ?? 0
        let left =
            "epoch \(s?.epoch ?? 0)/\(epochs)  step \(Format.grouped(s?.step ?? 0))/\(Format.grouped(run.totalSteps)) "
        var right = " " + Format.percent(run.progress)
        if let lr = run.learningRate { right += "  lr \(Format.learningRate(lr))" }
        if let s {
            right += "  \(Format.grouped(Int(s.imagesPerSecond.rounded()))) img/s  \(Format.duration(s.elapsed))"
            if let communication = communicationText(s) { right += "  " + communication }
        }
        if run.state == .running || run.state == .paused, let eta = run.secondsRemaining {
            right += " ETA \(Format.duration(eta))"
        }
        let x = buffer.setString(x: row.x, y: row.y, left, style: theme[.text], maxWidth: row.width)
        let barWidth = row.right - x - right.count
        if barWidth >= 6 {
            BlockBar(fraction: run.progress, style: theme[.progress], trackStyle: theme[.barTrack])
                .render(area: Rect(x: x, y: row.y, width: barWidth, height: 1), buffer: &buffer)
            buffer.setString(x: x + barWidth, y: row.y, right, style: theme[.text])
        } else {
            buffer.setString(x: x, y: row.y, right, style: theme[.text], maxWidth: row.right - x)
        }
    }
}
