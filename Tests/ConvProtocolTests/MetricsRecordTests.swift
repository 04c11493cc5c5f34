import ConvProtocol
import Foundation
import Testing

@Suite struct MetricsRecordTests {
    private func line(_ record: MetricsRecord) -> Substring { Substring(record.jsonLine()) }

    private func object(_ line: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func theSamplesCoverEveryEvent() {
        #expect(Set(SampleEvents.events.map(\.journalType)).count == 22)
    }

    @Test func everyEventRoundTripsWithItsImages() throws {
        for (i, event) in SampleEvents.events.enumerated() {
            let record = MetricsRecord(
                time: 1_764_700_000.125 + Double(i), step: event.step ?? 1056, event: event,
                includingImages: true)
            #expect(try MetricsRecord(jsonLine: line(record)) == record, "\(event.journalType)")
        }
        let evaluation = MetricsRecord(
            time: 1, step: 250, event: .evaluation(SampleEvents.evaluation), includingImages: true)
        guard case .evaluation(let decoded) = try MetricsRecord(jsonLine: line(evaluation)).event else {
            Issue.record("not an evaluation")
            return
        }
        #expect(decoded.misclassified.map(\.image) == [SampleEvents.image(5), SampleEvents.image(7)])
        #expect(decoded.misclassified[1].loss == .infinity)
    }

    @Test func theJournalLeavesImagesOut() throws {
        let record = MetricsRecord(time: 1, step: 250, event: .evaluation(SampleEvents.evaluation))
        let text = record.jsonLine()
        #expect(!text.contains("pixels") && !text.contains("samples") && !text.contains("misclassified"))
        var expected = SampleEvents.evaluation
        expected.samples = []
        expected.misclassified = []
        #expect(try MetricsRecord(jsonLine: Substring(text)).event == .evaluation(expected))
    }

    @Test func everyLineIsOneObjectWithVersion1() throws {
        for event in SampleEvents.events {
            let text = MetricsRecord(time: 1, step: 2, event: event, includingImages: true).jsonLine()
            #expect(!text.contains("\n"))
            let fields = try object(text)
            #expect(fields["v"] as? Int == LineFormat.version && LineFormat.version == 1)
            #expect(fields["type"] as? String == event.journalType)
        }
    }

    @Test func imagesArePixelsInBase64WithTheirShape() throws {
        let text = MetricsRecord(time: 1, step: 250, event: .evaluation(SampleEvents.evaluation), includingImages: true)
            .jsonLine()
        let samples = try #require(try object(text)["samples"] as? [[String: Any]])
        #expect(samples[1]["shape"] as? [Int] == [3, 2, 2])
        #expect(samples[1]["pixels"] as? String == Data(SampleEvents.image(5).pixels).base64EncodedString())
        #expect(samples[1]["true_label"] as? Int == 1 && samples[1]["predicted_label"] as? Int == 2)
    }

    /// A journal written before lines had a version: its lines read as version 1.
    @Test func aLineWithoutVersionIsAnOlderJournalLine() throws {
        let old =
            #"{"type":"evaluation","time":1700000000.5,"step":100,"split":"test","epoch":1,"loss":0.5,"#
            + #""accuracy":0.75,"per_class_accuracy":[0.6666667,1],"confusion":[[2,1],[0,1]]}"#
        let record = try MetricsRecord(jsonLine: Substring(old))
        #expect(
            record
                == MetricsRecord(
                    time: 1_700_000_000.5, step: 100,
                    event: .evaluation(
                        Evaluation(
                            split: .test, epoch: 1, step: 100, loss: 0.5, accuracy: 0.75,
                            confusion: ConfusionMatrix(counts: [[2, 1], [0, 1]]),
                            samples: [], misclassified: []))))
        let step =
            #"{"type":"step","time":1,"step":5,"epoch":1,"step_in_epoch":5,"steps_per_epoch":10,"loss":0.25,"#
            + #""accuracy":0.5,"lr":0.01,"images_per_second":1234.5,"elapsed":2}"#
        guard case .step(let metrics) = try MetricsRecord(jsonLine: Substring(step)).event else {
            Issue.record("not a step")
            return
        }
        #expect(metrics.smoothedLoss == 0.25 && metrics.smoothedAccuracy == 0.5 && metrics.step == 5)
    }

