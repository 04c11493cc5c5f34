import ConvProtocol
import Foundation
import Testing

/// The fields an image-folder run adds to the line format: each prediction's file name and the
/// count of files the dataset skipped. Both are optional keys, so lines without them still read.
@Suite struct ImageFileFieldsTests {
    /// The sample evaluation with file names on some predictions and not on others.
    private static var namedEvaluation: Evaluation {
        var evaluation = SampleEvents.evaluation
        evaluation.samples[0].fileName = "val/cat/IMG 0001.jpg"
        evaluation.misclassified[1].fileName = "val/dog/ünïcode \"quoted\".png"
        return evaluation
    }

    private func roundTrip(_ event: TrainingEvent) throws -> TrainingEvent {
        let record = MetricsRecord(time: 1, step: event.step ?? 0, event: event, includingImages: true)
        return try MetricsRecord(jsonLine: Substring(record.jsonLine())).event
    }

    private func object(_ line: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func fileNamesRoundTripWhereTheyAreAndStayAbsentElsewhere() throws {
        let evaluation = Self.namedEvaluation
        guard case .evaluation(let decoded) = try roundTrip(.evaluation(evaluation)) else {
            Issue.record("not an evaluation")
            return
        }
        #expect(decoded == evaluation)
        #expect(decoded.samples.map(\.fileName) == ["val/cat/IMG 0001.jpg", nil])
        #expect(decoded.misclassified.map(\.fileName) == [nil, "val/dog/ünïcode \"quoted\".png"])
        let result = FinalResult(step: 9, epoch: 1, seconds: 2, lastEvaluation: evaluation, checkpointPath: nil)
        #expect(try roundTrip(.finished(result)) == .finished(result))
    }

    @Test func theKeyIsFileNameAndOnlyPredictionsWithAFileHaveIt() throws {
        let line = MetricsRecord(time: 1, step: 250, event: .evaluation(Self.namedEvaluation), includingImages: true)
            .jsonLine()
        let samples = try #require(try object(line)["samples"] as? [[String: Any]])
        #expect(samples[0]["file_name"] as? String == "val/cat/IMG 0001.jpg")
        #expect(samples[1]["file_name"] == nil)
        let unnamed = MetricsRecord(
            time: 1, step: 250, event: .evaluation(SampleEvents.evaluation), includingImages: true
        ).jsonLine()
        #expect(!unnamed.contains("file_name"))
    }

    /// A line written before file names existed reads with none.
    @Test func aPredictionWithoutFileNameReadsAsNil() throws {
        guard case .evaluation(let evaluation) = try MetricsRecord(jsonLine: Substring(MalformedLine.evaluation)).event
        else {
            Issue.record("not an evaluation")
            return
        }
        #expect(evaluation.samples.count == 1 && evaluation.samples[0].fileName == nil)
        let named = MalformedLine.evaluation.replacingOccurrences(
            of: #""pixels":"AQIDBA==""#, with: #""pixels":"AQIDBA==","file_name":"test/a/1.png""#)
        guard case .evaluation(let withName) = try MetricsRecord(jsonLine: Substring(named)).event else {
            Issue.record("not an evaluation")
            return
        }
        #expect(withName.samples[0].fileName == "test/a/1.png")
    }

    @Test func theSkippedFileCountRoundTripsAndIsAbsentWhenZero() throws {
        var summary = SampleEvents.summary
        summary.skippedFileCount = 7
        let line = MetricsRecord(time: 1, step: summary.startStep, event: .started(summary)).jsonLine()
        #expect(try object(line)["skipped_files"] as? Int == 7)
        #expect(try roundTrip(.started(summary)) == .started(summary))
        let none = MetricsRecord(time: 1, step: 704, event: .started(SampleEvents.summary)).jsonLine()
        #expect(!none.contains("skipped_files"))
        guard case .started(let old) = try MetricsRecord(jsonLine: Substring(MalformedLine.started)).event else {
            Issue.record("not a started record")
            return
        }
        #expect(old.skippedFileCount == 0)
    }

    @Test(arguments: [
        (
            MalformedLine.evaluation.replacingOccurrences(of: #""pixels":"#, with: #""file_name":7,"pixels":"#),
            #"field "samples[0].file_name""#
        ),
        (
            MalformedLine.evaluation.replacingOccurrences(of: #""pixels":"#, with: #""file_name":"","pixels":"#),
            "samples: file_name is empty"
        ),
        (
            MalformedLine.started.replacingOccurrences(of: #""epochs":2"#, with: #""epochs":2,"skipped_files":-3"#),
            "skipped_files is negative"
        ),
    ])
    func aMalformedFieldIsAnError(line: String, problem: String) {
        #expect(line.contains("file_name") || line.contains("skipped_files"), "the edit matched nothing")
        let error = #expect(throws: ProtocolError.self) { try MetricsRecord(jsonLine: Substring(line)) }
        #expect(error?.description.contains(problem) == true, "\(error?.description ?? "no error")")
    }
}
