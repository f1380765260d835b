// Cosign signature layers with their annotations (signature, certificate, chain, Rekor bundle, RFC 3161
// timestamp), verified by the cosign layer adapter and EvidenceVerifier. The input is containers/image's `dir:` signature file
// ("\0sigstore-json\n" + {"mimeType", "payload" (base64), "annotations"}), so its real fixtures are the seeds.
//
// Invariant (differential): a layer that verifies carries the payload and signature of a known-good layer that
// verifies in the same setting for the same image.
import CryptoPrimitives
import Foundation
import FuzzSupport
import GateVerdict
@testable import SignatureVerification

private let folder = "containers-image"
private let fixtures = ["dir-img-cosign-valid", "dir-img-cosign-valid-2", "dir-img-cosign-valid-with-tag",
                        "dir-img-cosign-mixed", "dir-img-cosign-key-rekor-valid", "dir-img-cosign-fulcio-rekor-valid",
                        "dir-img-cosign-pki-valid", "dir-img-cosign-modified-manifest", "dir-img-unsigned"]
/// A fixed "now" (2026-01-01): only settings without a log fall back to it.
private let now = Date(timeIntervalSince1970: 1_767_225_600)
private let prefix = Array("\u{0}sigstore-json\n".utf8)

/// Decodes a `dir:` signature file into a layer, or nil.
func decodeLayer(_ bytes: [UInt8]) -> CosignLayer? {
    guard bytes.starts(with: prefix),
          let object = try? JSONSerialization.jsonObject(with: Data(bytes.dropFirst(prefix.count))) as? [String: Any],
          let payload = (object["payload"] as? String).flatMap({ Data(base64Encoded: $0) }) else { return nil }
    return CosignLayer(mediaType: object["mimeType"] as? String ?? "", payload: [UInt8](payload),
                       annotations: object["annotations"] as? [String: String] ?? [:])
}

struct SignedLayer: Hashable {
    let payload: [UInt8]
    let signature: String?
    init(_ layer: CosignLayer) {
        payload = layer.payload
        signature = layer.annotations[CosignLayer.signatureAnnotation]
    }
}

let imageDigests: [String] = fixtures.map {
    "sha256:" + HashAlgorithm.sha256.hash(FuzzFixtures.bytes("\(folder)/\($0)/manifest.json")).hexString
}
let seedLayers: [(layer: CosignLayer, digest: String)] = zip(fixtures, imageDigests).flatMap { fixture, digest in
    FuzzFixtures.files(under: "\(folder)/\(fixture)", endingWith: ["signature-1", "signature-2", "signature-3"])
        .compactMap { decodeLayer(FuzzFixtures.bytes($0)).map { ($0, digest) } }
}

struct Setting {
    let name: String
    let verifier: EvidenceVerifier
    let knownGood: Set<SignedLayer>

    init(_ name: String, _ policy: VerificationPolicy) {
        self.name = name
        let verifier = EvidenceVerifier(policy: policy)
        self.verifier = verifier
        knownGood = Set(seedLayers.filter { Setting.verify($0.layer, imageDigest: $0.digest, with: verifier).verified }
            .map { SignedLayer($0.layer) })
        invariant(!knownGood.isEmpty, "harness set-up: no seed layer verifies in setting \(name)")
    }

    /// The layer verified for an image digest.
    func verify(_ layer: CosignLayer, imageDigest: String) -> SignatureReport {
        Setting.verify(layer, imageDigest: imageDigest, with: verifier)
    }

    /// The layer verified for an image digest, as ImageVerifier does it.
    static func verify(_ layer: CosignLayer, imageDigest: String, with verifier: EvidenceVerifier) -> SignatureReport {
        var keyBased = false
        if case .keys = verifier.policy.signers { keyBased = true }
        let artifact = Artifact.parseDigest(imageDigest).map { Artifact.digest($0.0, $0.1) } ?? .digests([:])
        return verifier.report(kind: "signature", source: "fuzz", artifact: artifact,
                               currentTime: verifier.policy.requiresTransparencyLog ? nil : now) {
            try SignedEvidence(cosignLayer: layer, keyBased: keyBased)
        }
    }
}

let settings: [Setting] = {
    do {
        let production = try TrustedRoot.production()
        let key = try PublicKey(pem: FuzzFixtures.text("\(folder)/cosign.pub"))
        let key2 = try PublicKey(pem: FuzzFixtures.text("\(folder)/cosign2.pub"))
        let pki = try Certificate.parsePEM(FuzzFixtures.text("\(folder)/pki_intermediate_crts.pem"))
            + Certificate.parsePEM(FuzzFixtures.text("\(folder)/pki_root_crts.pem"))
        return [
            Setting("key", try VerificationPolicy(trust: .init(), signers: .keys([key]), insecureIgnoreTransparencyLog: true)),
            Setting("key + Rekor", try VerificationPolicy(trust: .init(trustedRoot: production), signers: .keys([key2]))),
            Setting("Fulcio + Rekor", try VerificationPolicy(trust: .init(trustedRoot: production), signers: .identities([
                .init(issuer: .exact("https://github.com/login/oauth"), subject: .exact("mitr@redhat.com"))]))),
            Setting("private PKI", try VerificationPolicy(trust: .init(certificateChain: pki), signers: .identities([
                .init(issuer: nil, subject: .exact("qiwan@redhat.com"))]), insecureIgnoreTransparencyLog: true)),
        ]
    } catch {
        fatalError("harness set-up: \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCosignLayer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        guard let layer = decodeLayer(bytes) else { return }
        // The image the payload names, when it is one of the fixtures; else the first (the payload must then fail).
        let text = String(decoding: layer.payload, as: UTF8.self)
        let digest = imageDigests.first { text.contains($0) } ?? imageDigests[0]
        for setting in settings {
            let report = setting.verify(layer, imageDigest: digest)
            guard report.verified else {
                invariant(!report.failureReasons.isEmpty, "\(setting.name): a failed layer names no reason")
                continue
            }
            invariant(setting.knownGood.contains(SignedLayer(layer)),
                      "\(setting.name): a layer whose payload and signature match no known-good layer verified")
        }
        _ = try? SimpleSigningPayload(bytes: layer.payload)
    }
}

/// Loads the fixed trust material and verifies the known-good inputs before fuzzing starts (outside the per-input
/// timeout).
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: FuzzerArguments) -> CInt {
    _ = settings
    return 0
}