    @Test func theMalformedTablesBaseLinesAreValid() throws {
        for base in [
            MalformedLine.step, MalformedLine.started, MalformedLine.evaluation, MalformedLine.startedWithModelTable,
            MalformedLine.initFrom,
            MalformedLine.sweep,
            MalformedLine.probe,
            MalformedLine.finding, MalformedLine.undone,
        ] {
            _ = try MetricsRecord(jsonLine: Substring(base))
        }
    }

    @Test(arguments: MalformedLine.events)
    func aMalformedLineIsAnError(_ malformed: MalformedLine) {
        let error = #expect(throws: ProtocolError.self) { try MetricsRecord(jsonLine: Substring(malformed.line)) }
        #expect(
            error?.description.contains(malformed.problem) == true,
            "\(malformed.name): \(error?.description ?? "no error")")
    }
}

/// A line a reader must refuse, and the words its error must contain.
struct MalformedLine: Sendable, CustomTestStringConvertible {
    var name: String
    var line: String
    var problem: String

    var testDescription: String { name }

    init(_ name: String, _ line: String, _ problem: String) {
        self.name = name
        self.line = line
        self.problem = problem
    }

    static let step =
        #"{"v":1,"type":"step","time":1000,"step":5,"epoch":1,"step_in_epoch":5,"steps_per_epoch":10,"#
        + #""loss":0.5,"accuracy":0.5,"lr":0.1,"images_per_second":100,"elapsed":2}"#
    static let started =
        #"{"v":1,"type":"started","time":1000,"step":0,"run_name":"r","run_directory":"/tmp/r","#
        + #""dataset":"fashion-mnist","model":"lenet","parameter_count":44426,"class_names":["a","b"],"#
        + #""image_shape":[1,28,28],"train_count":60000,"test_count":10000,"validation_count":0,"epochs":2,"#
        + #""steps_per_epoch":1875,"batch_size":32,"threads":2,"optimizer":"sgd","lr":0.01,"kernel":"avx512"}"#
    /// Two classes and one sample image of 1x2x2 whose pixels are 1, 2, 3, 4.
    static let evaluation =
        #"{"v":1,"type":"evaluation","time":1000,"step":10,"split":"test","epoch":1,"#
        + #""loss":0.5,"accuracy":0.75,"per_class_accuracy":[0.6666667,1],"confusion":[[2,1],[0,1]],"#
        + #""samples":[{"index":3,"true_label":0,"predicted_label":0,"top":[{"label":0,"probability":0.9}],"#
        + #""loss":0.1,"shape":[1,2,2],"pixels":"AQIDBA=="}]}"#

