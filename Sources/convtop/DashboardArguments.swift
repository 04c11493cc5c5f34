import ArgumentParser
import ConvTUI

/// `--no-color` and `--thumbnails`: how every command that opens the dashboard draws it.
struct DashboardArguments: ParsableArguments {
    @Flag(help: "Dashboard without colours (NO_COLOR is honoured too).")
    var noColor = false

    @Option(
        help: ArgumentHelp(
            "Dashboard thumbnails: auto draws half blocks where there is colour, ascii a luminance ramp.",
            valueName: "mode"))
    var thumbnails: DashboardOptions.Thumbnails = .automatic

    var colorPreference: ColorPreference { noColor ? .never : .automatic }
    var options: DashboardOptions { DashboardOptions(thumbnails: thumbnails) }
}
