import ConvTUI
import Testing

@Suite struct HelpScreenTests {
    @Test func everyBindingIsListedWithItsKeys() {
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 80, height: 40))
        HelpScreen(theme: .color).render(area: buffer.area, buffer: &buffer)
        let text = buffer.lines
        #expect(text[0].hasPrefix("convtop keys"))
        #expect(text[3] == "  space p  pause or resume training" + String(repeating: " ", count: 45))
        for binding in KeyTable.bindings {
            #expect(text.contains { $0.hasPrefix("  " + binding.label) && $0.contains(binding.description) },
                    "missing \(binding.label): \(binding.description)")
        }
    }
}