    /// `started` with a one-row model table.
    static let startedWithModelTable = edit(
        started, #""kernel":"avx512"}"#,
        #""kernel":"avx512","model_table":{"multiply_adds":169344,"parameters":60,"rows":[{"algorithm":"winograd","#
            + #""depth":0,"layer":"conv 1->6 3x3 p1","multiply_adds":169344,"name":"conv1","output_shape":[6,28,28],"#
            + #""parameters":60}]}}"#)
    static let initFrom =
        #"{"v":1,"type":"init_from","time":1000,"step":0,"source":"runs/a/checkpoint.safetensors","#
        + #""taken":["conv1.weight"],"reinitialized":["fc.weight"],"frozen":[]}"#
    static let sweep =
        #"{"v":1,"type":"lr_find_started","time":1000,"step":200,"steps":100,"start_lr":1e-07,"end_lr":10}"#
    static let probe =
        #"{"v":1,"type":"lr_find_point","time":1000,"step":200,"index":3,"lr":0.001,"loss":2.5,"smoothed_loss":2.4}"#
    static let finding =
        #"{"v":1,"type":"lr_find_finished","time":1000,"step":200,"probes":60,"diverged":true,"suggestion":0.003}"#
    static let undone =
        #"{"v":1,"type":"undone","time":1000,"step":200,"from_step":300,"#
        + #""intervention":"learning rate 0.1 → 0.05","lr":0.1,"remaining":0}"#

    private static func edit(_ base: String, _ old: String, _ new: String) -> String {
        precondition(base.contains(old), "the table's edit \(old) matches nothing")
        return base.replacingOccurrences(of: old, with: new)
    }

    static let events: [MalformedLine] = [
        MalformedLine("not JSON", "loss went down", "not JSON"),
        MalformedLine("an empty line", "", "not JSON"),
        MalformedLine("a torn line", String(step.prefix(60)), "not JSON"),
        MalformedLine("JSON but not an object", "[1, 2, 3]", "not a JSON object"),
        MalformedLine("a number for the type", edit(step, #""type":"step""#, #""type":7"#), #"field "type""#),
        MalformedLine("a string for the step", edit(step, #""step":5"#, #""step":"five""#), #"field "step""#),
        MalformedLine("a step beyond Int", edit(step, #""step":5"#, #""step":1e30"#), "a number that does not fit"),
        MalformedLine("a fractional step", edit(step, #""step":5"#, #""step":5.5"#), "a number that does not fit"),
        MalformedLine("a missing loss", edit(step, #""loss":0.5,"#, ""), #"missing field "loss""#),
        MalformedLine("a missing type", edit(step, #""type":"step","#, ""), #"missing field "type""#),
        MalformedLine("an unknown type", edit(step, #""type":"step""#, #""type":"explode""#), "unknown record type"),
        MalformedLine("an unknown version", edit(step, #""v":1"#, #""v":2"#), "version 2 is not known"),
        MalformedLine("a version that is a string", edit(step, #""v":1"#, #""v":"1""#), #"field "v""#),
        MalformedLine(
            "a line over the limit",
            #"{"v":1,"type":"warning","time":1,"step":0,"message":""#
                + String(repeating: "a", count: LineFormat.maximumLineBytes) + #""}"#,
            "bytes, more than"),
        MalformedLine("a NaN learning rate", edit(step, #""lr":0.1"#, #""lr":"nan""#), "lr is nan"),
        MalformedLine("an infinite time", edit(step, #""time":1000"#, #""time":"inf""#), "time is inf"),
        MalformedLine("a NaN accuracy", edit(step, #""accuracy":0.5"#, #""accuracy":"nan""#), "accuracy is nan"),
        MalformedLine("an accuracy above 1", edit(step, #""accuracy":0.5"#, #""accuracy":1.5"#), "accuracy is 1.5"),
        MalformedLine("a negative step", edit(step, #""step":5"#, #""step":-5"#), "step is negative"),
        MalformedLine("a negative elapsed time", edit(step, #""elapsed":2"#, #""elapsed":-2"#), "elapsed is negative"),
        MalformedLine(
            "a negative communication time", edit(step, #""elapsed":2"#, #""elapsed":2,"communication_seconds":-1"#),
            "communication_seconds is negative"),
        MalformedLine(
            "a world of no ranks", edit(started, #""threads":2"#, #""threads":2,"world_size":0"#),
            "world_size is 0"),
        MalformedLine(
            "a negative image count", edit(started, #""train_count":60000"#, #""train_count":-1"#),
            "train_count is negative"),
        MalformedLine(
            "an image shape of two numbers", edit(started, "[1,28,28]", "[1,28]"),
            "image_shape needs 3 numbers"),
        MalformedLine("an image shape of zero rows", edit(started, "[1,28,28]", "[1,0,28]"), "image_shape has 0"),
        MalformedLine(
            "an image shape no line can fill", edit(started, "[1,28,28]", "[1048576,1048576,1048576]"),
            "more values than a line can hold"),
        MalformedLine(
            "a model table row with negative parameters",
            edit(startedWithModelTable, #""parameters":60}"#, #""parameters":-60}"#),
            "model_table: conv1: parameters is negative"),
        MalformedLine(
            "a model table row with a negative output size",
            edit(startedWithModelTable, "[6,28,28]", "[6,-28,28]"), "model_table: conv1: output_shape is negative"),
        MalformedLine(
            "a model table row without a name", edit(startedWithModelTable, #""name":"conv1","#, ""),
            #"missing field "model_table.rows[0].name""#),
        MalformedLine(
            "a model table with negative total multiply-adds",
            edit(startedWithModelTable, #"{"multiply_adds":169344"#, #"{"multiply_adds":-1"#),
            "model_table: multiply_adds is negative"),
        MalformedLine(
            "an init_from record without the tensors taken", edit(initFrom, #""taken":["conv1.weight"],"#, ""),
            #"missing field "taken""#),
        MalformedLine(
            "an init_from record whose frozen list is a string", edit(initFrom, #""frozen":[]"#, #""frozen":"conv1""#),
            #"field "frozen""#),
        MalformedLine(
            "a range test of negative steps", edit(sweep, #""steps":100"#, #""steps":-1"#), "steps is negative"),
        MalformedLine(
            "a range test from a zero rate", edit(sweep, #""start_lr":1e-07"#, #""start_lr":0"#),
            "start_lr is 0.0, not a positive number"),
        MalformedLine(
            "a probe at an infinite rate", edit(probe, #""lr":0.001"#, #""lr":"inf""#), "lr is inf, not a finite number"
        ),
        MalformedLine("a probe without its loss", edit(probe, #""loss":2.5,"#, ""), #"missing field "loss""#),
        MalformedLine(
            "a negative suggestion", edit(finding, #""suggestion":0.003"#, #""suggestion":-0.003"#),
            "suggestion is -0.003, not a positive number"),
        MalformedLine(
            "a finding without diverged", edit(finding, #""diverged":true,"#, ""), #"missing field "diverged""#),
        MalformedLine(
            "an undo to a later step", edit(undone, #""from_step":300"#, #""from_step":100"#),
            "from_step 100 is before the step undone to, 200"),
        MalformedLine(
            "an undo without its intervention", edit(undone, #""intervention":"learning rate 0.1 → 0.05","#, ""),
            #"missing field "intervention""#),
        MalformedLine("an unknown split", edit(evaluation, #""split":"test""#, #""split":"train""#), #"field "split""#),
        MalformedLine(
            "a negative confusion count", edit(evaluation, "[[2,1],[0,1]]", "[[2,1],[-1,1]]"),
            "a confusion count is negative"),
        MalformedLine(
            "a confusion matrix that is not square", edit(evaluation, "[[2,1],[0,1]]", "[[2,1],[0]]"),
            "a row of 1 counts"),
        MalformedLine(
            "confusion counts beyond Int", edit(evaluation, "[[2,1],[0,1]]", "[[9223372036854775807,1],[0,1]]"),
            "more images than an Int holds"),
        MalformedLine(
            "fewer pixels than the shape", edit(evaluation, "AQIDBA==", "AQID"), "3 pixels for an image of 1x2x2"),
        MalformedLine("pixels that are not base64", edit(evaluation, "AQIDBA==", "!!!!"), "pixels are not base64"),
        MalformedLine(
            "a label outside the matrix", edit(evaluation, #""true_label":0"#, #""true_label":5"#),
            "true_label 5 is not one of the 2 classes"),
        MalformedLine(
            "a negative predicted label", edit(evaluation, #""predicted_label":0"#, #""predicted_label":-1"#),
            "predicted_label -1 is not one of the 2 classes"),
        MalformedLine(
            "a probability above 1", edit(evaluation, #""probability":0.9"#, #""probability":2"#),
            "probability is 2.0"),
        MalformedLine("a negative image index", edit(evaluation, #""index":3"#, #""index":-3"#), "index is negative"),
        MalformedLine(
            "a best that is not finite",
            #"{"v":1,"type":"best","time":1,"step":9,"monitor":"val_loss","value":"nan","epoch":2}"#,
            "value is nan"),
        MalformedLine(
            "a best of an unknown figure",
            #"{"v":1,"type":"best","time":1,"step":9,"monitor":"train_loss","value":0.5,"epoch":2}"#,
            #"field "monitor""#),
        MalformedLine(
            "an early stop without a reason", #"{"v":1,"type":"early_stop","time":1,"step":9}"#,
            #"missing field "reason""#),
        MalformedLine(
            "a mark without a split",
            #"{"v":1,"type":"image_marked","time":1,"step":9,"index":1,"kind":"drop","true_label":0,"predicted_label":1}"#,
            #"missing field "split""#),
        MalformedLine(
            "an unmark of a negative index",
            #"{"v":1,"type":"image_unmarked","time":1,"step":9,"split":"test","index":-1}"#,
            "index is negative"),
        MalformedLine(
            "an image without pixels", edit(evaluation, #","pixels":"AQIDBA==""#, ""),
            #"missing field "samples[0].pixels""#),
    ]
}
