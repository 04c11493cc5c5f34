import ArgumentParser
import ConvData
import ConvProtocol
import ConvTUI
import ConvTraining
import Foundation

/// `convtop view RUN`: the dashboard of a run read back from its journal, read-only.
struct ViewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view",
        abstract: "The dashboard of a run read from its journal: finished, stopped, failed or killed.",
        discussion: """
            Charts, per-class accuracy and the confusion matrix come from the run's metrics.jsonl; a \
            running run's journal is followed as it grows. The journal keeps no images, so the sample \
            predictions and the misclassified browser come from evaluating the run's newest checkpoint \
            on its data (the dataset it trained on, or --data). Keys that would steer the run are \
            refused; q leaves. A run whose process died without ending it shows as failed.
            """)

    @Argument(help: ArgumentHelp("The run: its name under --runs-dir, or its folder.", valueName: "run"))
    var runName: String

    @OptionGroup var runs: RunsOptions

    @OptionGroup var data: DataOptions

    @Option(help: "Engine threads for evaluating the checkpoint (default: every core).")
    var threads: Int?

    @OptionGroup var dashboard: DashboardArguments

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        let folder = try runs.folder(runName)
        let journal = try JournalTail(url: folder.metricsFile)
        var history = journal.read().map(\.event)
        guard !history.isEmpty else { throw UsageError("\(folder.metricsFile.path): the journal holds no events") }
        var replayed = RunModel()
        for event in history { replayed.apply(event) }
        if folder.servingProcess() == nil && [.starting, .running, .paused].contains(replayed.state) {
            history.append(.failed("the run's process died without ending it (killed or crashed)"))
        }
        let images = TrainingChannel()
        switch try checkpointForImages(folder, lastEvaluation: replayed.evaluation) {
        case .evaluate(let checkpoint, let dataset):
            let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
            let thread = Thread {
                do {
                    images.send(.evaluation(try checkpoint.evaluate(on: dataset, threads: threadCount).evaluation))
                } catch {
                    images.send(.warning("no images: \(error)"))
                }
            }
            thread.name = "convtop-view-evaluate"
            thread.start()
        case .unavailable(let reason):
            history.append(.warning("no images: \(reason)"))
        }

        let signals = RunSignals(onHangUp: {})
        var terminal = try NCursesTerminal(colorPreference: dashboard.colorPreference)
        TerminalRescue.install()
        var unread = history
        Dashboard.run(
            terminal: &terminal, options: dashboard.options,
            link: SessionLink(
                nextEvents: {
                    defer { unread = [] }
                    return unread + journal.read().map(\.event) + images.events()
                },
                send: { _ in }, interrupted: { signals.interrupted }, detached: { signals.hungUp }),
            readOnly: true)
        terminal.close()
    }

    private enum ImageSource {
        case evaluate(TrainingCheckpoint, Dataset)
        case unavailable(String)
    }

    /// The run's newest checkpoint and its data, for the images the journal does not keep. Data
    /// named with --data or --dataset must load; the dataset the run trained on is used where it is
    /// found. A checkpoint older than the run's last evaluation would show other images than its
    /// charts, so it shows none.
    private func checkpointForImages(_ folder: RunFolder, lastEvaluation: Evaluation?) throws -> ImageSource {
        let checkpoint: TrainingCheckpoint
        do {
            checkpoint = try TrainingCheckpoint.load(fileOrRunFolder: folder.url.path).checkpoint
        } catch {
            return .unavailable("\(error)")
        }
        if let lastEvaluation, checkpoint.step < lastEvaluation.step {
            return .unavailable(
                "the checkpoint (step \(checkpoint.step)) is older than the last evaluation (step \(lastEvaluation.step))"
            )
        }
        do {
            return .evaluate(
                checkpoint, try data.load(trainedOn: checkpoint))
        } catch  where data.data == nil && data.dataset == nil {
            return .unavailable("\(error) (give the run's data with --data)")
        }
    }
}
