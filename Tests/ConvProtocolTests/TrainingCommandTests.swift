import ConvProtocol
import Foundation
import Testing

@Suite struct TrainingCommandTests {
    @Test func theSamplesCoverEveryCommand() {
        #expect(Set(SampleEvents.commands.map(\.lineType)).count == 12)
    }

    @Test func everyCommandRoundTrips() throws {
        for command in SampleEvents.commands {
            #expect(try TrainingCommand(jsonLine: Substring(command.jsonLine())) == command, "\(command)")
        }
    }

    @Test func aCommandIsOneObjectWithVersionTypeAndValue() throws {
        let text = TrainingCommand.scaleLearningRate(2).jsonLine()
        let fields = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(fields["v"] as? Int == 1 && fields["type"] as? String == "scale_lr" && fields["factor"] as? Double == 2)
        #expect(fields.count == 3)
        #expect(!TrainingCommand.save(path: nil).jsonLine().contains("path"))
    }

    @Test func aMarkIsItsFieldsBesideTheHeader() throws {
        let text = SampleEvents.commands.first { $0.lineType == "mark" }!.jsonLine()
        let fields = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(fields["type"] as? String == "mark" && fields["split"] as? String == "test")
        #expect(
            fields["index"] as? Int == 812 && fields["true_label"] as? Int == 3 && fields["kind"] as? String == "drop")
        #expect(fields["note"] as? String == "blurred, \"dark\"" && fields["file"] == nil)
    }

    @Test(arguments: [
        MalformedLine("not JSON", "pause", "not JSON"),
        MalformedLine("JSON but not an object", #""pause""#, "not a JSON object"),
        MalformedLine("a missing type", #"{"v":1}"#, #"missing field "type""#),
        MalformedLine("an unknown type", #"{"v":1,"type":"dance"}"#, #"unknown command type "dance""#),
        MalformedLine("an unknown version", #"{"v":3,"type":"pause"}"#, "version 3 is not known"),
        MalformedLine("a learning rate missing", #"{"v":1,"type":"set_lr"}"#, #"missing field "lr""#),
        MalformedLine("a NaN learning rate", #"{"v":1,"type":"set_lr","lr":"nan"}"#, "lr is nan"),
        MalformedLine("a learning rate that is a string", #"{"v":1,"type":"set_lr","lr":"fast"}"#, #"field "lr""#),
        MalformedLine("a negative factor", #"{"v":1,"type":"scale_lr","factor":-2}"#, "factor is -2.0"),
        MalformedLine("a zero factor", #"{"v":1,"type":"scale_lr","factor":0}"#, "factor is 0.0"),
        MalformedLine("a range test of one step", #"{"v":1,"type":"lr_find","steps":1}"#, "steps is 1"),
        MalformedLine("a range test of text steps", #"{"v":1,"type":"lr_find","steps":"many"}"#, #"field "steps""#),
        MalformedLine("a path that is a number", #"{"v":1,"type":"save","path":5}"#, #"field "path""#),
        MalformedLine(
            "a mark without its kind",
            #"{"v":1,"type":"mark","split":"test","index":3,"true_label":1,"predicted_label":2}"#,
            #"missing field "kind""#),
        MalformedLine(
            "a mark of an unknown kind",
            #"{"v":1,"type":"mark","split":"test","index":3,"kind":"burn","true_label":1,"predicted_label":2}"#,
            #"field "kind""#),
        MalformedLine(
            "a mark of a negative index",
            #"{"v":1,"type":"mark","split":"test","index":-3,"kind":"drop","true_label":1,"predicted_label":2}"#,
            "index is negative"),
        MalformedLine(
            "a mark of a negative label",
            #"{"v":1,"type":"mark","split":"test","index":3,"kind":"drop","true_label":-1,"predicted_label":2}"#,
            "true_label is negative"),
        MalformedLine(
            "an unmark without its index", #"{"v":1,"type":"unmark","split":"test"}"#, #"missing field "index""#),
        MalformedLine(
            "an unmark of the training split", #"{"v":1,"type":"unmark","split":"train","index":1}"#, #"field "split""#),
        MalformedLine(
            "a line over the limit",
            #"{"v":1,"type":"save","path":""# + String(repeating: "a", count: LineFormat.maximumLineBytes) + #""}"#,
            "bytes, more than"),
    ])
    func aMalformedCommandIsAnError(_ malformed: MalformedLine) {
        let error = #expect(throws: ProtocolError.self) { try TrainingCommand(jsonLine: Substring(malformed.line)) }
        #expect(
            error?.description.contains(malformed.problem) == true,
            "\(malformed.name): \(error?.description ?? "no error")")
    }
}
