import Foundation
import Testing

@testable import ConvData

@Suite struct ResizedCropTests {
    @Test func boxesCoverTheAllowedAreaAndRatioAndStayInside() {
        let crop = ResizedCrop.standard
        // The last flag: every area in the scale range fits (100x40 holds no box of ratio at most
        // 4/3 larger than 53x40).
        for (width, height, aspect, roomy) in [
            (64, 64, 1.0, true), (100, 40, 1.0, false), (48, 32, 1.5, true), (7, 5, 1.0, false),
        ] {
            var areas = [Double]()
            for position in 0..<400 {
                var generator = SplitMix64(9, UInt64(position))
                let box = crop.box(width: width, height: height, outputAspect: aspect, using: &generator)
                #expect(box.x >= 0 && box.y >= 0 && box.x + box.width <= width && box.y + box.height <= height)
                #expect(box.width > 0 && box.height > 0)
                areas.append(Double(box.width * box.height) / Double(width * height))
                if width >= 48 {
                    // Rounding each side to whole pixels moves the ratio a little past its bounds.
                    let ratio = Double(box.width) / Double(box.height) / aspect
                    #expect(ratio > 0.75 * 0.9 && ratio < 4.0 / 3 * 1.1, "\\(box) of \\(width)x\\(height)")
                }
            }
            if roomy {
                #expect(areas.min()! > 0.2 && areas.max()! <= 1)
                #expect(areas.min()! < 0.35 && areas.max()! > 0.85)
            }
        }
        var first = SplitMix64(1, 2), second = SplitMix64(1, 2)
        #expect(
            crop.box(width: 50, height: 30, outputAspect: 1, using: &first)
                == crop.box(width: 50, height: 30, outputAspect: 1, using: &second))
    }

    @Test func aSourceTooNarrowForAnyRatioGivesTheCentreBox() {
        // 400x10 leaves no box of ratio at most 4/3 with a quarter of the area: torchvision's fallback.
        var generator = SplitMix64(5)
        let box = ResizedCrop.standard.box(width: 400, height: 10, outputAspect: 1, using: &generator)
        #expect(box == ImageResampler.CropBox(x: 193, y: 0, width: 13, height: 10))
    }

    @Test func aResizedCropOfTheWholeImageIsItsResize() {
        let image = ImageResamplerTests.grey(width: 12, height: 9) { x, y in UInt8(x * 20 + y) }
        let planes = ImageResampler.scaledCopy(image, covering: 100, factor: 1)
        #expect(planes == image.pixels)
        var output = [UInt8](repeating: 0, count: 16)
        planes.withUnsafeBufferPointer { planes in
            output.withUnsafeMutableBufferPointer {
                ImageResampler.resizedCrop(
                    planes: planes.baseAddress!, width: 12, height: 9, channels: 1,
                    box: ImageResampler.CropBox(x: 0, y: 0, width: 12, height: 9),
                    to: ImageSize(width: 4, height: 4), into: $0.baseAddress!)
            }
        }
        let stretched = ImageResampler.resampled(image, to: (4, 4), columns: 0..<4, rows: 0..<4)
        #expect(output == stretched)
        // A box of the left half, rows 3..<6: the same as resizing that part on its own.
        let part = ImageResamplerTests.grey(width: 6, height: 3) { x, y in UInt8(x * 20 + y + 3) }
        planes.withUnsafeBufferPointer { planes in
            output.withUnsafeMutableBufferPointer {
                ImageResampler.resizedCrop(
                    planes: planes.baseAddress!, width: 12, height: 9, channels: 1,
                    box: ImageResampler.CropBox(x: 0, y: 3, width: 6, height: 3),
                    to: ImageSize(width: 4, height: 4), into: $0.baseAddress!)
            }
        }
        #expect(output == ImageResampler.resampled(part, to: (4, 4), columns: 0..<4, rows: 0..<4))
    }

    @Test func sourceCopiesAreBoundedByTwiceTheImageSize() {
        #expect(ImageResampler.scaledCopySize(width: 1024, height: 768, covering: 32, factor: 2) == (85, 64))
        #expect(ImageResampler.scaledCopySize(width: 40, height: 30, covering: 32, factor: 2) == (40, 30))
        #expect(
            ImageResampler.scaledCopySize(
                width: 500, height: 500, covering: ImageSize(width: 48, height: 32), factor: 2)
                == (96, 96))
    }
}
