import CryptoPrimitives
import Foundation
import GateVerdict
import Testing
@testable import SignatureVerification

/// The 70 sigstore-conformance `bundle-verify` cases through the library (the CLI runs them too, in
/// VerifyBundleCLITests): every case ending in `fail` must fail with the reason code below, every other must pass,
/// with the artifact given as bytes and as its sha256 digest.
@Suite struct BundleConformanceTests {
    static let expectedFailures: [String: SignatureVerificationError.Code] = [
        "bundle-empty-certificate-chain_fail": .bundleInvalid,
        "bundle-from-wrong-instance_fail": .tlogEntryMissing,
        "bundle-invalid-base64-signature_fail": .bundleInvalid,
        "bundle-malformed-json_fail": .bundleInvalid,
        "bundle-negative-log-index_fail": .bundleInvalid,
        "bundle-unknown-version_fail": .bundleInvalid,
        "bundle-with-root-cert_fail": .bundleInvalid,
        "checkpoint-bad-keyhint_fail": .checkpointInvalid,
        "checkpoint-wrong-roothash_fail": .checkpointInvalid,
        "dsse-invalid-sig_fail": .tlogEntryMismatch,
        "dsse-mismatch-envelope_fail": .tlogEntryMismatch,
        "dsse-mismatch-sig_fail": .tlogEntryMismatch,
        "inclusion-proof-corrupted-hash_fail": .inclusionProofInvalid,
        "incorrect-public-key_fail": .setInvalid,
        "integrated-time-in-future_fail": .certificateChainInvalid,
        "intoto-expired-certificate_fail": .certificateChainInvalid,
        "intoto-log-entry-mismatch_fail": .tlogEntryInvalid,
        "intoto-missing-inclusion-proof_fail": .bundleInvalid,
        "intoto-set-outside-signing-cert-validity_fail": .certificateChainInvalid,
        "intoto-tsa-timestamp-outside-cert-validity_fail": .certificateChainInvalid,
        "invalid-checkpoint-signature_fail": .checkpointInvalid,
        "invalid-ct-key_fail": .sctInvalid,
        "invalid-inclusion-proof_fail": .bundleInvalid,
        "managed-key-no-key_fail": .keyMismatch,
        "managed-key-wrong-key_fail": .keyMismatch,
        "message-digest-mismatch_fail": .artifactMismatch,
        "rekor2-checkpoint-missing-log-signature_fail": .checkpointInvalid,
        "rekor2-checkpoint-missing-origin_fail": .checkpointInvalid,
        "rekor2-checkpoint-missing-root-hash_fail": .checkpointInvalid,
        "rekor2-checkpoint-missing-size_fail": .checkpointInvalid,
        "rekor2-checkpoint-no-matching-signature_fail": .checkpointInvalid,
        "rekor2-dsse-invalid-sig_fail": .tlogEntryMismatch,
        "rekor2-dsse-mismatch-envelope_fail": .tlogEntryMismatch,
        "rekor2-dsse-mismatch-sig_fail": .tlogEntryMismatch,
        "rekor2-no-inclusion-proof_fail": .bundleInvalid,
        "rekor2-no-timestamp_fail": .noVerifiedTime,
        "rekor2-timestamp-outside-trust-root-tsa-validity_fail": .timestampInvalid,
        "rekor2-timestamp-outside-tsa-cert-validity_fail": .timestampInvalid,
        "rekor2-timestamp-payload-mismatch_fail": .timestampInvalid,
        "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail": .timestampInvalid,
        "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail": .timestampInvalid,
        "rekor2-timestamp-with-incorrect-time_fail": .certificateChainInvalid,
        "set-invalid-signature_fail": .setInvalid,
        "signature-mismatch_fail": .tlogEntryMismatch,
        "trust-root-tlog-missing-validity-start_fail": .trustedRootInvalid,
        "wrong-hashedrekord-artifact_fail": .tlogEntryMismatch,
        "wrong-hashedrekord-cert-and-sig_fail": .tlogEntryMismatch,
        "wrong-hashedrekord-entry_fail": .tlogEntryMismatch,
        "wrong-material_fail": .tlogEntryMismatch,
    ]

    static let defaultIdentity =
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
    static let defaultIssuer = "https://token.actions.githubusercontent.com"

