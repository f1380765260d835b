import CryptoPrimitives
import Foundation
import GateVerdict
import TestSupport
import Testing
@testable import SignatureVerification

/// containers/image's real cosign fixtures (testdata/containers-image/README.md), through the cosign layer adapter and
/// the one verifier.
enum ContainersImage {
    static let root = PackagePaths.testdata("containers-image")

    /// Decodes a `dir:` transport signature file into a cosign layer.
    static func layer(_ path: String) throws -> CosignLayer {
        let data = try Data(contentsOf: root.appendingPathComponent(path))
        let prefix = Data("\u{0}sigstore-json\n".utf8)
        guard data.starts(with: prefix) else { throw CocoaError(.fileReadCorruptFile) }
        let object = try JSONSerialization.jsonObject(with: data.dropFirst(prefix.count)) as? [String: Any] ?? [:]
        let payload = Data(base64Encoded: object["payload"] as? String ?? "") ?? Data()
        return CosignLayer(mediaType: object["mimeType"] as? String ?? "", payload: Array(payload),
                           annotations: object["annotations"] as? [String: String] ?? [:])
    }

    static func layers(_ fixture: String) throws -> [CosignLayer] {
        let names = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(fixture).path)
        return try names.filter { $0.hasPrefix("signature-") }.sorted().map { try layer("\(fixture)/\($0)") }
    }

    static func imageDigest(_ fixture: String) throws -> String {
        let bytes = try Data(contentsOf: root.appendingPathComponent("\(fixture)/manifest.json"))
        return "sha256:" + HashAlgorithm.sha256.hash(bytes).hexString
    }

    static func key(_ name: String) throws -> PublicKey {
        try PublicKey(pem: String(contentsOf: root.appendingPathComponent(name), encoding: .utf8))
    }

    static func keyVerifier(_ name: String, tlog: Bool = false) throws -> EvidenceVerifier {
        EvidenceVerifier(policy: try VerificationPolicy(trust: .init(trustedRoot: tlog ? try TrustedRoot.production() : nil),
                                                        signers: .keys([try key(name)]), insecureIgnoreTransparencyLog: !tlog))
    }

    /// The report for one layer verified for an image digest, as ImageVerifier does it.
    static func report(_ verifier: EvidenceVerifier, _ layer: CosignLayer, imageDigest: String) -> SignatureReport {
        var keyBased = false
        if case .keys = verifier.policy.signers { keyBased = true }
        let artifact = Artifact.parseDigest(imageDigest).map { Artifact.digest($0.0, $0.1) } ?? .digests([:])
        return verifier.report(kind: layer.kind.rawValue, source: "test", artifact: artifact,
                               currentTime: verifier.policy.requiresTransparencyLog ? nil : Date()) {
            try SignedEvidence(cosignLayer: layer, keyBased: keyBased)
        }
    }

    /// Whether any layer of the fixture verifies (cosign: one valid signature suffices).
    static func passes(_ fixture: String, _ verifier: EvidenceVerifier, layers: [CosignLayer]? = nil) throws -> Bool {
        let digest = try imageDigest(fixture)
        return try (layers ?? Self.layers(fixture)).contains { report(verifier, $0, imageDigest: digest).verified }
    }
}

@Test(arguments: [
    ("dir-img-cosign-valid", "cosign.pub", true),
    ("dir-img-cosign-valid", "cosign2.pub", false),
    ("dir-img-cosign-valid-2", "cosign.pub", true),
    ("dir-img-cosign-valid-with-tag", "cosign.pub", true),
    ("dir-img-cosign-mixed", "cosign.pub", true),
    ("dir-img-cosign-modified-manifest", "cosign.pub", false),
    ("dir-img-cosign-manifest-digest-error", "cosign.pub", false),
    ("dir-img-cosign-other-attachment", "cosign.pub", false),
    ("dir-img-unsigned", "cosign.pub", false),
])
func containersImageKeyFixtures(_ fixture: String, _ key: String, _ expected: Bool) throws {
    #expect(try ContainersImage.passes(fixture, try ContainersImage.keyVerifier(key)) == expected)
}

@Test func anUnknownKeySignatureFails() throws {
    let layer = try ContainersImage.layer("unknown-cosign-key.signature")
    let report = ContainersImage.report(try ContainersImage.keyVerifier("cosign.pub"), layer,
                                        imageDigest: try ContainersImage.imageDigest("dir-img-cosign-valid"))
    #expect(!report.verified)
    #expect(report.failureReasons == [.keyMismatch])
}

