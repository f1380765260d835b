import Foundation
import OCIImage
import Testing
@testable import ManifestScanner

private let hex64 = "0bc88eb15f9e7f84e8e56c14fa5735aaa488b840983f87bd79b1054190e660de"
private let hex128 = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"

struct ClassifierCase: CustomTestStringConvertible, Sendable {
    let input: String
    let status: PinStatus
    let reference: String?
    var testDescription: String { input }
}

@Test(arguments: [
    ClassifierCase(input: "nginx@sha256:\(hex64)", status: .pinned, reference: "docker.io/library/nginx@sha256:\(hex64)"),
    ClassifierCase(input: "nginx:1.25@sha256:\(hex64)", status: .pinned, reference: "docker.io/library/nginx@sha256:\(hex64)"),
    ClassifierCase(input: "localhost:5000/a/b@sha256:\(hex64)", status: .pinned, reference: "localhost:5000/a/b@sha256:\(hex64)"),
    ClassifierCase(input: "ghcr.io/x/y@sha512:\(hex128)", status: .pinned, reference: "ghcr.io/x/y@sha512:\(hex128)"),
    ClassifierCase(input: "nginx:1.25", status: .tag, reference: "docker.io/library/nginx:1.25"),
    ClassifierCase(input: "nginx:latest", status: .tag, reference: "docker.io/library/nginx:latest"),
    ClassifierCase(input: "quay.io/prometheus/prometheus:v3.14.0-distroless", status: .tag, reference: "quay.io/prometheus/prometheus:v3.14.0-distroless"),
    ClassifierCase(input: "registry:5000/app", status: .implicitLatest, reference: "registry:5000/app:latest"),
    ClassifierCase(input: "busybox", status: .implicitLatest, reference: "docker.io/library/busybox:latest"),
    ClassifierCase(input: "index.docker.io/library/busybox", status: .implicitLatest, reference: "docker.io/library/busybox:latest"),
    // malformed digests
    ClassifierCase(input: "nginx@sha256:abc", status: .malformedDigest, reference: nil),
    ClassifierCase(input: "nginx@sha256:\(hex64.uppercased())", status: .malformedDigest, reference: nil),
    ClassifierCase(input: "nginx@md5:\(hex64.prefix(32))", status: .malformedDigest, reference: nil),
    ClassifierCase(input: "nginx@SHA256:\(hex64)", status: .malformedDigest, reference: nil),
    ClassifierCase(input: "nginx@sha384:\(hex128.prefix(96))", status: .malformedDigest, reference: nil),
    ClassifierCase(input: "nginx:@sha256:\(hex64)", status: .malformedDigest, reference: nil),
    ClassifierCase(input: "nginx@sha256:\(hex64):1.25", status: .malformedDigest, reference: nil),
    ClassifierCase(input: "nginx@\(hex64)", status: .malformedDigest, reference: nil),
    ClassifierCase(input: "nginx@sha256:", status: .malformedDigest, reference: nil),
    ClassifierCase(input: "nginx@sha256:\(hex64)@sha256:\(hex64)", status: .malformedDigest, reference: nil),
    ClassifierCase(input: "nginx@sha256:\(hex64.dropLast())g", status: .malformedDigest, reference: nil),
    ClassifierCase(input: "nginx@sha256:\(hex64)0", status: .malformedDigest, reference: nil),
    // placeholders
    ClassifierCase(input: "nginx@sha256:" + String(repeating: "0", count: 64), status: .placeholderDigest, reference: "docker.io/library/nginx@sha256:" + String(repeating: "0", count: 64)),
    ClassifierCase(input: "nginx@sha256:" + String(repeating: "0123456789abcdef", count: 4), status: .placeholderDigest, reference: "docker.io/library/nginx@sha256:" + String(repeating: "0123456789abcdef", count: 4)),
    ClassifierCase(input: "nginx@sha256:" + String(repeating: "deadbeef", count: 8), status: .placeholderDigest, reference: "docker.io/library/nginx@sha256:" + String(repeating: "deadbeef", count: 8)),
    ClassifierCase(input: "nginx@sha256:" + String(repeating: "1234567890", count: 6) + "1234", status: .placeholderDigest, reference: "docker.io/library/nginx@sha256:" + String(repeating: "1234567890", count: 6) + "1234"),
    // The reference case's fake pin: a short prefix in front of a counting pattern.
    ClassifierCase(input: "nginx@sha256:a1b2c3d4e5f67890123456789012345678901234567890123456789012345678", status: .placeholderDigest, reference: "docker.io/library/nginx@sha256:a1b2c3d4e5f67890123456789012345678901234567890123456789012345678"),
    ClassifierCase(input: "nginx@sha256:ab" + String(repeating: "0", count: 62), status: .placeholderDigest, reference: "docker.io/library/nginx@sha256:ab" + String(repeating: "0", count: 62)),
    // templated, inherited, not references
    ClassifierCase(input: "{{ .Values.image }}", status: .templated, reference: nil),
    ClassifierCase(input: "repo:{{ .Values.tag }}", status: .templated, reference: nil),
    ClassifierCase(input: "", status: .inherited, reference: nil),
    ClassifierCase(input: "Nginx Latest", status: .error, reference: nil),
    ClassifierCase(input: "nginx:", status: .error, reference: nil),
    ClassifierCase(input: "nginx:-bad", status: .error, reference: nil),
    ClassifierCase(input: "library/UPPER:1", status: .error, reference: nil),
])
func classify(_ c: ClassifierCase) {
    let result = PinClassifier.classify(c.input)
    #expect(result.status == c.status, "\(c.input): \(result.note ?? "")")
    #expect(result.reference == c.reference)
    if c.status == .malformedDigest || c.status == .placeholderDigest || c.status == .error {
        #expect(result.note != nil, "a refusal must say why")
    }
}