    /// Verifies one case the way the conformance suite's materials describe it; throws the verification error.
    static func verify(_ name: String, digestMode: Bool) throws -> SignatureReport {
        let folder = BundleFixtures.conformance.appendingPathComponent(name)
        func path(_ leaf: String) -> String? {
            let candidate = folder.appendingPathComponent(leaf).path
            return FileManager.default.fileExists(atPath: candidate) ? candidate : nil
        }
        func text(_ leaf: String) throws -> String? {
            try path(leaf).map { try String(contentsOfFile: $0, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        let root = try path("trusted_root.json").map { try TrustedRoot(contentsOfFile: $0) } ?? TrustedRoot.production()
        let policy: VerificationPolicy
        if let keyPath = path("key.pub") {
            let key: PublicKey
            do {
                key = try PublicKey(pem: String(contentsOfFile: keyPath, encoding: .utf8))
            } catch {
                throw SignatureVerificationError(.keyMismatch, check: "policy.key", "key.pub is not a usable key: \(error)")
            }
            policy = try ConformancePolicy.key(key, root: root)
        } else {
            policy = try ConformancePolicy.identity(try text("identity") ?? defaultIdentity, issuer: try text("issuer") ?? defaultIssuer, root: root)
        }
        let artifactData = try Data(contentsOf: URL(fileURLWithPath: path("artifact") ?? BundleFixtures.conformance.appendingPathComponent("a.txt").path))
        let artifact: Artifact = digestMode ? .digest(.sha256, HashAlgorithm.sha256.hash(artifactData)) : .bytes(artifactData)
        let bundle = try SigstoreBundle(contentsOfFile: folder.appendingPathComponent("bundle.sigstore.json").path)
        return try EvidenceVerifier(policy: policy).verify(bundle: bundle, artifact: artifact)
    }

    @Test(arguments: BundleFixtures.conformanceCases, [false, true])
    func conformance(_ name: String, digestMode: Bool) throws {
        if name.hasSuffix("fail") {
            let expected = try #require(Self.expectedFailures[name], "no expected reason code for \(name)")
            let error = #expect(throws: SignatureVerificationError.self) { try Self.verify(name, digestMode: digestMode) }
            #expect(error?.code == expected, "\(name): \(error?.description ?? "")")
            #expect(error?.check.rawValue.isEmpty == false)
        } else {
            let result = try Self.verify(name, digestMode: digestMode)
            #expect(!result.checks.isEmpty)
            #expect(result.verified)
            #expect(result.integratedTime != nil || result.timestamps != nil)
            #expect(result.checks.contains { $0.name == "signature" })
        }
    }

    @Test func everyFailingCaseHasAnExpectedCode() {
        let failing = Set(BundleFixtures.conformanceCases.filter { $0.hasSuffix("fail") })
        #expect(failing.count == 49)
        #expect(failing == Set(Self.expectedFailures.keys))
    }

    @Test func happyPathResultListsTheEvidence() throws {
        let result = try Self.verify("happy-path-v0.2", digestMode: false)
        #expect(result.checks.first?.detail.contains("v0.2") == true)
        let names = result.checks.map(\.name.rawValue)
        for check in ["format", "tlog.set", "tlog.inclusion_proof", "tlog.checkpoint", "tlog.body", "certificate.chain",
                      "certificate.sct", "signature", "artifact", "certificate.identity", "certificate.issuer"] {
            #expect(names.contains(check), "missing \(check)")
        }
        #expect(result.tlogIndex == 27246492)
        #expect(result.integratedTime != nil)   // the SET verified: its time is a verified time
        #expect(result.timestamps == nil)
        #expect(result.certificateIdentity == Self.defaultIdentity)
    }

    @Test func rekorV2ResultUsesTheTimestamp() throws {
        let result = try Self.verify("rekor2-happy-path", digestMode: true)
        #expect(result.timestamps?.count == 1)
        #expect(result.integratedTime == nil)   // Rekor v2: no SET
        #expect(result.checks.contains { $0.name == .transparencyLogInclusionProof })
        #expect(!result.checks.contains { $0.name == .transparencyLogSET })
    }

    @Test func verifierIsReusableAcrossBundles() throws {
        // One verifier, many bundles (the production root serves all prod cases).
        let verifier = try ConformancePolicy.verifier(root: try TrustedRoot.production())
        let artifact = try Data(contentsOf: BundleFixtures.conformance.appendingPathComponent("a.txt"))
        for name in ["happy-path-v0.1", "happy-path-v0.2", "happy-path-v0.3", "happy-path-v0.3-new-mediaType", "happy-path-intoto-in-dsse-v3"] {
            let bundle = try SigstoreBundle(contentsOfFile: BundleFixtures.conformance.appendingPathComponent("\(name)/bundle.sigstore.json").path)
            _ = try verifier.verify(bundle: bundle, artifact: .bytes(artifact))
        }
    }
}