@Test func aKeySignatureWithARekorSETVerifies() throws {
    let fixture = "dir-img-cosign-key-rekor-valid"
    let verifier = try ContainersImage.keyVerifier("cosign2.pub", tlog: true)
    let layer = try #require(try ContainersImage.layers(fixture).first)
    let report = ContainersImage.report(verifier, layer, imageDigest: try ContainersImage.imageDigest(fixture))
    #expect(report.verified, "\(report.checks)")
    #expect(report.tlogIndex == 11_608_800)
    #expect(report.integratedTime == "2023-01-20T21:57:39Z")
    // Without the SET, Rekor evidence is missing.
    var annotations = layer.annotations
    annotations[CosignLayer.rekorBundleAnnotation] = nil
    let bare = CosignLayer(mediaType: layer.mediaType, payload: layer.payload, annotations: annotations)
    #expect(try !ContainersImage.passes(fixture, verifier, layers: [bare]))
    // Garbage instead of the SET.
    annotations[CosignLayer.rekorBundleAnnotation] = "{\"SignedEntryTimestamp\":\"AAAA\"}"
    #expect(try !ContainersImage.passes(fixture, verifier, layers: [CosignLayer(mediaType: layer.mediaType, payload: layer.payload, annotations: annotations)]))
    // The SET transplanted onto another (valid, key-signed) signature: the log entry records another signature.
    let other = try #require(try ContainersImage.layers("dir-img-cosign-valid").first)
    var moved = other.annotations
    moved[CosignLayer.rekorBundleAnnotation] = layer.annotations[CosignLayer.rekorBundleAnnotation]
    let transplanted = CosignLayer(mediaType: other.mediaType, payload: other.payload, annotations: moved)
    let report2 = ContainersImage.report(try ContainersImage.keyVerifier("cosign.pub", tlog: true), transplanted,
                                         imageDigest: try ContainersImage.imageDigest("dir-img-cosign-valid"))
    #expect(!report2.verified)
    #expect(report2.failureReasons == [.tlogEntryMismatch])
}

@Test func aRealFulcioCertificateWithRekorVerifies() throws {
    let fixture = "dir-img-cosign-fulcio-rekor-valid"
    func verifier(_ email: String, tlog: Bool = true) throws -> EvidenceVerifier {
        EvidenceVerifier(policy: try VerificationPolicy(
            trust: .init(trustedRoot: try TrustedRoot.production()),
            signers: .identities([.init(issuer: .exact("https://github.com/login/oauth"), subject: .exact(email))]),
            insecureIgnoreTransparencyLog: !tlog))
    }
    let layer = try #require(try ContainersImage.layers(fixture).first)
    let digest = try ContainersImage.imageDigest(fixture)
    let report = ContainersImage.report(try verifier("mitr@redhat.com"), layer, imageDigest: digest)
    #expect(report.verified, "\(report.checks)")
    #expect(report.certificateIdentity == "mitr@redhat.com")
    #expect(report.certificateIssuer == "https://github.com/login/oauth")
    #expect(report.checks.contains { $0.name == .certificateSCT && $0.passed })
    let wrong = ContainersImage.report(try verifier("this-does-not-match@example.com"), layer, imageDigest: digest)
    #expect(wrong.failureReasons == [.identityMismatch])
    for removed in [CosignLayer.rekorBundleAnnotation, CosignLayer.certificateAnnotation] {
        var annotations = layer.annotations
        annotations[removed] = nil
        let stripped = CosignLayer(mediaType: layer.mediaType, payload: layer.payload, annotations: annotations)
        #expect(!ContainersImage.report(try verifier("mitr@redhat.com"), stripped, imageDigest: digest).verified,
                "removing \(removed) still verified")
    }
    // The certificate expired long ago: with no SET, "now" is the only time, and the chain check fails.
    var noSET = layer.annotations
    noSET[CosignLayer.rekorBundleAnnotation] = nil
    let expired = ContainersImage.report(try verifier("mitr@redhat.com", tlog: false),
                                         CosignLayer(mediaType: layer.mediaType, payload: layer.payload, annotations: noSET), imageDigest: digest)
    #expect(expired.failureReasons == [.certificateChainInvalid])
}

@Test func aPrivatePKICertificateVerifiesWithItsChain() throws {
    let fixture = "dir-img-cosign-pki-valid"
    let root = try Certificate.parsePEM(String(contentsOf: ContainersImage.root.appendingPathComponent("pki_root_crts.pem"), encoding: .utf8))
    let intermediates = try Certificate.parsePEM(String(contentsOf: ContainersImage.root.appendingPathComponent("pki_intermediate_crts.pem"), encoding: .utf8))
    func verifier(chain: [Certificate]) throws -> EvidenceVerifier {
        EvidenceVerifier(policy: try VerificationPolicy(trust: .init(certificateChain: chain),
                                                        signers: .identities([.init(issuer: nil, subject: .exact("qiwan@redhat.com"))]),
                                                        insecureIgnoreTransparencyLog: true))
    }
    let layer = try #require(try ContainersImage.layers(fixture).first)
    let report = ContainersImage.report(try verifier(chain: intermediates + root), layer, imageDigest: try ContainersImage.imageDigest(fixture))
    #expect(report.verified, "\(report.checks)")
    // Trusting an unrelated root fails.
    let unrelated = try Certificate.parsePEM(String(contentsOf: ContainersImage.root.appendingPathComponent("fulcio_v1.crt.pem"), encoding: .utf8))
    #expect(try !ContainersImage.passes(fixture, try verifier(chain: unrelated)))
}
