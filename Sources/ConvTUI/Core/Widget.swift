/// Something that draws itself into a part of a buffer. Rendering is pure: a widget never touches the terminal.
public protocol Widget {
    func render(area: Rect, buffer: inout Buffer)
}
