import ConvProtocol
import ConvTraining
import Foundation
import Testing

@Suite struct JournalTailTests {
    private func line(_ event: TrainingEvent, at time: Double) -> String {
        MetricsRecord(time: time, step: event.step ?? 0, event: event).jsonLine() + "\n"
    }

    private func append(_ text: String, to url: URL) throws {
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }

    @Test func followsTheFileAsItGrowsAndWaitsForAHalfWrittenLine() throws {
        let url = MetricsJournalTests.temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        let started = line(.started(MetricsJournalTests.summary), at: 1)
        let step = line(MetricsJournalTests.step(5), at: 2)
        let paused = line(.paused(step: 5, reason: nil), at: 3)
        try Data((started + step.prefix(20)).utf8).write(to: url)

        let tail = try JournalTail(url: url)
        #expect(tail.read().map(\.event) == [.started(MetricsJournalTests.summary)])
        #expect(tail.read().isEmpty)
        try append(String(step.dropFirst(20)), to: url)
        #expect(tail.read().map(\.event) == [MetricsJournalTests.step(5)])
        try append(paused, to: url)
        #expect(tail.read().map(\.time) == [3])
    }

    @Test func aTornLineClosedByAResumedRunIsSkippedAsTheJournalReaderSkipsIt() throws {
        let url = MetricsJournalTests.temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        let torn = String(line(MetricsJournalTests.step(5), at: 2).prefix(30))
        try Data((line(.started(MetricsJournalTests.summary), at: 1) + torn).utf8).write(to: url)
        let tail = try JournalTail(url: url)
        #expect(tail.read().count == 1)
        // Resuming in the folder closes the torn line before appending.
        let journal = try MetricsJournal(url: url)
        journal.record(.resumed(step: 5), at: Date(timeIntervalSince1970: 4))
        #expect(tail.read().map(\.event) == [.resumed(step: 5)])
        #expect(try MetricsJournal.read(url).count == 2)
    }

    @Test func aMissingFileIsAnErrorNamingIt() {
        let url = MetricsJournalTests.temporaryFile()
        do {
            _ = try JournalTail(url: url)
            Issue.record("\(url.path) does not exist, yet it opened")
        } catch {
            #expect("\(error)".contains(url.path))
        }
    }
}
