import ConvProtocol

/// One key binding: the keys, how the help writes them, the action, and what it does.
public struct KeyBinding: Sendable, Equatable {
    public var keys: [Key]
    public var label: String
    public var action: DashboardAction
    public var description: String
    /// The screen the binding belongs to; `.main` bindings work on every screen unless a binding
    /// of the current screen takes the same key.
    public var screen: Screen
    /// The word the footer shows next to the key; `nil` keeps the binding out of the footer.
    public var footer: String?
    /// How the footer writes the key, when one entry there stands for several bindings.
    public var footerLabel: String

    public init(
        _ keys: [Key], _ label: String, _ action: DashboardAction, _ description: String,
        screen: Screen = .main, footer: String? = nil, footerLabel: String? = nil
    ) {
        self.keys = keys
        self.label = label
        self.action = action
        self.description = description
        self.screen = screen
        self.footer = footer
        self.footerLabel = footerLabel ?? label
    }
}

/// The one table of key bindings: key handling reads it, and the help screen and footer render it.
public enum KeyTable {
    public static let bindings: [KeyBinding] = [
        KeyBinding(
            [.character(" "), .character("p")], "space p", .togglePause, "pause or resume training", footer: "pause"),
        KeyBinding(
            [.character("+"), .character("=")], "+", .scaleLearningRate(2), "double the learning rate", footer: "lr×2"),
        KeyBinding([.character("-")], "-", .scaleLearningRate(0.5), "halve the learning rate", footer: "lr÷2"),
        KeyBinding([.character("L")], "L", .openLearningRatePrompt, "type a new learning rate", footer: "set lr"),
        KeyBinding([.character("s")], "s", .save, "save a checkpoint", footer: "save"),
        KeyBinding([.character("e")], "e", .evaluate, "evaluate on the test set now", footer: "eval"),
        KeyBinding([.character("l")], "l", .toggleLogScale, "log scale for the loss chart"),
        KeyBinding([.character("m")], "m", .openMisclassified, "browse misclassified images", footer: "errors"),
        KeyBinding([.character("c")], "c", .openConfusion, "confusion matrix", footer: "confusion"),
        KeyBinding([.character("i")], "i", .openModelSummary, "model summary table"),
        KeyBinding([.character("g")], "g", .cycleSaliency, "overlay where the net looks"),
        KeyBinding([.character("w")], "w", .openLayerHealth, "layer health"),
        KeyBinding([.character("?"), .character("h")], "? h", .toggleHelp, "show or hide this help", footer: "help"),
        KeyBinding([.character("q")], "q", .quit, "quit, saving a checkpoint", footer: "quit"),
        KeyBinding(
            [.character("r")], "r", .findLearningRate, "learning-rate range test",
            footer: "lr find"),
        KeyBinding(
            [.character("u")], "u", .undo, "undo the last intervention",
            footer: "undo"),
        KeyBinding([.character("d")], "d", .detach, "detach; the run goes on"),
        KeyBinding([.escape], "esc", .back, "back to the main screen", footer: "back"),
        KeyBinding(
            [.up, .character("k"), .left], "↑ k", .move(rows: -1, columns: 0), "previous image",
            screen: .misclassified, footer: "prev"),
        KeyBinding(
            [.down, .character("j"), .right], "↓ j", .move(rows: 1, columns: 0), "next image",
            screen: .misclassified, footer: "next"),
        KeyBinding(
            [.pageUp], "PgUp", .page(-1), "ten images back", screen: .misclassified, footer: "page",
            footerLabel: "PgUp PgDn"),
        KeyBinding([.pageDown], "PgDn", .page(1), "ten images on", screen: .misclassified),
        KeyBinding(
            [.character("f")], "f", .cycleFilter, "filter: true, predicted, all",
            screen: .misclassified, footer: "filter"),
        KeyBinding(
            [.character("x")], "x", .markImage, "mark or unmark (marks.csv)", screen: .misclassified,
            footer: "mark"),
        KeyBinding(
            [.up, .character("k")], "↑ k", .move(rows: -1, columns: 0), "row up", screen: .confusion,
            footer: "move", footerLabel: "arrows hjkl"),
        KeyBinding([.down, .character("j")], "↓ j", .move(rows: 1, columns: 0), "row down", screen: .confusion),
        KeyBinding([.left, .character("h")], "← h", .move(rows: 0, columns: -1), "column left", screen: .confusion),
        KeyBinding([.right, .character("l")], "→ l", .move(rows: 0, columns: 1), "column right", screen: .confusion),
        KeyBinding([.enter], "enter", .select, "browse this cell's images", screen: .confusion, footer: "browse"),
        KeyBinding([.up, .character("k")], "↑ k", .move(rows: -1, columns: 0), "scroll up", screen: .help),
        KeyBinding([.down, .character("j")], "↓ j", .move(rows: 1, columns: 0), "scroll down", screen: .help),
        KeyBinding(
            [.up, .character("k")], "↑ k", .move(rows: -1, columns: 0), "scroll the table up", screen: .modelSummary,
            footer: "scroll", footerLabel: "↑↓ jk"),
        KeyBinding(
            [.down, .character("j")], "↓ j", .move(rows: 1, columns: 0), "scroll the table down",
            screen: .modelSummary),
        KeyBinding(
            [.character("n")], "n", .nextConfusion, "next most-confused cell", screen: .confusion,
            footer: "most confused"),
        KeyBinding(
            [.enter], "enter", .applySuggestion, "apply the suggestion", screen: .rangeTest,
            footer: "apply"),
        KeyBinding(
            [.character("L")], "L", .openLearningRatePrompt, "type another learning rate", screen: .rangeTest,
            footer: "type lr"),
        KeyBinding(
            [.escape], "esc", .back, "cancel, keep the rate", screen: .rangeTest, footer: "cancel"),
    ]

    /// The action bound to `key` on `screen`: the screen's own bindings first, then the global ones.
    public static func action(for key: Key, on screen: Screen) -> DashboardAction? {
        let own = bindings.first { $0.screen == screen && screen != .main && $0.keys.contains(key) }
        return (own ?? bindings.first { $0.screen == .main && $0.keys.contains(key) })?.action
    }

    /// The bindings the footer shows on `screen`.
    public static func footer(for screen: Screen) -> [KeyBinding] {
        let own = bindings.filter { $0.footer != nil && $0.screen == screen && screen != .main }
        let global = bindings.filter { $0.footer != nil && $0.screen == .main }
        return screen == .main || screen == .help
            ? global
            : own + global.filter { [.toggleHelp, .quit].contains($0.action) }
                + (own.contains { $0.action == .back } ? [] : [bindings.first { $0.action == .back }!])
    }
}
