// libFuzzer target for the protocol's line readers (built by Fuzz/run.sh). The input is read as
// one line, both as an event record and as a command: any bytes must give a value or a
// ProtocolError, never a crash; whatever parses must write a line that reads back to the same line.
import ConvProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProtocol(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let line = Substring(String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self))
    if let record = try? MetricsRecord(jsonLine: line) {
        let written = record.jsonLine()
        if (try? MetricsRecord(jsonLine: Substring(written)))?.jsonLine() != written {
            fatalError("a parsed record changed on a write/read round trip: \(written)")
        }
    }
    if let command = try? TrainingCommand(jsonLine: line),
        (try? TrainingCommand(jsonLine: Substring(command.jsonLine()))) != command
    {
        fatalError("a parsed command changed on a write/read round trip: \(command.jsonLine())")
    }
    return 0
}
