import ArgumentParser

@main
struct Convtop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convtop",
        abstract: "Train convolutional networks on the CPU and watch the run live in the terminal.",
        subcommands: [
            BenchCommand.self,
            DataCommand.self,
        ]
    )
}
