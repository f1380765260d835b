import Foundation
import StrictJSON
import Testing
@testable import SignatureVerification

/// Hostile input: truncated and corrupted bodies, checkpoints and entries give errors, never crashes or hangs.
@Suite("TransparencyLog robustness")
struct TransparencyLogRobustnessTests {
    static let samples = [
        "bundles/conformance/happy-path-v0.2/bundle.sigstore.json",
        "bundles/conformance/rekor2-dsse-happy-path/bundle.sigstore.json",
        "bundles/sigstore-go/sigstore.js@2.0.0-provenance.sigstore.json",
        "bundles/cosign/oci-attestation.sigstore.json",
    ]

    @Test("every truncation of a body or checkpoint is rejected", arguments: samples)
    func truncations(_ path: String) throws {
        let entry = try TLogFixtures.entry(path)
        let body = entry.canonicalizedBody
        for length in stride(from: 0, to: body.count, by: 3) {
            #expect(throws: TransparencyLogError.self) { try RekorEntryBody.parseBody(Array(body[..<length])) }
        }
        let envelope = Array((entry.inclusionProof?.checkpoint ?? "").utf8)
        for length in 0..<envelope.count {
            let text = String(decoding: envelope[..<length], as: UTF8.self)
            // A prefix can only parse if it cut a witness line off cleanly; the log's own line comes first here.
            if let checkpoint = try? Checkpoint.parse(envelope: text) {
                #expect(text.hasSuffix("\n") && !checkpoint.signatures.isEmpty)
            }
        }
    }

    @Test("byte corruption of bodies and checkpoints never crashes", arguments: samples)
    func corruption(_ path: String) throws {
        let entry = try TLogFixtures.entry(path)
        var generator = TLogSplitMix(seed: 0x7106)
        let logs = try TLogFixtures.logs(TLogFixtures.rootPath(for: path))
        for _ in 0..<300 {
            var body = entry.canonicalizedBody
            for _ in 0..<3 { body[Int(generator.next() % UInt64(body.count))] = UInt8(truncatingIfNeeded: generator.next()) }
            _ = try? RekorEntryBody.parseBody(body)
            var envelope = Array((entry.inclusionProof?.checkpoint ?? "x").utf8)
            envelope[Int(generator.next() % UInt64(envelope.count))] = UInt8(truncatingIfNeeded: generator.next())
            _ = try? Checkpoint.parse(envelope: String(decoding: envelope, as: UTF8.self))
            let mutated = TransparencyLogEntry(logIndex: entry.logIndex, logID: entry.logID, kindVersion: entry.kindVersion,
                                               integratedTime: entry.integratedTime, inclusionPromise: entry.inclusionPromise,
                                               inclusionProof: entry.inclusionProof, canonicalizedBody: body)
            #expect(throws: (any Error).self) { try TransparencyLogVerifier.verify(mutated, logs: logs, requireInclusionProof: false) }
        }
    }

    @Test func extremeValues() throws {
        let entry = try TLogFixtures.entry("bundles/conformance/happy-path-v0.2/bundle.sigstore.json")
        let logs = try TLogFixtures.logs("roots/production.trusted_root.json")
        let proof = try #require(entry.inclusionProof)
        for (index, size) in [(Int64.max, Int64.max), (0, Int64.max), (Int64.max - 1, Int64.max), (0, 0), (-1, 5), (5, -1)] {
            let changed = TransparencyLogEntry(
                logIndex: entry.logIndex, logID: entry.logID, kindVersion: entry.kindVersion, integratedTime: entry.integratedTime,
                inclusionPromise: entry.inclusionPromise,
                inclusionProof: .init(logIndex: index, rootHash: proof.rootHash, treeSize: size, hashes: proof.hashes, checkpoint: proof.checkpoint),
                canonicalizedBody: entry.canonicalizedBody)
            #expect(throws: TransparencyLogError.self) { try TransparencyLogVerifier.verify(changed, logs: logs, requireInclusionProof: true) }
        }
        for time in [Int64.max, Int64.min, -1] {
            let changed = TransparencyLogEntry(logIndex: entry.logIndex, logID: entry.logID, kindVersion: entry.kindVersion,
                                               integratedTime: time, inclusionPromise: entry.inclusionPromise,
                                               inclusionProof: entry.inclusionProof, canonicalizedBody: entry.canonicalizedBody)
            #expect(throws: TransparencyLogError.self) { try TransparencyLogVerifier.verify(changed, logs: logs, requireInclusionProof: true) }
        }
        #expect(throws: TransparencyLogError.self) {
            try Checkpoint.parse(envelope: String(repeating: "a", count: Checkpoint.maxEnvelopeSize + 1))
        }
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: Array(String(repeating: "{\"a\":", count: 100_000).utf8)) }
    }
}

/// A small deterministic generator for reproducible corruption.
struct TLogSplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
