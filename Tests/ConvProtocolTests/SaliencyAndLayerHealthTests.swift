import ConvProtocol
import Foundation
import Testing

/// The saliency command and the saliency and layer-health events on their lines.
@Suite struct SaliencyAndLayerHealthTests {
    static let request = SaliencyRequest(split: .validation, indices: [5, 0, 4123], target: .trueClass)

    /// Two 2x3 maps with distinct values, as a session sends them.
    static let maps = SaliencyMaps(
        split: .test, step: 1056, target: .predicted, method: "Grad-CAM of res2.conv2",
        maps: [
            SaliencyMap(index: 7, label: 2, predictedLabel: 2, height: 2, width: 3, values: [0, 17, 255, 3, 128, 64]),
            SaliencyMap(index: 9, label: 1, predictedLabel: 1, height: 2, width: 3, values: [255, 0, 0, 0, 0, 1]),
        ])

    static let health = LayerHealth(
        step: 1041,
        layers: [
            LayerStatistics(name: "conv1", weightNorm: 3.25, gradientNorm: 0.0123, updateRatio: 0.00137),
            LayerStatistics(name: "res1.bn2", weightNorm: 5.656854, gradientNorm: 1e-9, updateRatio: 0),
            LayerStatistics(name: "fc", weightNorm: .infinity, gradientNorm: .nan, updateRatio: .infinity),
        ],
        activations: [
            ActivationStatistics(name: "bn1", deadFraction: 0.015625),
            ActivationStatistics(name: "res1.bn2", deadFraction: 1),
        ])

    @Test func theRequestRoundTrips() throws {
        let command = TrainingCommand.explain(Self.request)
        let line = command.jsonLine()
        #expect(command.lineType == "saliency")
        let fields = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(fields["indices"] as? [Int] == [5, 0, 4123] && fields["target"] as? String == "true")
        #expect(fields["split"] as? String == "validation")
        #expect(try TrainingCommand(jsonLine: Substring(line)) == command)
    }

    @Test func theEventsRoundTripWithTheirMaps() throws {
        for event in [TrainingEvent.saliency(Self.maps), .layerHealth(Self.health)] {
            let record = MetricsRecord(time: 1_764_700_000.5, step: event.step!, event: event, includingImages: true)
            let decoded = try MetricsRecord(jsonLine: Substring(record.jsonLine()))
            // NaN is not equal to itself: compare the line the decoded record writes.
            #expect(decoded.jsonLine() == record.jsonLine())
            #expect(decoded.event.journalType == event.journalType && decoded.step == event.step)
        }
        let decoded = try MetricsRecord(
            jsonLine: Substring(
                MetricsRecord(time: 1, step: 1056, event: .saliency(Self.maps), includingImages: true).jsonLine()))
        #expect(decoded.event == .saliency(Self.maps))
    }

    @Test func theJournalKeepsTheAnswerWithoutItsMaps() throws {
        let text = MetricsRecord(time: 1, step: 1056, event: .saliency(Self.maps)).jsonLine()
        #expect(!text.contains("values"))
        guard case .saliency(let decoded) = try MetricsRecord(jsonLine: Substring(text)).event else {
            Issue.record("not a saliency record")
            return
        }
        #expect(decoded.maps.map(\.index) == [7, 9] && decoded.maps.allSatisfy(\.values.isEmpty))
        #expect(decoded.method == "Grad-CAM of res2.conv2" && decoded.step == 1056)
    }

    @Test func layersAreFlaggedByTheirUpdateRatio() {
        #expect(Self.health.layers.map(\.condition) == [.learning, .stalled, .exploding])
        let large = LayerStatistics(name: "x", weightNorm: 1, gradientNorm: 1, updateRatio: 0.5)
        #expect(large.condition == .exploding)
    }

