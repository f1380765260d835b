import Foundation
import Testing
import CryptoPrimitives
@testable import SignatureVerification

/// A copy of `entry` with some parts replaced.
private func mutate(_ entry: TransparencyLogEntry, logIndex: Int64? = nil, logID: [UInt8]? = nil,
                    integratedTime: Int64? = nil, promise: [UInt8]? = nil, body: [UInt8]? = nil,
                    proof: TransparencyLogEntry.InclusionProof? = nil) -> TransparencyLogEntry {
    TransparencyLogEntry(logIndex: logIndex ?? entry.logIndex, logID: logID ?? entry.logID, kindVersion: entry.kindVersion,
                         integratedTime: integratedTime ?? entry.integratedTime, inclusionPromise: promise ?? entry.inclusionPromise,
                         inclusionProof: proof ?? entry.inclusionProof, canonicalizedBody: body ?? entry.canonicalizedBody)
}

private func mutateProof(_ proof: TransparencyLogEntry.InclusionProof, logIndex: Int64? = nil, rootHash: [UInt8]? = nil,
                         treeSize: Int64? = nil, hashes: [[UInt8]]? = nil, checkpoint: String? = nil) -> TransparencyLogEntry.InclusionProof {
    .init(logIndex: logIndex ?? proof.logIndex, rootHash: rootHash ?? proof.rootHash, treeSize: treeSize ?? proof.treeSize,
          hashes: hashes ?? proof.hashes, checkpoint: checkpoint ?? proof.checkpoint)
}

/// The error code of verifying `entry`, nil if it verified.
private func failure(_ entry: TransparencyLogEntry, _ logs: [TransparencyLogKey], requireProof: Bool = false) -> TransparencyLogError.Code? {
    do {
        _ = try TransparencyLogVerifier.verify(entry, logs: logs, requireInclusionProof: requireProof)
        return nil
    } catch let error as TransparencyLogError {
        return error.code
    } catch {
        return .tlogEntryInvalid
    }
}

/// Rewrites the first signature line of a checkpoint with `transform` applied to its decoded bytes.
private func rewriteSignature(_ envelope: String, _ transform: ([UInt8]) -> [UInt8]) -> String {
    var lines = envelope.components(separatedBy: "\n")
    guard let index = lines.firstIndex(where: { $0.hasPrefix("\u{2014} ") }) else { return envelope }
    let fields = lines[index].split(separator: " ")
    let decoded = [UInt8](Data(base64Encoded: String(fields[2])) ?? Data())
    lines[index] = "\(fields[0]) \(fields[1]) \(Data(transform(decoded)).base64EncodedString())"
    return lines.joined(separator: "\n")
}

@Suite("TransparencyLog mutations: every changed byte fails")
struct TransparencyLogMutationTests {
    /// One production Rekor v1 entry (SET + proof + checkpoint) and two Rekor v2 entries (proof + Ed25519 checkpoint).
    static let cases = [
        "bundles/conformance/happy-path-v0.2/bundle.sigstore.json",
        "bundles/cosign/oci-attestation.sigstore.json",
        "bundles/conformance/rekor2-happy-path/bundle.sigstore.json",
        "bundles/conformance/rekor2-dsse-happy-path/bundle.sigstore.json",
    ]

    @Test("unchanged entry verifies", arguments: cases)
    func baseline(_ path: String) throws {
        #expect(failure(try TLogFixtures.entry(path), try TLogFixtures.logs(TLogFixtures.rootPath(for: path)), requireProof: true) == nil)
    }

    @Test("flipping any byte of the SET fails", arguments: cases.prefix(2))
    func setBytes(_ path: String) throws {
        let entry = try TLogFixtures.entry(path)
        let logs = try TLogFixtures.logs(TLogFixtures.rootPath(for: path))
        let set = try #require(entry.inclusionPromise)
        for position in set.indices {
            var changed = set
            changed[position] ^= 0x01
            #expect(failure(mutate(entry, promise: changed), logs) == .setInvalid, "SET byte \(position)")
        }
    }

    @Test("flipping any byte of the body fails", arguments: cases)
    func bodyBytes(_ path: String) throws {
        let entry = try TLogFixtures.entry(path)
        let logs = try TLogFixtures.logs(TLogFixtures.rootPath(for: path))
        for position in stride(from: 0, to: entry.canonicalizedBody.count, by: 7) {
            var body = entry.canonicalizedBody
            body[position] ^= 0x01
            #expect(failure(mutate(entry, body: body), logs) != nil, "body byte \(position)")
        }
    }

