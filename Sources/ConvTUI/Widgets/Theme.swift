/// A part of the screen that has its own look; the theme maps each to a style.
public enum Role: Sendable, Hashable, CaseIterable {
    case text, label, title, dim, key
    case running, paused, finished, failed, starting
    case trainLoss, testSeries, validationSeries, trainAccuracy
    case learningRateMarker, pauseMarker, axis
    case right, wrong, bar, barTrack, increase, decrease
    case selection, message, error, progress
}

/// The colour scheme: one style per role (htop's table from UI role to attribute). The monochrome
/// scheme uses only bold, dim and reverse, for terminals without colour, `NO_COLOR` and `--no-color`.
public struct Theme: Sendable {
    private let styles: [Role: Style]
    public let hasColor: Bool

    public subscript(role: Role) -> Style { styles[role] ?? .plain }

    /// The style of the `index`th run of a comparison: a colour of its own, or without colour
    /// bold and plain by turns (each run's marker tells them apart).
    public func comparedRun(_ index: Int) -> Style {
        guard hasColor else { return index % 2 == 0 ? Style(modifiers: .bold) : .plain }
        let colors: [Color] = [.brightCyan, .brightYellow, .brightMagenta, .brightGreen, .brightRed, .brightBlue]
        return Style(foreground: colors[index % colors.count], modifiers: .bold)
    }

    /// The scheme for a terminal that shows `depth` colours.
    public static func forDepth(_ depth: ColorDepth) -> Theme { depth == .monochrome ? .monochrome : .color }

    public static let color = Theme(
        styles: [
            .label: Style(foreground: .cyan),
            .title: Style(foreground: .brightWhite, modifiers: .bold),
            .dim: Style(foreground: .gray),
            .key: Style(foreground: .black, background: .cyan),
            .running: Style(foreground: .black, background: .brightGreen, modifiers: .bold),
            .paused: Style(foreground: .black, background: .brightYellow, modifiers: .bold),
            .finished: Style(foreground: .black, background: .brightBlue, modifiers: .bold),
            .failed: Style(foreground: .brightWhite, background: .red, modifiers: .bold),
            .starting: Style(foreground: .black, background: .white, modifiers: .bold),
            .trainLoss: Style(foreground: .brightCyan, modifiers: .bold),
            .testSeries: Style(foreground: .brightYellow, modifiers: .bold),
            .validationSeries: Style(foreground: .brightMagenta, modifiers: .bold),
            .trainAccuracy: Style(foreground: .brightCyan),
            .learningRateMarker: Style(foreground: .brightYellow, modifiers: .bold),
            .pauseMarker: Style(foreground: .brightMagenta, modifiers: .bold),
            .axis: Style(foreground: .gray),
            .right: Style(foreground: .brightGreen, modifiers: .bold),
            .wrong: Style(foreground: .brightRed, modifiers: .bold),
            .bar: Style(foreground: .brightCyan),
            .barTrack: Style(foreground: .indexed(238)),
            .increase: Style(foreground: .brightGreen),
            .decrease: Style(foreground: .brightRed),
            .selection: Style(modifiers: [.reverse, .bold]),
            .message: Style(foreground: .brightWhite, modifiers: .bold),
            .error: Style(foreground: .brightRed, modifiers: .bold),
            .progress: Style(foreground: .brightGreen),
        ], hasColor: true)

    public static let monochrome = Theme(
        styles: [
            .title: Style(modifiers: .bold),
            .dim: Style(modifiers: .dim),
            .key: Style(modifiers: .reverse),
            .running: Style(modifiers: [.reverse, .bold]),
            .paused: Style(modifiers: [.reverse, .bold, .underline]),
            .finished: Style(modifiers: [.reverse]),
            .failed: Style(modifiers: [.reverse, .bold, .underline]),
            .starting: Style(modifiers: .reverse),
            .trainLoss: Style(modifiers: .bold),
            .testSeries: Style(modifiers: .bold),
            .validationSeries: Style(modifiers: .underline),
            .learningRateMarker: Style(modifiers: .bold),
            .pauseMarker: Style(modifiers: .bold),
            .axis: Style(modifiers: .dim),
            .right: Style(modifiers: .bold),
            .wrong: Style(modifiers: [.reverse]),
            .barTrack: Style(modifiers: .dim),
            .decrease: Style(modifiers: .bold),
            .selection: Style(modifiers: [.reverse, .bold]),
            .message: Style(modifiers: .bold),
            .error: Style(modifiers: [.bold, .underline]),
        ], hasColor: false)
}
