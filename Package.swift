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
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
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
        .target(
            name: "CavraDrills",
            dependencies: ["CavraPolicy", "CavraJSON", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Resources/sample")]
        ),
        .target(
            name: "CavraStore",
            dependencies: ["CavraDrills", "CavraJSON", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "CavraIdentity",
            dependencies: [
                "CavraDrills",
                "CavraJSON",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "cavra",
            dependencies: [
                "CavraPolicy",
                "CavraJSON",
                "CavraDrills",
                "CavraStore",
                "CavraIdentity",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "CavraJSONTests", dependencies: ["CavraJSON"]),
        .testTarget(name: "CavraPolicyTests", dependencies: ["CavraPolicy", "CavraJSON"]),
        .testTarget(
            name: "CavraDrillsTests", dependencies: ["CavraDrills", "CavraPolicy", "CavraJSON"], exclude: ["Fixtures"]),
        .testTarget(
            name: "CavraStoreTests",
            dependencies: [
                "CavraStore", "CavraDrills", "CavraPolicy", "CavraJSON", "CavraTesting", "cavra",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "CavraIdentityTests",
            dependencies: [
                "CavraIdentity", "CavraDrills", "CavraJSON",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ]),
        // Shared by the test targets that run the built `cavra`.
        .target(name: "CavraTesting", path: "Tests/CavraTesting"),
        .testTarget(
            name: "CavraCLITests",
            dependencies: ["CavraJSON", "CavraDrills", "CavraStore", "CavraPolicy", "CavraTesting", "cavra"]),
    ],
    swiftLanguageModes: [.v6]
)
