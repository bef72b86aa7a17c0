// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "cavra",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cavra", targets: ["cavra"]),
        .library(name: "CavraPolicy", targets: ["CavraPolicy"]),
        .library(name: "CavraJSON", targets: ["CavraJSON"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CJansson",
            pkgConfig: "jansson",
            providers: [.apt(["libjansson-dev"])]
        ),
        .target(
            name: "CavraJSON",
            dependencies: [
                "CJansson",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "CavraPolicy",
            dependencies: ["CavraJSON"]
        ),
        .executableTarget(
            name: "cavra",
            dependencies: [
                "CavraPolicy",
                "CavraJSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "CavraJSONTests", dependencies: ["CavraJSON"]),
        .testTarget(name: "CavraPolicyTests", dependencies: ["CavraPolicy", "CavraJSON"]),
        .testTarget(name: "CavraCLITests", dependencies: ["CavraJSON", "cavra"]),
    ],
    swiftLanguageModes: [.v6]
)
