// A child process for the crash-safety tests in AtomicFileTests: it saves safetensors files the
// way convtop does, so a test can kill it mid-save or run it under a file-size limit.
//
//     checkpoint-writer PATH FLOATS [--repeat] [--file-size-limit BYTES]
//
// Version v of the file holds FLOATS copies of Float(v). With --repeat it saves versions 1, 2, ...
// until killed, printing "saved v" after each; otherwise it saves version 1 once.
import ConvEngine
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 3, let floats = Int(arguments[2]) else {
    FileHandle.standardError.write(
        Data("usage: checkpoint-writer PATH FLOATS [--repeat] [--file-size-limit BYTES]\n".utf8))
    exit(2)
}
let path = arguments[1]
if let flag = arguments.firstIndex(of: "--file-size-limit"), flag + 1 < arguments.count,
    let limit = UInt(arguments[flag + 1])
{
    // Past the limit write(2) fails with EFBIG instead of the process dying of SIGXFSZ.
    signal(SIGXFSZ, SIG_IGN)
    var bound = rlimit(rlim_cur: rlim_t(limit), rlim_max: rlim_t(limit))
    setrlimit(Int32(RLIMIT_FSIZE.rawValue), &bound)
}
let repeating = arguments.contains("--repeat")
var version = 1
repeat {
    let file = SafeTensors(tensors: [
        "weight": SafeTensorsTensor(float32: Array(repeating: Float(version), count: floats), shape: [floats])
    ])
    do {
        try file.write(toFile: path)
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        exit(1)
    }
    FileHandle.standardOutput.write(Data("saved \(version)\n".utf8))
    version += 1
} while repeating
