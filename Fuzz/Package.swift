// swift-tools-version:6.0
// The libFuzzer targets: the policy lexer, parser, validator and formatter (`CavraFuzz`), the API's request bodies
// (`CavraFuzzRequests`) and token verification (`CavraFuzzJWT`). A package of its own, so the sanitizer flags
// never touch the normal build: `make fuzz` builds and runs it (docs/fuzzing.md).
import PackageDescription

let package = Package(
    name: "cavra-fuzz",
    dependencies: [
        .package(name: "cavra", path: ".."),
        // The same range as the main package: the JWT target checks accepted signatures with it, independently of
        // the verifier.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // libFuzzer's driver and the bridge from its synchronous callback to async code, shared by the targets.
        .target(name: "FuzzSupport"),
        .executableTarget(
            name: "CavraFuzz",
            dependencies: ["FuzzSupport", .product(name: "CavraPolicy", package: "cavra")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        // `CavraDrills` and `CavraStore` (DrillService, Timestamp, SQLiteDrillStore) are not products of the main
        // package; they are built as dependencies of `CavraServer`, and imported as such.
        .executableTarget(
            name: "CavraFuzzRequests",
            dependencies: [
                "FuzzSupport",
                .product(name: "CavraServer", package: "cavra"),
                .product(name: "CavraJSON", package: "cavra"),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "CavraFuzzJWT",
            dependencies: [
                "FuzzSupport",
                .product(name: "CavraIdentity", package: "cavra"),
                .product(name: "CavraJSON", package: "cavra"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ],
    swiftLanguageModes: [.v6]
)