    @Test("changing the proof, root, index, size or checkpoint fails", arguments: cases)
    func proofParts(_ path: String) throws {
        let entry = try TLogFixtures.entry(path)
        let logs = try TLogFixtures.logs(TLogFixtures.rootPath(for: path))
        let proof = try #require(entry.inclusionProof)
        for position in proof.hashes.indices {
            for byte in [0, 15, 31] {
                var hashes = proof.hashes
                hashes[position][byte] ^= 0x40
                #expect(failure(mutate(entry, proof: mutateProof(proof, hashes: hashes)), logs) == .inclusionProofInvalid)
            }
        }
        for byte in proof.rootHash.indices {
            var root = proof.rootHash
            root[byte] ^= 0x02
            #expect(failure(mutate(entry, proof: mutateProof(proof, rootHash: root)), logs) == .inclusionProofInvalid)
        }
        #expect(failure(mutate(entry, proof: mutateProof(proof, logIndex: proof.logIndex ^ 1)), logs) == .inclusionProofInvalid)
        for size in [proof.treeSize + 1, proof.treeSize - 1, proof.treeSize * 2] {
            #expect(failure(mutate(entry, proof: mutateProof(proof, treeSize: size)), logs) != nil, "tree size \(size)")
        }
        // The entry's own index: the SET signs it (v1); for v2 it must equal the proof index.
        #expect(failure(mutate(entry, logIndex: entry.logIndex + 1), logs) != nil)
        let envelope = try #require(proof.checkpoint)
        // Every byte of the checkpoint signature.
        let signatureLength = try Checkpoint.parse(envelope: envelope).signatures[0].signature.count
        for position in 0..<(signatureLength + 4) {
            let changed = rewriteSignature(envelope) { bytes in
                var bytes = bytes
                bytes[position] ^= 0x01
                return bytes
            }
            #expect(failure(mutate(entry, proof: mutateProof(proof, checkpoint: changed)), logs) == .checkpointInvalid,
                    "checkpoint signature byte \(position)")
        }
        // The signed text: size, root and origin lines.
        let checkpoint = try Checkpoint.parse(envelope: envelope)
        let textChanges = [
            envelope.replacingOccurrences(of: "\n\(checkpoint.treeSize)\n", with: "\n\(checkpoint.treeSize + 1)\n"),
            envelope.replacingOccurrences(of: checkpoint.origin + "\n", with: checkpoint.origin + "x\n"),
            envelope.replacingOccurrences(of: "\n\n", with: "\nextra\n\n"),
        ]
        for changed in textChanges {
            #expect(failure(mutate(entry, proof: mutateProof(proof, checkpoint: changed)), logs) == .checkpointInvalid)
        }
        // No checkpoint at all.
        #expect(failure(mutate(entry, proof: TransparencyLogEntry.InclusionProof(logIndex: proof.logIndex, rootHash: proof.rootHash,
            treeSize: proof.treeSize, hashes: proof.hashes, checkpoint: nil)), logs) == .checkpointInvalid)
    }

    @Test("changing the integrated time or log id fails", arguments: cases.prefix(2))
    func setFields(_ path: String) throws {
        let entry = try TLogFixtures.entry(path)
        let logs = try TLogFixtures.logs(TLogFixtures.rootPath(for: path))
        let time = try #require(entry.integratedTime)
        #expect(failure(mutate(entry, integratedTime: time + 1), logs) == .setInvalid)
        #expect(failure(mutate(entry, integratedTime: time - 1), logs) == .setInvalid)
        var logID = entry.logID
        logID[0] ^= 1
        #expect(failure(mutate(entry, logID: logID), logs) == .logKeyUnknown)
        // The right log id with the wrong key (another log's key under this log's id).
        let other = try #require(logs.first { $0.logID != entry.logID && $0.key.kind == .ed25519 })
        let log = try #require(logs.first { $0.logID == entry.logID })
        let impostor = TransparencyLogKey(logID: log.logID, key: other.key, baseURL: log.baseURL, validFrom: nil, validUntil: nil)
        #expect(failure(entry, [impostor]) != nil)
    }

    @Test("the log key must be valid at the integrated time (closed interval)")
    func keyValidity() throws {
        let entry = try TLogFixtures.entry("bundles/conformance/happy-path-v0.2/bundle.sigstore.json")
        let time = Date(timeIntervalSince1970: TimeInterval(try #require(entry.integratedTime)))
        let log = try #require(try TLogFixtures.logs("roots/production.trusted_root.json").first { $0.logID == entry.logID })
        func with(_ from: Date?, _ until: Date?) -> [TransparencyLogKey] {
            [TransparencyLogKey(logID: log.logID, key: log.key, baseURL: log.baseURL, validFrom: from, validUntil: until)]
        }
        #expect(failure(entry, with(time, time)) == nil)
        #expect(failure(entry, with(nil, time.addingTimeInterval(-1))) == .logKeyExpired)
        #expect(failure(entry, with(time.addingTimeInterval(1), nil)) == .logKeyExpired)
    }

    @Test func requiredProofAndRekorV2Rules() throws {
        let entry = try TLogFixtures.entry("bundles/conformance/happy-path-v0.2/bundle.sigstore.json")
        let logs = try TLogFixtures.logs("roots/production.trusted_root.json")
        let noProof = TransparencyLogEntry(logIndex: entry.logIndex, logID: entry.logID, kindVersion: entry.kindVersion,
                                           integratedTime: entry.integratedTime, inclusionPromise: entry.inclusionPromise,
                                           inclusionProof: nil, canonicalizedBody: entry.canonicalizedBody)
        #expect(failure(noProof, logs, requireProof: false) == nil)
        #expect(failure(noProof, logs, requireProof: true) == .inclusionProofInvalid)
        let nothing = TransparencyLogEntry(logIndex: entry.logIndex, logID: entry.logID, kindVersion: entry.kindVersion,
                                           integratedTime: entry.integratedTime, inclusionPromise: nil,
                                           inclusionProof: nil, canonicalizedBody: entry.canonicalizedBody)
        #expect(failure(nothing, logs) == .tlogEntryMissing)
        let wrongKind = TransparencyLogEntry(logIndex: entry.logIndex, logID: entry.logID, kindVersion: .init(kind: "hashedrekord", version: "0.0.2"),
                                             integratedTime: entry.integratedTime, inclusionPromise: entry.inclusionPromise,
                                             inclusionProof: entry.inclusionProof, canonicalizedBody: entry.canonicalizedBody)
        #expect(failure(wrongKind, logs) == .entryBodyMismatch)
        #expect(failure(entry, []) == .logKeyUnknown)
    }
}
