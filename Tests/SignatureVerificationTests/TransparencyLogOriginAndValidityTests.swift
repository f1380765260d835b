import CryptoPrimitives
import Foundation
import GateVerdict
import TestSupport
import Testing
@testable import SignatureVerification

/// A checkpoint is the log's only if its origin is the log's, as Rekor derives it from the log's name, and an entry
/// proven by an inclusion proof alone (Rekor v2) is only as good as its log key at the verified time. Each attack
/// here passed before these checks.
@Suite struct TransparencyLogOriginAndValidityTests {
    // MARK: Checkpoint origin (fixture log key and checkpoints: scripts/make-checkpoint-fixtures.sh)

    static func fixtureLog(baseURL: String = "https://rekor.example.test", checkpointName: String? = nil) throws
        -> TransparencyLogKey {
        let key = try PublicKey(pem: String(contentsOf: PackagePaths.testdata("checkpoints/log.pub.pem"), encoding: .utf8))
        return TransparencyLogKey(logID: key.sha256KeyID, key: key, baseURL: baseURL, validFrom: nil, validUntil: nil,
                                  checkpointName: checkpointName)
    }

    static func envelope(_ name: String) throws -> String {
        try String(contentsOf: PackagePaths.testdata("checkpoints/\(name).checkpoint"), encoding: .utf8)
    }

    @Test func theLogsOwnCheckpointVerifies() throws {
        let checkpoint = try Checkpoint.verify(envelope: Self.envelope("this-log"), key: Self.fixtureLog(), expectedOrigin: nil)
        #expect(checkpoint.origin == "rekor.example.test - 1193050959916656506")
        #expect(checkpoint.treeSize == 42)
    }

