// swift-tools-version:6.0
// The libFuzzer target for the policy lexer, parser, validator and formatter. A package of its own, so the
// sanitizer flags never touch the normal build: `make fuzz` builds and runs it.
import PackageDescription

let package = Package(
    name: "cavra-fuzz",
    dependencies: [.package(name: "cavra", path: "..")],
    targets: [
        .executableTarget(
            name: "CavraFuzz",
            dependencies: [.product(name: "CavraPolicy", package: "cavra")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    ],
    swiftLanguageModes: [.v6]
)
