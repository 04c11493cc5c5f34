import ConvTUI
import Testing

@Suite struct ColorPairCacheTests {
    @Test func samePairIsReused() {
        var cache = ColorPairCache(capacity: 256)
        let first = cache.pair(foreground: 196, background: 232)
        let again = cache.pair(foreground: 196, background: 232)
        let other = cache.pair(foreground: 232, background: 196)
        #expect(first?.number == 1 && first?.isNew == true)
        #expect(again?.number == 1 && again?.isNew == false)
        #expect(other?.number == 2)
        #expect(cache.count == 2)
    }

    @Test func defaultOnDefaultIsPairZero() {
        var cache = ColorPairCache(capacity: 4)
        #expect(cache.pair(foreground: -1, background: -1)?.number == 0)
        #expect(cache.count == 0)
    }

    @Test func fullCacheRefusesUntilCleared() {
        var cache = ColorPairCache(capacity: 3)
        #expect(cache.pair(foreground: 1, background: 2) != nil)
        #expect(cache.pair(foreground: 2, background: 3) != nil)
        #expect(cache.pair(foreground: 3, background: 4) == nil)
        cache.removeAll()
        #expect(cache.pair(foreground: 3, background: 4)?.number == 1)
    }
}
