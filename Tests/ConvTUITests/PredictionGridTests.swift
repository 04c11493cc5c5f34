import ConvTUI
import Testing

@Suite struct PredictionGridTests {
    private func grid(samples: Int) -> PredictionGrid {
        PredictionGrid(
            samples: SampleRun.evaluation(epoch: 1, step: 100, sampleCount: samples).samples,
            classNames: SampleRun.classNames, mode: .ascii, theme: .color)
    }

    private func shown(_ grid: PredictionGrid, _ width: Int, _ height: Int) -> (width: Int, count: Int) {
        let layout = grid.grid(in: Rect(x: 0, y: 0, width: width, height: height))!
        return (layout.cell.width, min(grid.samples.count, layout.columns * layout.rows))
    }

    @Test func halfSizeThumbnailsWithMarkedLabels() {
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 90, height: 9))
        grid(samples: 6).render(area: buffer.area, buffer: &buffer)
        // Six 28x28 images at half size: 14x7 cells each, one blank column between slots.
        let thumb = String(repeating: " ", count: 7) + String(repeating: "@", count: 7) + " "
        #expect(buffer.lines[0] == String(repeating: thumb, count: 6))
        #expect(
            buffer.lines[7]
                == "✓ T-shirt/top  ✓ Trouser      ✓ Pullover     ✓ Dress        ✗ Shirt        ✓ Sandal       ")
        #expect(buffer[0, 7].style == Theme.color[.right])
        #expect(buffer[60, 7].style == Theme.color[.wrong])
        #expect(buffer.lines[8].allSatisfy { $0 == " " })
    }

    @Test func smallerThumbnailsRatherThanFewerThanSix() {
        // The grid's part of a 100x30 dashboard: at half size only three would fit in one row;
        // at 10x5 cells two rows of five do.
        let (width, count) = shown(grid(samples: 32), 58, 12)
        #expect(width == 10 && count == 10)
        // 80x24: 8x4 cells, two rows of four.
        #expect(shown(grid(samples: 32), 38, 10) == (8, 8))
    }

    @Test func largerAreasShowMoreAndLargerThumbnails() {
        let sizes = [(38, 10), (58, 12), (102, 22), (150, 40)].map { shown(grid(samples: 32), $0.0, $0.1) }
        #expect(zip(sizes, sizes.dropFirst()).allSatisfy { $0.count <= $1.count && $0.width <= $1.width })
        #expect(sizes.last!.count == 32)
    }

    @Test func growsToFullSizeWhenEverySampleFits() {
        #expect(shown(grid(samples: 6), 180, 15) == (28, 6))
        #expect(shown(grid(samples: 6), 120, 15).width == 19)
    }
}