    @Test func aCheckpointOfAnotherLogSignedWithTheSameKeyIsRefused() throws {
        // Same key, same signature scheme, a valid signature: only the origin says it is another log's tree.
        #expect {
            _ = try Checkpoint.verify(envelope: Self.envelope("other-log-same-key"), key: Self.fixtureLog(), expectedOrigin: nil)
        } throws: { error in
            (error as? TransparencyLogError)?.code == .checkpointInvalid && "\(error)".contains("another log")
        }
        // It is that other log's: it verifies under that log's URL, or under a log configured with that name.
        _ = try Checkpoint.verify(envelope: Self.envelope("other-log-same-key"),
                                  key: Self.fixtureLog(baseURL: "https://rekor.other.test"), expectedOrigin: nil)
        _ = try Checkpoint.verify(envelope: Self.envelope("other-log-same-key"),
                                  key: Self.fixtureLog(checkpointName: "rekor.other.test"), expectedOrigin: nil)
        // And a log configured with another name no longer accepts its URL's host.
        #expect(throws: TransparencyLogError.self) {
            _ = try Checkpoint.verify(envelope: Self.envelope("this-log"),
                                      key: Self.fixtureLog(checkpointName: "rekor.other.test"), expectedOrigin: nil)
        }
    }

    @Test(arguments: ["tree-id-leading-zero", "tree-id-overflow"])
    func anOriginWithATreeIDRekorNeverWritesIsRefused(_ name: String) throws {
        #expect {
            _ = try Checkpoint.verify(envelope: Self.envelope(name), key: Self.fixtureLog(), expectedOrigin: nil)
        } throws: { ($0 as? TransparencyLogError)?.code == .checkpointInvalid }
    }

    // MARK: A private Rekor named other than its URL, through the one verifier

    static let scaffoldingURL = "http://rekor.rekor-system.172.18.255.1.sslip.io"

    /// The othername bundle's verifier under sigstore-go's scaffolding root, with the given checkpoint names.
    static func scaffoldingVerifier(checkpointNames: [String: String]) throws -> EvidenceVerifier {
        let root = try TrustedRoot(contentsOfFile: PackagePaths.testdata("sigstore/sigstore-go/scaffolding.json").path)
        return EvidenceVerifier(policy: try VerificationPolicy(
            trust: .init(trustedRoot: root, checkpointNames: checkpointNames),
            signers: .identities([.init(issuer: .exact("http://oidc.local:8080"), subject: .exact("foo!oidc.local"))])))
    }

    static func othernameBundle() throws -> SigstoreBundle {
        try SigstoreBundle(contentsOfFile: PackagePaths.testdata("sigstore/sigstore-go/othername.sigstore.json").path)
    }

    static var othernameArtifact: Artifact {
        get throws {
            let (algorithm, digest) = try #require(
                Artifact.parseDigest("sha256:bc103b4a84971ef6459b294a2b98568a2bfb72cded09d4acd1e16366a401f95b"))
            return .digest(algorithm, digest)
        }
    }

    @Test func aPrivateRekorNamedOtherThanItsURLPassesOnlyUnderItsConfiguredName() throws {
        // sigstore-go's scaffolding Rekor signs as its pod name, not as the host of its URL.
        let anonymous = try Self.scaffoldingVerifier(checkpointNames: [:])
        #expect {
            _ = try anonymous.verify(bundle: Self.othernameBundle(), artifact: try Self.othernameArtifact)
        } throws: { error in
            let failure = error as? SignatureVerificationError
            return failure?.code == .checkpointInvalid && failure?.check == .transparencyLogCheckpoint
                && "\(error)".contains("--tlog-checkpoint-name")
        }
        let named = try Self.scaffoldingVerifier(checkpointNames: [Self.scaffoldingURL: TLogFixtures.scaffoldingCheckpointName])
        let report = try named.verify(bundle: Self.othernameBundle(), artifact: try Self.othernameArtifact)
        #expect(report.verified)
        #expect(report.checks.contains { $0.name == .transparencyLogCheckpoint && $0.passed })
        // Another name is not a key to every log: a wrong one fails as before.
        let misnamed = try Self.scaffoldingVerifier(checkpointNames: [Self.scaffoldingURL: "rekor.example.test"])
        #expect(throws: SignatureVerificationError.self) {
            _ = try misnamed.verify(bundle: Self.othernameBundle(), artifact: try Self.othernameArtifact)
        }
    }

    @Test func aCheckpointNameForALogTheRootDoesNotListIsRefusedByThePolicy() throws {
        #expect {
            _ = try Self.scaffoldingVerifier(checkpointNames: ["https://rekor.sigstore.dev": "rekor.sigstore.dev"])
        } throws: { error in
            (error as? SignatureVerificationError)?.code == .policyInvalid && "\(error)".contains("not a transparency log")
        }
        #expect(throws: SignatureVerificationError.self) {
            _ = try Self.scaffoldingVerifier(checkpointNames: [Self.scaffoldingURL: "two\nlines"])
        }
    }

    // MARK: Rekor v2 log key validity at the verified time

    static let rekor2 = "rekor2-happy-path"

    /// The conformance rekor2-happy-path bundle, and its trusted root with the Rekor v2 log key's validity ending
    /// at `end` (RFC 3339).
    static func rekor2Case(logValidUntil end: String?) throws -> (SigstoreBundle, TrustedRoot) {
        let folder = BundleFixtures.conformance.appendingPathComponent(rekor2)
        let bundle = try SigstoreBundle(json: Data(contentsOf: folder.appendingPathComponent("bundle.sigstore.json")))
        var root = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: folder.appendingPathComponent("trusted_root.json"))) as? [String: Any])
        if let end {
            root["tlogs"] = (root["tlogs"] as? [[String: Any]] ?? []).map { tlog in
                var tlog = tlog
                var key = tlog["publicKey"] as? [String: Any] ?? [:]
                var validFor = key["validFor"] as? [String: Any] ?? [:]
                validFor["end"] = end
                key["validFor"] = validFor
                tlog["publicKey"] = key
                return tlog
            }
        }
        return (bundle, try TrustedRoot(json: JSONSerialization.data(withJSONObject: root)))
    }

    static var artifact: Artifact {
        get throws { .bytes(try Data(contentsOf: BundleFixtures.conformance.appendingPathComponent("a.txt"))) }
    }

    @Test func aRekorV2EntryWhoseLogKeyHadExpiredAtTheTimestampIsRefused() throws {
        // The TSA time is 2025-06-12; a log key whose validity ended with May proves nothing then.
        let (bundle, current) = try Self.rekor2Case(logValidUntil: nil)
        _ = try ConformancePolicy.verifier(root: current).verify(bundle: bundle, artifact: Self.artifact)
        let (same, expired) = try Self.rekor2Case(logValidUntil: "2025-05-31T00:00:00Z")
        #expect {
            _ = try ConformancePolicy.verifier(root: expired).verify(bundle: same, artifact: Self.artifact)
        } throws: { error in
            let failure = error as? SignatureVerificationError
            return failure?.code == .checkpointInvalid && failure?.check == .transparencyLogCheckpoint
                && "\(error)".contains("outside the validity of log key")
        }
    }

    @Test func theLogKeyValidityOfAProofOnlyEntryIsCheckedAtEveryVerifiedTime() throws {
        let path = "bundles/conformance/\(Self.rekor2)/bundle.sigstore.json"
        let entry = try TLogFixtures.entry(path)
        let logs = try TLogFixtures.logs(TLogFixtures.rootPath(for: path)).map {
            TransparencyLogKey(logID: $0.logID, key: $0.key, baseURL: $0.baseURL, validFrom: $0.validFrom,
                               validUntil: Date(timeIntervalSince1970: 1_750_000_000))  // 2025-06-15T15:06:40Z
        }
        let verified = try TransparencyLogVerifier.verify(entry, logs: logs, requireInclusionProof: true)
        #expect(!verified.setVerified)
        try TransparencyLogVerifier.checkLogKeyValidity(verified, at: [Date(timeIntervalSince1970: 1_749_000_000)])
        #expect {
            try TransparencyLogVerifier.checkLogKeyValidity(verified, at: [Date(timeIntervalSince1970: 1_749_000_000),
                                                                           Date(timeIntervalSince1970: 1_751_000_000)])
        } throws: { ($0 as? TransparencyLogError)?.code == .logKeyExpired }
    }
}
