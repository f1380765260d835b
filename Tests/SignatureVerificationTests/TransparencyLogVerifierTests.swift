import Foundation
import Testing
import CryptoPrimitives
@testable import SignatureVerification

/// What verifying a fixture's first tlog entry must give.
struct TLogExpectation: Sendable, CustomTestStringConvertible {
    let path: String
    let requireProof: Bool
    /// nil = must verify; otherwise the error code.
    let failure: TransparencyLogError.Code?
    let setVerified: Bool
    let proofVerified: Bool
    var testDescription: String { "\(path) → \(failure?.rawValue ?? "pass")" }

    static func pass(_ path: String, set: Bool, proof: Bool, requireProof: Bool = false) -> TLogExpectation {
        TLogExpectation(path: path, requireProof: requireProof, failure: nil, setVerified: set, proofVerified: proof)
    }
    static func fail(_ path: String, _ code: TransparencyLogError.Code, requireProof: Bool = false) -> TLogExpectation {
        TLogExpectation(path: path, requireProof: requireProof, failure: code, setVerified: false, proofVerified: false)
    }
}

private func conformance(_ name: String) -> String { "bundles/conformance/\(name)/bundle.sigstore.json" }

@Suite("TransparencyLog verification (SET, inclusion proof, checkpoint) on real entries")
struct TransparencyLogVerifierTests {
    static let expectations: [TLogExpectation] = [
        // Production Rekor v1 (ECDSA P-256 key c0d23d6a…): SET + proof + checkpoint.
        .pass(conformance("happy-path-v0.1"), set: true, proof: true),
        .pass(conformance("happy-path-v0.2"), set: true, proof: true, requireProof: true),
        .pass(conformance("happy-path-v0.3"), set: true, proof: true, requireProof: true),
        .pass(conformance("happy-path-intoto-in-dsse-v3"), set: true, proof: true, requireProof: true),
        .pass(conformance("managed-key-happy-path"), set: true, proof: true, requireProof: true),
        .pass(conformance("trust-root-tlog-validity-end-inclusive"), set: true, proof: true),
        .pass("bundles/sigstore-go/sigstore.js@2.0.0-provenance.sigstore.json", set: true, proof: true),
        .pass("bundles/sigstore-go/dsse.sigstore.json", set: true, proof: false),
        .pass("bundles/sigstore-go/bundle-provenance.json", set: true, proof: false),
        .pass("bundles/sigstore-go/bundle-publish.json", set: true, proof: false),
        .pass("bundles/sigstore-python/bundle_v3_github.whl.sigstore", set: true, proof: true, requireProof: true),
        .pass("bundles/sigstore-python/bundle_v3_no_signed_time.txt.sigstore.json", set: false, proof: true, requireProof: true),
        .pass("bundles/cosign/oci-attestation.sigstore.json", set: true, proof: true, requireProof: true),
        // Private and staging Rekor v1 instances, with their own roots.
        // sigstore-go's scaffolding Rekor signs its checkpoints as its pod name, not as the host of its URL: refused
        // as another log's unless the log's name is given (TransparencyLogOriginAndValidityTests).
        .fail("bundles/sigstore-go/othername.sigstore.json", .checkpointInvalid, requireProof: true),
        .pass(conformance("intoto-with-custom-trust-root"), set: true, proof: true, requireProof: true),
        .pass(conformance("intoto-missing-inclusion-proof_fail"), set: true, proof: false),
        .fail(conformance("intoto-missing-inclusion-proof_fail"), .inclusionProofInvalid, requireProof: true),
        .pass(conformance("managed-key-and-trusted-root"), set: true, proof: true, requireProof: true),
        .pass(conformance("bundle-from-wrong-instance_fail"), set: true, proof: true),
        .pass("bundles/sigstore-python/bundle.txt.sigstore", set: true, proof: true),
        .pass("bundles/sigstore-python/bundle_v3.txt.sigstore", set: true, proof: true, requireProof: true),
        // Rekor v2 (Ed25519 checkpoints, C2SP key ids), with witness cosignatures that must be ignored.
        .pass(conformance("rekor2-happy-path"), set: false, proof: true, requireProof: true),
        .pass(conformance("rekor2-dsse-happy-path"), set: false, proof: true, requireProof: true),
        .pass(conformance("rekor2-checkpoint-cosigned"), set: false, proof: true),
        .pass(conformance("rekor2-checkpoint-multiple-cosigs"), set: false, proof: true),
        .pass(conformance("rekor2-checkpoint-origin-not-first"), set: false, proof: true),
        .pass(conformance("rekor2-checkpoint-two-sigs-cosigned"), set: false, proof: true),
        .pass(conformance("rekor2-checkpoint-two-sigs-from-origin"), set: false, proof: true),
        .pass(conformance("bundle-with-sct-with-extensions"), set: false, proof: true),
        .pass("bundles/sigstore-python/staging-rekor-v2.txt.sigstore.json", set: false, proof: true),
        .pass("bundles/sigstore-python/a.dsse.staging-rekor-v2.txt.sigstore.json", set: false, proof: true),
        // Negative conformance cases.
        .fail(conformance("rekor2-checkpoint-missing-log-signature_fail"), .checkpointInvalid),
        .fail(conformance("rekor2-checkpoint-missing-origin_fail"), .checkpointInvalid),
        .fail(conformance("rekor2-checkpoint-missing-root-hash_fail"), .checkpointInvalid),
        .fail(conformance("rekor2-checkpoint-missing-size_fail"), .checkpointInvalid),
        .fail(conformance("rekor2-checkpoint-no-matching-signature_fail"), .checkpointInvalid),
        .fail(conformance("rekor2-no-inclusion-proof_fail"), .tlogEntryMissing),
        .fail(conformance("checkpoint-bad-keyhint_fail"), .checkpointInvalid),
        .fail(conformance("checkpoint-wrong-roothash_fail"), .checkpointInvalid),
        .fail(conformance("invalid-checkpoint-signature_fail"), .checkpointInvalid),
        .fail(conformance("set-invalid-signature_fail"), .setInvalid),
        .fail(conformance("incorrect-public-key_fail"), .setInvalid),
        .fail(conformance("inclusion-proof-corrupted-hash_fail"), .inclusionProofInvalid),
        .fail(conformance("invalid-inclusion-proof_fail"), .inclusionProofInvalid),
        .fail(conformance("bundle-negative-log-index_fail"), .tlogEntryInvalid),
        .fail(conformance("bundle-with-root-cert_fail"), .checkpointInvalid),
        .fail("bundles/sigstore-python/bundle_no_checkpoint.txt.sigstore", .checkpointInvalid),
    ]

