// Sigstore bundles through full verification (SignatureVerification), against fixed trusted roots, policies and
// artifact. Verification uses only the evidence's own times, so the outcome does not depend on the clock.
//
// Invariants:
// - differential: a bundle that verifies carries exactly the signed material (signature, leaf certificate, DSSE
//   payload and type) of a known-good bundle that verifies in the same setting; any other input that verifies is a
//   forgery the verifier let through (the fuzzer cannot make real signatures);
// - re-encode: a bundle that verifies still verifies, with the same signer and log entries, after its JSON is
//   re-serialized (keys sorted, pretty-printed).
import CryptoPrimitives
import Foundation
import FuzzSupport
import GateVerdict
@testable import SignatureVerification

/// What the signatures cover; equal cores mean the same signed statement.
struct SignedCore: Hashable {
    let signatures: [[UInt8]]
    let leafCertificate: [UInt8]?
    let payloadType: String?
    let payload: [UInt8]?

    init(_ bundle: SigstoreBundle) {
        leafCertificate = bundle.verificationMaterial.leafCertificateDER
        switch bundle.content {
        case .messageSignature(let message):
            signatures = [message.signature]
            payloadType = nil
            payload = nil
        case .dsseEnvelope(let envelope):
            signatures = envelope.signatures.map(\.signature)
            payloadType = envelope.payloadType
            payload = envelope.payload
        }
    }
}

/// One fixed verification setting and the signed cores of the known-good bundles that pass in it.
struct Setting: Sendable {
    let name: String
    let verifier: EvidenceVerifier
    let artifact: Artifact
    let knownGood: Set<SignedCore>

    init(name: String, policy: VerificationPolicy, seeds: [[UInt8]]) {
        self.name = name
        verifier = EvidenceVerifier(policy: policy)
        artifact = .bytes(Data(FuzzFixtures.bytes("sigstore/conformance/bundle-verify/a.txt")))
        var good = Set<SignedCore>()
        for seed in seeds {
            guard let bundle = try? SigstoreBundle(json: Data(seed)),
                  (try? verifier.verify(bundle: bundle, artifact: artifact)) != nil else { continue }
            good.insert(SignedCore(bundle))
        }
        invariant(!good.isEmpty, "harness set-up: no known-good bundle verifies in setting \(name)")
        knownGood = good
    }

    func verify(_ bundle: SigstoreBundle) -> SignatureReport? {
        try? verifier.verify(bundle: bundle, artifact: artifact)
    }
}

let settings: [Setting] = {
    let folder = "sigstore/conformance/bundle-verify"
    let seeds = FuzzFixtures.files(under: folder, endingWith: ["bundle.sigstore.json"]).map(FuzzFixtures.bytes)
    let identity = VerificationPolicy.Signers.identities([.init(
        issuer: .exact("https://token.actions.githubusercontent.com"),
        subject: .exact("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"))])
    do {
        let production = try TrustedRoot.production()
        let rekorV2 = try TrustedRoot(json: Data(FuzzFixtures.bytes("\(folder)/rekor2-happy-path/trusted_root.json")))
        let managedKey = try PublicKey(pem: FuzzFixtures.text("\(folder)/managed-key-happy-path/key.pub"))
        return [
            Setting(name: "production keyless", policy: try VerificationPolicy(trust: .init(trustedRoot: production), signers: identity), seeds: seeds),
            Setting(name: "rekor v2 keyless", policy: try VerificationPolicy(trust: .init(trustedRoot: rekorV2), signers: identity), seeds: seeds),
            // verify-bundle's key rule: a log entry or a timestamp.
            Setting(name: "production managed key", policy: try VerificationPolicy(trust: .init(trustedRoot: production), signers: .keys([managedKey]),
                                                                                   insecureIgnoreTransparencyLog: true), seeds: seeds),
        ]
    } catch {
        fatalError("harness set-up: \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBundle(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        guard let bundle = try? SigstoreBundle(json: Data(bytes)) else { return }
        _ = bundle.content.signatureBytes
        for setting in settings {
            guard let result = setting.verify(bundle) else { continue }
            invariant(setting.knownGood.contains(SignedCore(bundle)),
                      "\(setting.name): a bundle whose signed material matches no known-good bundle verified")
            invariant(!result.checks.isEmpty, "\(setting.name): verified with no checks")
            guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)),
                  let reencoded = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
            else { continue }
            let again = (try? SigstoreBundle(json: reencoded)).flatMap(setting.verify)
            invariant(again != nil, "\(setting.name): the bundle no longer verifies after re-encoding its JSON")
            invariant(again?.keyID == result.keyID && again?.certificateIdentity == result.certificateIdentity
                      && again?.tlogIndex == result.tlogIndex && again?.integratedTime == result.integratedTime,
                      "\(setting.name): re-encoding the JSON changed the signer or the log entries")
        }
    }
}

/// Loads the fixed trust material and verifies the known-good inputs before fuzzing starts (outside the per-input
/// timeout).
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: FuzzerArguments) -> CInt {
    _ = settings
    return 0
}
