import ConvProtocol
import ConvTUI
import Testing

@Suite struct StatusLineTests {
    private func run(upTo step: Int, extra: [TrainingEvent] = []) -> RunModel {
        var model = RunModel()
        for event in SampleRun.events().prefix(step + 1) + extra { model.apply(event) }
        return model
    }

    private func render(_ model: RunModel, stopping: Bool = false) -> Buffer {
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 80, height: 2))
        StatusLine(run: model, stopping: stopping, theme: .color).render(area: buffer.area, buffer: &buffer)
        return buffer
    }

    @Test func identityProgressAndSpeed() {
        let buffer = render(run(upTo: 50))
        #expect(
            buffer.lines == [
                " RUNNING   demo  fashion-mnist  lenet · 61,706 params · 2 threads · batch 64 · …",
                "epoch 1/2  step 50/200 ███▌░░░░░░░░░░ 25.0%  lr 0.01  6,400 img/s  0:01 ETA 0:02",
            ])
        #expect(buffer[1, 0].style == Theme.color[.running])
    }

    @Test func pausedIsShownInItsOwnColour() {
        let buffer = render(run(upTo: 50, extra: [.paused(step: 50, reason: nil)]))
        #expect(buffer.lines[0].hasPrefix(" PAUSED   demo"))
        #expect(buffer[1, 0].style == Theme.color[.paused])
        #expect(Theme.color[.paused].background != Theme.color[.running].background)
    }

    @Test func finishedFailedAndStopping() {
        let result = FinalResult(
            step: 200, epoch: 2, seconds: 2, lastEvaluation: nil, checkpointPath: "runs/demo/final.ckpt")
        #expect(render(run(upTo: 200, extra: [.finished(result)])).lines[0].hasPrefix(" FINISHED "))
        #expect(render(run(upTo: 10, extra: [.failed("disk full")])).lines[0].hasPrefix(" FAILED "))
        #expect(render(run(upTo: 10), stopping: true).lines[0].hasPrefix(" STOPPING "))
        #expect(render(RunModel()).lines[0].hasPrefix(" STARTING   waiting for the run to start…  "))
    }

    @Test func theThreadsStayInViewAt80ColumnsWithALongNameAndOptimizer() {
        var model = RunModel()
        var summary = SampleRun.summary()
        summary.runName = "20261129-041502-a-rather-long-run-name"
        summary.optimizer = "sgd nesterov 0.9, wd 0.0005, onecycle"
        model.apply(.started(summary))
        let line = render(model).lines[0]
        #expect(line.contains(" 20261129-041502…  fashion-mnist  lenet · 61,706 params · 2 threads"), "\(line)")
        #expect(line.hasSuffix("…"))
    }

    @Test func aRunOfSeveralRanksShowsItsWorldSizeAndCommunicationTime() {
        var model = RunModel()
        var summary = SampleRun.summary()
        summary.worldSize = 2
        model.apply(.started(summary))
        var step = SampleRun.step(50, loss: 1, lr: 0.01)
        // 64 images at 6,400 img/s: a 10 ms step, of which 4 ms in the allreduce.
        step.communicationSeconds = 0.004
        model.apply(.step(step))
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 130, height: 2))
        StatusLine(run: model, stopping: false, theme: .color).render(area: buffer.area, buffer: &buffer)
        #expect(buffer.lines[0].contains("· 2 threads x 2 ranks · batch 64"), "\(buffer.lines[0])")
        #expect(buffer.lines[1].contains("6,400 img/s  0:01  comm 4.0 ms 40.0%"), "\(buffer.lines[1])")
        #expect(!render(run(upTo: 50)).lines[1].contains("comm"))
    }
}