@Test func realDigestsAreNotPlaceholders() {
    // Real sha256 values from the corpus must never be called fake.
    for hex in [hex64, "05a31dc4185b042e91f4d2183689ac8a87bd845713d5c3f987563c5899878271",
                "3773afcdeb5662c31576f1a9a0ee10bced7af2e80842ca06a186a50497e149a5",
                "f3b6b39a6062328c095337b4cadcefd1612348fdd5190b1dcbcb9b9e90bd8068",
                "64d8c73dca984af206adf9d6d7e46aa550362b1d7a01f3a0a91b20cc67868660"] {
        #expect(PinClassifier.placeholderReason(Substring(hex)) == nil, "\(hex)")
    }
}

@Test func referenceMatchesOCIImageNormalization() throws {
    // The reference in findings is OCIImage's docker reference, not a second grammar.
    for input in ["nginx", "nginx:1.25", "quay.io/a/b:c", "nginx:1@sha256:\(hex64)", "localhost/x"] {
        let expected = try ImageReference.parseDockerReference(input).string
        #expect(PinClassifier.classify(input).reference == expected)
    }
}

/// The reference case of issue 15: `latest@sha256:a1b2c3d4e5f6789012345678901234567890123456` padded to 64 hex
/// characters (with zeros, by counting on, or with hex that looks random) is mostly a counting pattern.
@Test(arguments: [String(repeating: "0", count: 22), "7890123456789012345678", "3fb27db114928fc11915e0"])
func referenceCaseDigestIsAPlaceholder(padding: String) {
    let hex = "a1b2c3d4e5f6789012345678901234567890123456" + padding
    #expect(hex.count == 64)
    let result = PinClassifier.classify("nginx:latest@sha256:" + hex)
    #expect(result.status == .placeholderDigest, "\(result.note ?? "")")
    #expect(result.note?.contains("looks fake") == true)
}

@Test func sha256OfManyInputsIsNeverCalledAPlaceholder() {
    // 5,000 random 256-bit values look like hashes: none may be called fake (a chance pattern covering 40 of 64
    // characters is far rarer than one in 10^20).
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<5_000 {
        let hex = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        #expect(PinClassifier.placeholderReason(Substring(hex)) == nil, "\(hex)")
    }
}
