// swift-tools-version:6.0
import PackageDescription

// The engine's SIMD kernels are only vectorised when the compiler may use the
// host's vector units; without a target CPU `SIMD16<Float>` is scalarised.
let nativeCPU: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "native", "-Ounchecked"])]

let package = Package(
    name: "convtop",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "convtop", targets: ["convtop"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        .systemLibrary(name: "CNCurses", path: "Sources/CNCurses"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG"),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG"),
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        // The AVX512-BF16 kernels carry their own target attributes, so the C target itself is
        // built for any x86-64 and its cpuid check runs everywhere.
        .target(name: "CBF16Kernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "CPrefetch"),
        // AVX-512 transforms with their own target attributes, as CBF16Kernels.
        .target(name: "CWinograd", cSettings: [.unsafeFlags(["-O3"])]),
        .target(
            name: "ConvEngine", dependencies: ["CBF16Kernels", "CPrefetch", "CWinograd"], swiftSettings: nativeCPU),
        .target(name: "ConvData", dependencies: ["CZlib", "CPNG", "CJPEG"], swiftSettings: nativeCPU),
        .target(name: "ConvProtocol"),
        .target(name: "ConvTraining", dependencies: ["ConvEngine", "ConvData", "ConvProtocol", "CMPI"]),
        .target(name: "ConvTUI", dependencies: ["ConvProtocol", "CNCurses"]),
        .executableTarget(
            name: "convtop",
            dependencies: [
                "ConvEngine", "ConvData", "ConvProtocol", "ConvTraining", "ConvTUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "ConvEngineTests", dependencies: ["ConvEngine"], resources: [.copy("Fixtures")]),
        .executableTarget(name: "checkpoint-writer", dependencies: ["ConvEngine"], path: "Tests/CheckpointWriter"),
        .testTarget(name: "ConvDataTests", dependencies: ["ConvData", "CZlib", "CPNG", "CJPEG", "ImageFixtures"]),
        .target(name: "ImageFixtures", dependencies: ["CZlib", "CPNG", "CJPEG"], path: "Tests/ImageFixtures"),
        .testTarget(name: "ConvProtocolTests", dependencies: ["ConvProtocol"]),
        .testTarget(
            name: "ConvTrainingTests", dependencies: ["ConvTraining", "ConvProtocol", "ConvEngine", "ConvData"]),
        .testTarget(name: "ConvTUITests", dependencies: ["ConvTUI", "ConvProtocol", "TmuxHarness"]),
        .target(name: "TmuxHarness", path: "Tests/TmuxHarness"),
        .testTarget(
            name: "convtopTests",
            dependencies: ["TmuxHarness", "ImageFixtures", "ConvEngine", "ConvData", "ConvProtocol", "ConvTraining"]),
        .executableTarget(
            name: "soak",
            dependencies: [
                "TmuxHarness", "ConvEngine", "ConvProtocol", "ConvTraining", "ConvTUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], path: "Tests/Soak"),
    ]
)
