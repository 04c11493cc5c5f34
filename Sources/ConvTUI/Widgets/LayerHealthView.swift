import ConvProtocol

/// The layer-health screen: for every layer with parameters its weight norm, gradient norm and
/// update/weight ratio over the run as sparklines (log scale) with the latest value, flagged when
/// the layer has stopped learning or explodes, and the fraction of dead units of the ReLU fused
/// into it; then the ReLUs that stand alone.
public struct LayerHealthView: Widget {
    public var history: LayerHealthHistory
    public var theme: Theme

    public init(history: LayerHealthHistory, theme: Theme) {
        self.history = history
        self.theme = theme
    }

    private enum Row {
        case heading([String])
        case layer(LayerHealthHistory.LayerSeries, dead: LayerHealthHistory.ActivationSeries?)
        case activation(LayerHealthHistory.ActivationSeries)
    }

    /// A batch norm's fused ReLU carries the batch norm's name and shares its row, so that
    /// resnet9's 17 layers fit an 80x24 terminal; other ReLUs get rows of their own.
    private var rows: [Row] {
        let layerNames = Set(history.layers.map(\.name))
        let dead = Dictionary(history.activations.map { ($0.name, $0) }) { a, _ in a }
        let alone = history.activations.filter { !layerNames.contains($0.name) }
        return [.heading(["layer", "weight norm", "gradient norm", "update/weight", "dead"])]
            + history.layers.map { Row.layer($0, dead: dead[$0.name]) }
            + (alone.isEmpty ? [] : [.heading(["ReLU", "", "", "", "dead"])] + alone.map(Row.activation))
    }

    public func render(area: Rect, buffer: inout Buffer) {
        guard !area.isEmpty else { return }
        guard let step = history.latestStep else {
            buffer.setString(
                x: area.x, y: area.y, "Layer health: no sample yet (one is taken every few training steps)",
                style: theme[.title], maxWidth: area.width)
            return
        }
        let flagged = history.layers.filter { $0.latest.condition != .learning }.count
        buffer.setString(
            x: area.x, y: area.y,
            "Layer health at step \(step), over the run (log scale)"
                + (flagged > 0 ? ": \(flagged) layer\(flagged == 1 ? "" : "s") flagged" : ""),
            style: theme[.title], maxWidth: area.width)
        let names = history.layers.map(\.name.count) + history.activations.map(\.name.count)
        let nameWidth = min(18, max(5, names.max() ?? 0))
        let deadWidth = 7, flagWidth = 9, valueWidth = 8
        let columnWidth = max(valueWidth + 2, (area.width - nameWidth - deadWidth - flagWidth - 3) / 3)
        let all = rows, room = max(0, area.height - 2)
        let shown = all.count > room ? Array(all.prefix(max(0, room - 1))) : all
        for (offset, row) in shown.enumerated() {
            let y = area.y + 2 + offset
            var x = area.x + nameWidth + 1
            func name(_ text: String, _ role: Role) {
                buffer.setString(x: area.x, y: y, Format.truncate(text, nameWidth), style: theme[role])
            }
            func figure(_ series: Series?, _ value: String, role: Role) {
                let sparkWidth = columnWidth - valueWidth - 2
                if let series {
                    Sparkline(values: series.points.map(\.y), logScale: true, style: theme[role == .text ? .bar : role])
                        .render(area: Rect(x: x, y: y, width: sparkWidth, height: 1), buffer: &buffer)
                }
                buffer.setString(x: x + sparkWidth + 1, y: y, Format.padLeft(value, valueWidth), style: theme[role])
                x += columnWidth
            }
            func dead(_ activation: LayerHealthHistory.ActivationSeries?) {
                guard let activation else { return }
                // Half the units dead in a whole batch is far beyond the few percent of a healthy net.
                let fraction = Double(activation.latest.deadFraction)
                buffer.setString(
                    x: x, y: y, Format.padLeft(Format.percent(fraction), deadWidth),
                    style: theme[fraction >= 0.5 ? .wrong : .text])
            }
            switch row {
            case .heading(let titles):
                name(titles[0], .label)
                for title in titles.dropFirst().dropLast() {
                    buffer.setString(x: x, y: y, title, style: theme[.label], maxWidth: columnWidth)
                    x += columnWidth
                }
                buffer.setString(x: x, y: y, Format.padLeft(titles.last!, deadWidth), style: theme[.label])
            case .layer(let layer, let activation):
                let condition = layer.latest.condition
                let role: Role = condition == .learning ? .text : .wrong
                name(layer.name, role)
                figure(layer.weightNorm, Format.compact(layer.latest.weightNorm), role: .text)
                figure(layer.gradientNorm, Format.compact(layer.latest.gradientNorm), role: .text)
                figure(layer.updateRatio, Format.compact(layer.latest.updateRatio), role: role)
                dead(activation)
                if condition != .learning {
                    buffer.setString(
                        x: x + deadWidth + 1, y: y, condition.rawValue, style: theme[.wrong], maxWidth: flagWidth)
                }
            case .activation(let activation):
                name(activation.name, .text)
                x += 3 * columnWidth
                dead(activation)
            }
        }
        if shown.count < all.count {
            buffer.setString(
                x: area.x, y: area.y + 2 + shown.count,
                "… \(all.count - shown.count) more rows: a taller terminal shows them", style: theme[.dim],
                maxWidth: area.width)
        }
    }
}
