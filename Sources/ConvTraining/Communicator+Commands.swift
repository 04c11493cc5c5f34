import ConvProtocol

extension Communicator {
    /// Checks that every rank is about to apply `command` at `step`, and returns the step of each
    /// rank on rank 0 (nil on the others), for the journal. Ranks that applied a command at
    /// different steps would train different models from then on, so rank 0 ends the run if so.
    func agreeOnCommand(_ command: TrainingCommand, at step: Int) throws -> [Int]? {
        // FNV-1a over the command's line: 32 bits, which a Double holds exactly.
        let fingerprint = command.jsonLine().utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }
        let ranks = try gather([Double(step), Double(fingerprint)])
        guard leads else { return nil }
        for (rank, values) in ranks.enumerated() where values != ranks[0] {
            throw CommunicationError(
                description: "rank \(rank) applied a command at step \(Int(values[0])) that rank 0 applied at step "
                    + "\(step) (\(command.jsonLine())): the ranks have diverged")
        }
        return ranks.map { Int($0[0]) }
    }
}
