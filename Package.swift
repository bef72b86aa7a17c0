// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "cavra",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cavra", targets: ["cavra"]),
        .library(name: "CavraPolicy", targets: ["CavraPolicy"]),
        .library(name: "CavraJSON", targets: ["CavraJSON"]),
        .library(name: "CavraIdentity", targets: ["CavraIdentity"]),
        .library(name: "CavraServer", targets: ["CavraServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
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
            dependencies: [
                "CavraDrills", "CavraJSON", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .target(
            name: "CavraIdentity",
            dependencies: [
                "CavraDrills",
                "CavraJSON",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .target(
            name: "CavraServer",
            dependencies: [
                "CavraJSON", "CavraPolicy", "CavraDrills", "CavraStore", "CavraIdentity",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Resources/console")],
            plugins: ["EmbedRepositoryFiles"]
        ),
        .executableTarget(
            name: "cavra",
            dependencies: [
                "CavraPolicy",
                "CavraJSON",
                "CavraDrills",
                "CavraStore",
                "CavraIdentity",
                "CavraServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
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
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]),
        .testTarget(
            name: "CavraIdentityTests",
            dependencies: [
                "CavraIdentity", "CavraDrills", "CavraJSON",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]),
        .plugin(name: "EmbedRepositoryFiles", capability: .buildTool()),
        // Shared by the test targets that run the built `cavra`.
        .target(name: "CavraTesting", path: "Tests/CavraTesting"),
        .testTarget(
            name: "CavraServerTests",
            dependencies: [
                "CavraJSON", "CavraDrills", "CavraIdentity", "CavraStore", "CavraServer", "CavraTesting", "cavra",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        .testTarget(
            name: "CavraCLITests",
            dependencies: ["CavraJSON", "CavraDrills", "CavraStore", "CavraPolicy", "CavraTesting", "cavra"]),
    ],
    swiftLanguageModes: [.v6]
)