    static let requestLine = #"{"v":1,"type":"saliency","split":"test","indices":[1,2],"target":"predicted"}"#
    static let mapsLine =
        #"{"v":1,"type":"saliency","time":1,"step":5,"split":"test","target":"true","method":"input gradient","#
        + #""maps":[{"index":1,"label":0,"predicted_label":1,"shape":[1,2],"values":"AP8="}]}"#
    static let healthLine =
        #"{"v":1,"type":"layer_health","time":1,"step":5,"layers":[{"name":"fc","weight_norm":1,"#
        + #""gradient_norm":0.5,"update_ratio":0.001}],"activations":[{"name":"relu","dead_fraction":0.25}]}"#

    @Test func theTablesBaseLinesAreValid() throws {
        #expect(
            try TrainingCommand(jsonLine: Substring(Self.requestLine))
                == .explain(SaliencyRequest(split: .test, indices: [1, 2], target: .predicted)))
        guard case .saliency(let maps) = try MetricsRecord(jsonLine: Substring(Self.mapsLine)).event else {
            Issue.record("not a saliency record")
            return
        }
        #expect(maps.maps[0].values == [0, 255] && maps.target == .trueClass)
        #expect(try MetricsRecord(jsonLine: Substring(Self.healthLine)).event.journalType == "layer_health")
    }

    private static func edit(_ base: String, _ old: String, _ new: String) -> String {
        precondition(base.contains(old), "the table's edit \(old) matches nothing")
        return base.replacingOccurrences(of: old, with: new)
    }

    @Test(arguments: [
        MalformedLine("a request without indices", edit(requestLine, #","indices":[1,2]"#, ""), #""indices""#),
        MalformedLine("a request without a target", edit(requestLine, #","target":"predicted""#, ""), #""target""#),
        MalformedLine("a request for no image", edit(requestLine, "[1,2]", "[]"), "indices has 0 images"),
        MalformedLine(
            "a request for too many images",
            edit(
                requestLine, "[1,2]",
                "[" + (0...SaliencyRequest.maximumImages).map(String.init).joined(separator: ",") + "]"),
            "indices has 65 images"),
        MalformedLine("a negative index", edit(requestLine, "[1,2]", "[1,-2]"), "an index is negative"),
        MalformedLine("an unknown target", edit(requestLine, #""predicted""#, #""mean""#), #"field "target""#),
        MalformedLine("an unknown split", edit(requestLine, #""test""#, #""train""#), #"field "split""#),
    ])
    func aMalformedRequestIsAnError(_ malformed: MalformedLine) {
        let error = #expect(throws: ProtocolError.self) { try TrainingCommand(jsonLine: Substring(malformed.line)) }
        #expect(
            error?.description.contains(malformed.problem) == true,
            "\(malformed.name): \(error?.description ?? "no error")")
    }

    @Test(arguments: [
        MalformedLine("fewer values than the map", edit(mapsLine, "AP8=", "AA=="), "1 values for a map of 1x2"),
        MalformedLine("values that are not base64", edit(mapsLine, "AP8=", "!!"), "values are not base64"),
        MalformedLine("a map of no rows", edit(mapsLine, "[1,2]", "[0,2]"), "maps: shape has 0"),
        MalformedLine("a map shape of three numbers", edit(mapsLine, "[1,2]", "[1,2,3]"), "maps: shape needs 3"),
        MalformedLine("a negative label", edit(mapsLine, #""label":0"#, #""label":-1"#), "maps: label is negative"),
        MalformedLine(
            "a negative weight norm", edit(healthLine, #""weight_norm":1"#, #""weight_norm":-1"#),
            "fc: weight_norm is negative"),
        MalformedLine(
            "a dead fraction above 1", edit(healthLine, #""dead_fraction":0.25"#, #""dead_fraction":2"#),
            "dead_fraction is 2.0"),
        MalformedLine(
            "layers missing",
            edit(
                healthLine, #""layers":[{"name":"fc","weight_norm":1,"gradient_norm":0.5,"update_ratio":0.001}],"#, ""),
            #"missing field "layers""#),
    ])
    func aMalformedEventIsAnError(_ malformed: MalformedLine) {
        let error = #expect(throws: ProtocolError.self) { try MetricsRecord(jsonLine: Substring(malformed.line)) }
        #expect(
            error?.description.contains(malformed.problem) == true,
            "\(malformed.name): \(error?.description ?? "no error")")
    }
}
