import ConvTUI
import Testing

@Suite struct KeyTableTests {
    @Test func noKeyIsBoundTwiceOnOneScreen() {
        for screen in Screen.allCases {
            let keys = KeyTable.bindings.filter { $0.screen == screen }.flatMap(\.keys)
            #expect(Set(keys).count == keys.count, "\(screen) binds a key twice")
        }
    }

    @Test func screenBindingsComeBeforeGlobalOnes() {
        #expect(KeyTable.action(for: .character("l"), on: .main) == .toggleLogScale)
        #expect(KeyTable.action(for: .character("l"), on: .confusion) == .move(rows: 0, columns: 1))
        #expect(KeyTable.action(for: .character("l"), on: .misclassified) == .toggleLogScale)
        #expect(KeyTable.action(for: .character("j"), on: .main) == nil)
        #expect(KeyTable.action(for: .character("q"), on: .confusion) == .quit)
    }

    @Test func footerShowsTheScreensKeysFirst() {
        #expect(KeyTable.footer(for: .main).first?.action == .togglePause)
        #expect(KeyTable.footer(for: .misclassified).first?.action == .move(rows: -1, columns: 0))
        #expect(KeyTable.footer(for: .confusion).contains { $0.action == .select })
    }
}