    @Test("verify real entry", arguments: expectations)
    func verifyRealEntry(_ expectation: TLogExpectation) throws {
        let entry = try TLogFixtures.entry(expectation.path)
        let logs = try TLogFixtures.logs(TLogFixtures.rootPath(for: expectation.path))
        do {
            let verified = try TransparencyLogVerifier.verify(entry, logs: logs, requireInclusionProof: expectation.requireProof)
            #expect(expectation.failure == nil, "verified but must fail with \(expectation.failure?.rawValue ?? "")")
            #expect(verified.setVerified == expectation.setVerified)
            #expect(verified.inclusionProofVerified == expectation.proofVerified)
            #expect(verified.logIndex == entry.logIndex && verified.logID == entry.logID)
            #expect((verified.integratedTime != nil) == verified.setVerified)
            if let seconds = entry.integratedTime, verified.setVerified {
                #expect(verified.integratedTime == Date(timeIntervalSince1970: TimeInterval(seconds)))
            }
            #expect((verified.checkpoint != nil) == verified.inclusionProofVerified)
        } catch let error as TransparencyLogError {
            #expect(error.code == expectation.failure, "\(error)")
            #expect(error.message.contains("tlog entry \(entry.logIndex)"))
        }
    }

    /// Every bundle fixture is covered by the table above.
    @Test func everyBundleHasAnExpectation() {
        let covered = Set(Self.expectations.map(\.path))
        for path in TLogFixtures.bundlePaths { #expect(covered.contains(path), "\(path) has no expectation") }
    }

    @Test func wrongInstanceIsUnknownLog() throws {
        let entry = try TLogFixtures.entry(conformance("bundle-from-wrong-instance_fail"))
        let production = try TLogFixtures.logs("roots/production.trusted_root.json")
        #expect(throws: TransparencyLogError.self) { try TransparencyLogVerifier.verify(entry, logs: production, requireInclusionProof: false) }
        do { _ = try TransparencyLogVerifier.verify(entry, logs: production, requireInclusionProof: false) } catch let error as TransparencyLogError {
            #expect(error.code == .logKeyUnknown)
            #expect(error.message.contains("rekor.sigstore.dev"))
        }
    }

    @Test func productionKeysFromDerivedPEMs() throws {
        let rekor = try PublicKey(pem: String(decoding: try TLogFixtures.bytes("keys/tlog.rekor.sigstore.dev.pub.pem"), as: UTF8.self))
        #expect(rekor.sha256KeyID.hexString == "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d")
        let production = try TLogFixtures.logs("roots/production.trusted_root.json")
        #expect(production.contains { $0.key == rekor && $0.logID == rekor.sha256KeyID })
        // Rekor v2: the trusted-root log id is the C2SP key id SHA-256(name ‖ "\n" ‖ 0x01 ‖ key).
        let v2 = try PublicKey(pem: String(decoding: try TLogFixtures.bytes("keys/tlog.log2025-1.rekor.sigstore.dev.pub.pem"), as: UTF8.self))
        let log2025 = try #require(production.first { $0.key == v2 })
        #expect(log2025.host == "log2025-1.rekor.sigstore.dev")
        #expect(log2025.checkpointKeyHint(name: log2025.host) == Array(log2025.logID.prefix(4)))
        // Verify a production entry with a log built from the PEM alone.
        let pemLog = TransparencyLogKey(logID: rekor.sha256KeyID, key: rekor, baseURL: "https://rekor.sigstore.dev",
                                        validFrom: TLogFixtures.date("2021-01-12T11:53:27Z"), validUntil: nil)
        let entry = try TLogFixtures.entry(conformance("happy-path-v0.2"))
        let verified = try TransparencyLogVerifier.verify(entry, logs: [pemLog], requireInclusionProof: true)
        #expect(verified.setVerified && verified.inclusionProofVerified)
        #expect(verified.checkpoint?.origin == "rekor.sigstore.dev - 2605736670972794746")
    }

    @Test func staging2025KeyHintsMatchLogIDs() throws {
        for log in try TLogFixtures.logs("roots/staging.trusted_root.json") where log.key.kind == .ed25519 {
            #expect(log.checkpointKeyHint(name: log.host) == Array(log.logID.prefix(4)), "\(log.host)")
        }
    }

    @Test func setPayloadIsCanonicalJSON() throws {
        let payload = try TransparencyLogVerifier.signedEntryTimestampPayload(body: Array("{}".utf8), integratedTime: 1689177396,
                                                                             logIndex: 27246492, logID: [0xc0, 0xd2])
        #expect(String(decoding: payload, as: UTF8.self)
            == #"{"body":"e30=","integratedTime":1689177396,"logID":"c0d2","logIndex":27246492}"#)
    }
}
