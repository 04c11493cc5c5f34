import ArgumentParser
import ConvTraining
import Foundation

/// Where runs live, and how a command names one of them.
struct RunsOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The folder that holds the runs.", valueName: "path"))
    var runsDir = "runs"

    /// The run called `name` (a folder under --runs-dir, or a path to a run folder), or the newest
    /// running run when `name` is nil.
    func folder(_ name: String?) throws -> RunFolder {
        guard let name else {
            guard let newest = RunStatus.list(runsDirectory: runsDir).last(where: { $0.pid != nil }) else {
                throw UsageError("\(runsDir): no running run to attach to (convtop runs lists them)")
            }
            return RunFolder(url: URL(fileURLWithPath: newest.folder))
        }
        let candidates = [URL(fileURLWithPath: runsDir).appendingPathComponent(name), URL(fileURLWithPath: name)]
        var isDirectory: ObjCBool = false
        guard
            let url = candidates.first(where: {
                FileManager.default.fileExists(atPath: $0.path, isDirectory: &isDirectory) && isDirectory.boolValue
            })
        else {
            throw UsageError("\(name): no such run under \(runsDir) (convtop runs lists them)")
        }
        return RunFolder(url: url.standardizedFileURL)
    }

    /// A connection to the run called `name`, whose history has arrived.
    func connect(_ name: String?) throws -> (RunFolder, RunConnection) {
        let folder = try folder(name)
        guard folder.servingProcess() != nil else {
            throw UsageError("\(folder.url.path): the run is not running (convtop runs shows its state)")
        }
        let connection = try RunConnection(socketPath: folder.socketFile.path)
        guard connection.waitUntilLive(timeout: 10) else {
            throw UsageError(
                "\(folder.socketFile.path): the run did not answer: \(connection.closedBecause ?? "timed out")")
        }
        return (folder, connection)
    }
}
