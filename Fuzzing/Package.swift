// swift-tools-version:6.1
// libFuzzer harnesses for every parser of untrusted bytes (docs/ARCHITECTURE.md, "Fuzzing and sanitizers").
// A separate package so the normal `swift build --build-tests` never sees them; it builds only the modules the
// harnesses need (no HTTP client or server, no CLI). Build and run through scripts/fuzz.sh, which passes
// `--sanitize fuzzer -Xswiftc -sanitize=fuzzer,address` (libFuzzer supplies `main`).
import PackageDescription

let swiftSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

/// Each harness: an executable whose only entry point is `LLVMFuzzerTestOneInput`.
let harnesses: [(name: String, modules: [String])] = [
    ("fuzz-reference", ["OCIImage"]),
    ("fuzz-manifest", ["OCIImage"]),
    ("fuzz-bundle", ["SignatureVerification", "CryptoPrimitives"]),
    ("fuzz-cosign-layer", ["SignatureVerification", "CryptoPrimitives"]),
    ("fuzz-tlog-entry", ["SignatureVerification", "CryptoPrimitives"]),
    ("fuzz-checkpoint", ["SignatureVerification", "CryptoPrimitives"]),
    ("fuzz-certificate", ["SignatureVerification", "CryptoPrimitives"]),
    ("fuzz-sct", ["CryptoPrimitives"]),
    ("fuzz-timestamp", ["CryptoPrimitives"]),
    ("fuzz-yaml", ["ManifestScanner"]),
    ("fuzz-chart", ["ManifestScanner"]),
    ("fuzz-tuf-metadata", ["TUF", "CryptoPrimitives"]),
    ("fuzz-admission-review", ["AdmissionFormats", "ManifestScanner"]),
]

let package = Package(
    name: "image-verifier-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "image-verifier", path: "..")],
    targets: [
        .target(name: "FuzzSupport", swiftSettings: swiftSettings),
    ] + harnesses.map { harness in
        .executableTarget(name: harness.name,
                          dependencies: ["FuzzSupport"] + harness.modules.map { .product(name: $0, package: "image-verifier") },
                          swiftSettings: swiftSettings)
    }
)
