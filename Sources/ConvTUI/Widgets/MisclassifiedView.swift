import ConvProtocol

/// One misclassified image, enlarged when there is room, with its file (or its place in the split),
/// its true and predicted class, its loss, the three most probable classes as bars, and its place
/// in the (filtered) list.
public struct MisclassifiedView: Widget {
    public var images: [Prediction]
    public var index: Int
    public var filter: BrowserFilter
    public var classNames: [String]
    /// The split the images were evaluated on; nil before the first evaluation.
    public var split: Split?
    public var mode: ThumbnailMode
    public var theme: Theme
    /// The shown image's mark, when the person marked it.
    public var mark: ImageMark?
    /// The class the saliency overlay explains; nil shows none.
    public var saliencyTarget: SaliencyTarget?
    /// The shown image's map for `saliencyTarget`, once the session has sent it.
    public var overlay: SaliencyOverlay?

    public init(
        images: [Prediction], index: Int, filter: BrowserFilter, classNames: [String], split: Split?,
        mode: ThumbnailMode, theme: Theme, mark: ImageMark? = nil, saliencyTarget: SaliencyTarget? = nil,
        overlay: SaliencyOverlay? = nil
    ) {
        self.mark = mark
        self.images = images
        self.index = index
        self.filter = filter
        self.classNames = classNames
        self.split = split
        self.mode = mode
        self.theme = theme
        self.saliencyTarget = saliencyTarget
        self.overlay = overlay
    }

    /// The split as it starts a phrase ("validation "), or nothing before the first evaluation.
    private var splitPrefix: String { split.map { "\($0) " } ?? "" }

    private func name(_ i: Int) -> String { i >= 0 && i < classNames.count ? classNames[i] : "#\(i)" }

    /// The filter as the header writes it.
    public var filterText: String {
        switch filter {
        case .all: "all classes"
        case .trueClass(let t): "true class \(name(t))"
        case .predictedClass(let p): "predicted \(name(p))"
        case .cell(let t, let p): "true \(name(t)), predicted \(name(p))"
        }
    }

    /// A note as one line: its line breaks and tabs shown as spaces.
    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }

    public func render(area: Rect, buffer: inout Buffer) {
        guard !area.isEmpty else { return }
        let title = "Misclassified \(splitPrefix)images"
        let header =
            images.isEmpty
            ? "\(title): none (\(filterText))"
            : "\(title) \(index + 1)/\(images.count), highest loss first (\(filterText))"
        buffer.setString(x: area.x, y: area.y, header, style: theme[.title], maxWidth: area.width)
        guard images.indices.contains(index) else { return }
        let p = images[index]
        let body = Rect(x: area.x, y: area.y + 2, width: area.width, height: area.height - 2)
        let infoWidth = min(44, body.width / 2)
        let imageArea = (width: body.width - infoWidth - 2, height: body.height)
        var infoX = body.x
        if let scale = Thumbnail.largestScale(of: p.image.shape, fitting: imageArea) {
            let size = Thumbnail.cellSize(of: p.image.shape, scale: scale)
            Thumbnail(image: p.image, mode: mode, heat: overlay?.map)
                .render(area: Rect(x: body.x, y: body.y, width: size.width, height: size.height), buffer: &buffer)
            infoX = body.x + size.width + 2
        }
        let width = body.right - infoX
        var y = body.y
        func line(_ text: String, _ role: Role) {
            guard y < body.bottom else { return }
            buffer.setString(x: infoX, y: y, text, style: theme[role], maxWidth: width)
            y += 1
        }
        line(p.fileName.map { Format.truncateLeading($0, width) } ?? "\(splitPrefix)image #\(p.index)", .dim)
        line("true:      \(name(p.trueLabel))", .right)
        line("predicted: \(name(p.predictedLabel))", .wrong)
        line("loss:      \(Format.compact(Double(p.loss)))", .text)
        if let mark {
            line(
                "marked:    \(mark.kind.rawValue)" + (mark.note.isEmpty ? "" : " · \(Self.oneLine(mark.note))"), .error)
        }
        y += 1
        line("top 3", .label)
        let nameWidth = min(12, p.top.map { name($0.label).count }.max() ?? 0)
        for c in p.top.prefix(3) where y < body.bottom {
            let role: Role = c.label == p.trueLabel ? .right : c.label == p.predictedLabel ? .wrong : .text
            buffer.setString(
                x: infoX, y: y, Format.padRight(Format.truncate(name(c.label), nameWidth), nameWidth),
                style: theme[role])
            let barWidth = width - nameWidth - 9
            if barWidth >= 4 {
                BlockBar(
                    fraction: Double(c.probability), style: theme[role == .text ? .bar : role],
                    trackStyle: theme[.barTrack]
                )
                .render(area: Rect(x: infoX + nameWidth + 1, y: y, width: barWidth, height: 1), buffer: &buffer)
            }
            buffer.setString(
                x: infoX + width - 7, y: y, Format.padLeft(Format.percent(Double(c.probability)), 7),
                style: theme[.text])
            y += 1
        }
        guard let saliencyTarget else { return }
        y += 1
        line("where it looks (g)", .label)
        guard let overlay else { return line("asked the session for the \(saliencyTarget)…", .dim) }
        line("\(overlay.method), \(saliencyTarget) \(name(overlay.map.label))", .text)
        line(
            "at step \(overlay.step); predicted there: \(name(overlay.map.predictedLabel))",
            overlay.map.predictedLabel == p.trueLabel ? .right : .dim)
    }
}
