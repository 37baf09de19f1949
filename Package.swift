// swift-tools-version:6.0
// reformer-tui: a Reformer engine (Kitaev et al., ICLR 2020) with an ncurses dashboard.
import PackageDescription

let package = Package(
    name: "reformer-tui",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "reformer-tui", targets: ["reformer-tui"]),
        .library(name: "ReformerEngine", targets: ["ReformerEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        .systemLibrary(name: "CNcurses", providers: [.apt(["libncurses-dev"])]),
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "CTermGuard"),
        .target(name: "CFileSystem"),
        .target(name: "ReformerTelemetry"),
        .target(name: "ReformerTUI", dependencies: ["ReformerTelemetry", "CNcurses", "CTermGuard"]),
        .target(
            name: "ReformerEngine",
            dependencies: [.target(name: "CBLAS", condition: .when(platforms: [.linux])), "CFileSystem", "ReformerTelemetry"],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        .target(name: "ReformerTestSupport", dependencies: ["ReformerEngine"]),
        .executableTarget(
            name: "reformer-tui",
            dependencies: [
                "ReformerEngine", "ReformerTUI", "ReformerTelemetry", "CTermGuard", "CNcurses",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "ReformerEngineTests",
            dependencies: ["ReformerEngine", "ReformerTestSupport"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "TermGuardTests", dependencies: ["CTermGuard"]),
        .testTarget(name: "ReformerTelemetryTests", dependencies: ["ReformerTelemetry"]),
        .testTarget(name: "ReformerTUITests", dependencies: ["ReformerTUI", "ReformerTelemetry"], exclude: ["Goldens"]),
    ]
)
