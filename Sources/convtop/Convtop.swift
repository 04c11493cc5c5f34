// convtop: the command line.
//
// It owns the commands (`train`, the default, `eval`, `predict`, `bench`, and `data info|fetch|bench`) and
// their options, parsed by swift-argument-parser into the modules' own types; the viewers that
// join a training session's channel to the dashboard or to plain lines; signal handling; and the
// rule that bad input ends in one line on standard error and exit status 2.
//
// It may import every module of the package (ConvProtocol, ConvEngine, ConvData, ConvTraining,
// ConvTUI) and ArgumentParser: it is the one place where the training session and the dashboard
// meet.

import ArgumentParser
import ConvData
import ConvEngine
import Foundation

@main
struct Convtop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convtop",
        abstract: "Train convolutional networks on the CPU and watch the run live in the terminal.",
        subcommands: [
            TrainCommand.self,
            EvalCommand.self,
            PredictCommand.self,
            BenchCommand.self,
            DataCommand.self,
            ModelCommand.self,
            ExportCommand.self,
            AttachCommand.self,
            ViewCommand.self,
            CompareCommand.self,
            RunsCommand.self,
            PauseCommand.self,
            ResumeCommand.self,
            StopCommand.self,
            LearningRateCommand.self,
            UndoCommand.self,
            LearningRateFinderCommand.self,
        ],
        defaultSubcommand: TrainCommand.self
    )

    /// Runs the command line. Bad options, files and data end with one line on standard error
    /// and exit status 2; a run that fails exits with 1.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as UsageError {
            fail(error.description)
        } catch let error as DataError {
            fail(error.description)
        } catch let error as CheckpointError {
            fail(error.description)
        } catch let error as NetworkError {
            fail(error.description)
        } catch {
            if exitCode(for: error) == .validationFailure { fail(oneLine(message(for: error))) }
            exit(withError: error)
        }
    }

    /// ArgumentParser lists the values of a long enumeration one per line ("  - crop-flip"); they
    /// are put back on the error's one line, as it lists short ones.
    static func oneLine(_ message: String) -> String {
        let lines = message.split(separator: "\n")
        let choices = lines.filter { $0.hasPrefix("  - ") }.map { "'\($0.dropFirst(4))'" }
        let text = lines.filter { !$0.hasPrefix("  - ") }.joined(separator: " ")
        guard !choices.isEmpty else { return text }
        return text.replacingOccurrences(of: "one of the following:", with: "one of") + " "
            + choices.joined(separator: ", ") + "."
    }

    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("convtop: \(message)\n".utf8))
        Foundation.exit(2)
    }
}
