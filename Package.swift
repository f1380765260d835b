// swift-tools-version:6.1
// image-verifier: decides whether a container image may pass a deployment gate.
// Layering (see docs/ARCHITECTURE.md): C shims -> primitives/value types -> access/verification/scanning -> ImageGate -> CLI.
import PackageDescription

let swiftSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "image-verifier",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "ImageGate", targets: ["ImageGate"]),
        // The lower modules on their own, for the fuzz harnesses in Fuzzing/ (a separate package that builds only the
        // parsers it exercises, without the registry client and CLI).
        .library(name: "CryptoPrimitives", targets: ["CryptoPrimitives"]),
        .library(name: "OCIImage", targets: ["OCIImage"]),
        .library(name: "SignatureVerification", targets: ["SignatureVerification"]),
        .library(name: "ManifestScanner", targets: ["ManifestScanner"]),
        .library(name: "TUF", targets: ["TUF"]),
        .library(name: "AdmissionFormats", targets: ["AdmissionFormats"]),
        .executable(name: "verify-image", targets: ["verify-image"]),
        .executable(name: "verify-image-bench", targets: ["verify-image-bench"]),
        .executable(name: "verify-image-tuf-client", targets: ["verify-image-tuf-client"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.0.0"),
        // The admission server (issue 10). Hummingbird without its swift-configuration trait: one dependency less to build.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        // Golden files of the CLI's output (CLITests.GoldenOutputTests); only its SnapshotTesting product is built.
        .package(url: "https://github.com/pointfreeco/swift-snapshot-testing", from: "1.17.0"),
    ],
    targets: [
        // Layer 0: system libraries.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Layer 1.
        .target(name: "CryptoPrimitives", dependencies: ["COpenSSL"], swiftSettings: swiftSettings),
        .target(name: "OCIImage", dependencies: [], swiftSettings: swiftSettings),
        .target(name: "GateVerdict", dependencies: [], swiftSettings: swiftSettings),
        // The strict JSON tree parser of TUF metadata and admission request bodies.
        .target(name: "StrictJSON", dependencies: [], swiftSettings: swiftSettings),
        // Layer 2.
        .target(name: "RegistryAccess",
                dependencies: ["OCIImage", "CryptoPrimitives",
                               .product(name: "AsyncHTTPClient", package: "async-http-client"),
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "NIOHTTP1", package: "swift-nio"),
                               .product(name: "NIOSSL", package: "swift-nio-ssl")],
                swiftSettings: swiftSettings),
        .target(name: "SignatureVerification", dependencies: ["CryptoPrimitives", "OCIImage", "GateVerdict", "StrictJSON"], swiftSettings: swiftSettings),
        // TUF metadata, verification and the client workflow, without a network stack (the fuzz harnesses link it);
        // TUFDownload adds the HTTP / file fetcher.
        .target(name: "TUF", dependencies: ["CryptoPrimitives", "StrictJSON"], swiftSettings: swiftSettings),
        .target(name: "TUFDownload",
                dependencies: ["TUF", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                               .product(name: "NIOCore", package: "swift-nio")],
                swiftSettings: swiftSettings),
        .target(name: "ManifestScanner", dependencies: ["OCIImage", "CZlib", .product(name: "Yams", package: "Yams")],
                swiftSettings: swiftSettings),
        .target(name: "PolicyFiles",
                dependencies: ["CryptoPrimitives", "OCIImage", "SignatureVerification", .product(name: "Yams", package: "Yams")],
                swiftSettings: swiftSettings),
        // Layer 3: the library product.
        .target(name: "ImageGate",
                dependencies: ["CryptoPrimitives", "OCIImage", "GateVerdict", "RegistryAccess", "SignatureVerification",
                               "ManifestScanner", "PolicyFiles", "TUF", "TUFDownload"],
                swiftSettings: swiftSettings),
        // Layer 4: the admission server (Kubernetes webhooks, Gatekeeper external data) and the executables.
        // AdmissionFormats decodes the request bodies and finds their images without the HTTP server (the fuzz
        // harnesses link it alone).
        .target(name: "AdmissionFormats", dependencies: ["ManifestScanner", "StrictJSON"], swiftSettings: swiftSettings),
        .target(name: "AdmissionServer",
                dependencies: ["ImageGate", "AdmissionFormats",
                               .product(name: "Hummingbird", package: "hummingbird"),
                               .product(name: "HummingbirdCore", package: "hummingbird"),
                               .product(name: "HummingbirdTLS", package: "hummingbird"),
                               .product(name: "Logging", package: "swift-log"),
                               .product(name: "Metrics", package: "swift-metrics"),
                               .product(name: "Prometheus", package: "swift-prometheus"),
                               .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                               .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "NIOSSL", package: "swift-nio-ssl")],
                swiftSettings: swiftSettings),
        .executableTarget(name: "verify-image",
                          dependencies: ["ImageGate", "AdmissionServer",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: swiftSettings),
        .executableTarget(name: "verify-image-tuf-client", dependencies: ["TUFDownload"], swiftSettings: swiftSettings),
        .executableTarget(name: "verify-image-bench", dependencies: ["ImageGate"], swiftSettings: swiftSettings),
        // Tests: shared test support (package paths, the CLI runner), one target per module, plus end-to-end tests
        // of the built CLI.
        .target(name: "TestSupport", dependencies: [], path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "CryptoPrimitivesTests", dependencies: ["CryptoPrimitives", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "OCIImageTests", dependencies: ["OCIImage", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "GateVerdictTests", dependencies: ["GateVerdict"], swiftSettings: swiftSettings),
        .testTarget(name: "RegistryAccessTests", dependencies: ["RegistryAccess", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "SignatureVerificationTests", dependencies: ["SignatureVerification", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "TUFTests", dependencies: ["TUF", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ManifestScannerTests", dependencies: ["ManifestScanner", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "PolicyFilesTests", dependencies: ["PolicyFiles", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ImageGateTests", dependencies: ["ImageGate", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "AdmissionServerTests",
                    dependencies: ["AdmissionServer", "AdmissionFormats", "TestSupport", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                   .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                                   .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Logging", package: "swift-log")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "CLITests",
                    dependencies: ["verify-image", "TestSupport",
                                   .product(name: "SnapshotTesting", package: "swift-snapshot-testing")],
                    exclude: ["__Snapshots__"], swiftSettings: swiftSettings),
    ]
)
