// Verification of transparency-log entries: SET, inclusion proof, checkpoint.
import CryptoPrimitives
import Foundation
import StrictJSON

/// What `TransparencyLogVerifier.verify` established about an entry.
public struct VerifiedLogEntry: Sendable, Hashable {
    /// The entry's log index (global index for Rekor v1).
    public let logIndex: Int64
    /// The id of the log that holds the entry.
    public let logID: [UInt8]
    /// The trusted log the entry was verified against.
    public let log: TransparencyLogKey
    /// The integrated time, set only when the SET that signs it verified (nil for Rekor v2 entries).
    public let integratedTime: Date?
    /// True if the signed entry timestamp verified.
    public let setVerified: Bool
    /// True if the inclusion proof reproduced a root hash that a verified checkpoint signs.
    public let inclusionProofVerified: Bool
    /// The verified checkpoint, when an inclusion proof was verified.
    public let checkpoint: Checkpoint?
    /// The parsed entry body: what the log says was signed. The caller must compare it with the bundle.
    public let body: RekorEntryBody
}

/// Verifies transparency-log entries (Rekor v1 and v2) offline: the signed entry timestamp (SET), the RFC 6962
/// inclusion proof and the checkpoint that anchors it. No clock is read; the log key's validity is checked at the
/// entry's integrated time.
public enum TransparencyLogVerifier {
    /// Verifies `entry` against the trusted `logs`:
    /// 1. the log is chosen by `entry.logID` (`log_key_unknown` if none);
    /// 2. the body parses as the declared kind/version (`entry_body_invalid` / `entry_body_mismatch`);
    /// 3. the entry carries an inclusion promise or proof (`tlog_entry_missing`), a proof if `requireInclusionProof`
    ///    or if it is a Rekor v2 entry (`inclusion_proof_invalid`);
    /// 4. a promise (SET) is verified: RFC 8785 canonical JSON of {body (base64 of canonicalizedBody),
    ///    integratedTime, logID (hex), logIndex} signed by the log key (`set_invalid`), the key valid at the
    ///    integrated time (`log_key_expired`);
    /// 5. a proof is verified: the leaf hash of canonicalizedBody leads to the root hash (`inclusion_proof_invalid`),
    ///    and a checkpoint signed by the log names that tree size and root hash (`checkpoint_invalid`).
    /// Everything present must verify. The body is returned for the caller to compare with the bundle.
    /// - Throws: `TransparencyLogError` whose message names the check, the log index and the fix.
    public static func verify(_ entry: TransparencyLogEntry, logs: [TransparencyLogKey],
                              requireInclusionProof: Bool) throws -> VerifiedLogEntry {
        let index = entry.logIndex
        func error(_ code: TransparencyLogError.Code, _ message: String) -> TransparencyLogError {
            TransparencyLogError(code, "tlog entry \(index): \(message)")
        }
        func prefixed<T>(_ work: () throws -> T) throws -> T {
            do { return try work() } catch let failure as TransparencyLogError {
                throw TransparencyLogError(failure.code, "tlog entry \(index): \(failure.message)")
            }
        }
        guard index >= 0 else {
            throw error(.tlogEntryInvalid, "logIndex is negative; the bundle is corrupt, fetch the entry again from the log")
        }
        guard entry.logID.count == 32 else {
            throw error(.tlogEntryInvalid, "logId.keyId is \(entry.logID.count) bytes, expected 32; the bundle is corrupt")
        }
        guard let log = logs.first(where: { $0.logID == entry.logID }) else {
            let known = logs.map(\.displayName).joined(separator: ", ")
            throw error(.logKeyUnknown,
                "the entry is in log \(entry.logID.hexString), which the trusted root does not list (known: \(known.isEmpty ? "none" : known)); use the trusted root of the Sigstore instance that logged it (e.g. --trusted-root, or --staging)")
        }
        guard !entry.canonicalizedBody.isEmpty else {
            throw error(.entryBodyInvalid, "canonicalizedBody is missing; the bundle must carry the logged entry")
        }
        let body = try prefixed {
            try RekorEntryBody.parseBody(entry.canonicalizedBody, kind: entry.kindVersion.kind, version: entry.kindVersion.version)
        }
        guard entry.inclusionPromise != nil || entry.inclusionProof != nil else {
            throw error(.tlogEntryMissing,
                "the entry carries neither an inclusion promise (SET) nor an inclusion proof, so nothing shows it was logged; re-create the bundle with the log's response")
        }
        if entry.inclusionProof == nil && (requireInclusionProof || body.isRekorV2) {
            throw error(.inclusionProofInvalid,
                "the entry has no inclusion proof, which \(body.isRekorV2 ? "a Rekor v2 entry" : "this bundle version") requires; re-create the bundle with a current client")
        }

        var integratedTime: Date?
        var setVerified = false
        if let promise = entry.inclusionPromise {
            guard let seconds = entry.integratedTime, seconds >= 0 else {
                throw error(.setInvalid, "the entry has a signed entry timestamp but no valid integratedTime; the bundle is corrupt")
            }
            let time = Date(timeIntervalSince1970: TimeInterval(seconds))
            guard log.isValid(at: time) else {
                throw error(.logKeyExpired,
                    "integrated time \(seconds) (\(formatRFC3339(time))) is outside the validity of log key \(log.displayName) \(log.validityDescription); the entry cannot be trusted under this trusted root")
            }
            try prefixed {
                try verifySET(promise, body: entry.canonicalizedBody, integratedTime: seconds, logIndex: index,
                              logID: entry.logID, log: log)
            }
            integratedTime = time
            setVerified = true
        }

        var checkpoint: Checkpoint?
        var proofVerified = false
        if let proof = entry.inclusionProof {
            guard proof.logIndex >= 0, proof.treeSize > 0 else {
                throw error(.inclusionProofInvalid,
                    "inclusion proof index \(proof.logIndex) / tree size \(proof.treeSize) are not valid; the bundle is corrupt")
            }
            try prefixed {
                try MerkleTree.verifyInclusion(index: UInt64(proof.logIndex), size: UInt64(proof.treeSize),
                                               leafHash: MerkleTree.leafHash(entry.canonicalizedBody),
                                               proof: proof.hashes, rootHash: proof.rootHash)
            }
            guard let envelope = proof.checkpoint, !envelope.isEmpty else {
                throw error(.checkpointInvalid,
                    "the inclusion proof has no checkpoint, so nothing shows the root hash is the log's; re-create the bundle with a current client (a proof without a signed checkpoint proves nothing)")
            }
            let verified = try prefixed { try Checkpoint.verify(envelope: envelope, key: log, expectedOrigin: nil) }
            guard verified.treeSize == UInt64(proof.treeSize), MerkleTree.constantTimeEqual(verified.rootHash, proof.rootHash) else {
                throw error(.checkpointInvalid,
                    "the checkpoint signs tree size \(verified.treeSize) root \(verified.rootHash.hexString), but the inclusion proof is for size \(proof.treeSize) root \(proof.rootHash.hexString); the proof is not anchored to the signed tree")
            }
            // Rekor v2 logs are not sharded: the entry index is the proof index (and nothing else signs it).
            if !verified.isRekorV1 && proof.logIndex != index {
                throw error(.inclusionProofInvalid,
                    "the inclusion proof is for index \(proof.logIndex), not the entry's index \(index); the bundle was altered")
            }
            checkpoint = verified
            proofVerified = true
        }
        return VerifiedLogEntry(logIndex: index, logID: entry.logID, log: log, integratedTime: integratedTime,
                                setVerified: setVerified, inclusionProofVerified: proofVerified, checkpoint: checkpoint,
                                body: body)
    }

    /// Checks the log key of an entry whose only evidence is an inclusion proof (Rekor v2, or a v0.3 bundle without
    /// a SET: no integrated time) against `times`, the times the caller verified for the signature (RFC 3161
    /// timestamps): the key must be valid at each of them, as it must be at an integrated time, or the proof says
    /// nothing about that time. An entry whose SET verified was checked at its integrated time already.
    /// - Throws: `TransparencyLogError` `log_key_expired` naming the time and the key's validity.
    public static func checkLogKeyValidity(_ entry: VerifiedLogEntry, at times: [Date]) throws {
        guard !entry.setVerified else { return }
        for time in times where !entry.log.isValid(at: time) {
            throw TransparencyLogError(.logKeyExpired,
                "tlog entry \(entry.logIndex): verified time \(formatRFC3339(time)) is outside the validity of log key \(entry.log.displayName) \(entry.log.validityDescription); its inclusion proof cannot vouch for that time under this trusted root")
        }
    }

    /// Parses an entry body of the declared kind and version (see `RekorEntryBody.parseBody(_:kind:version:)`).
    public static func parseBody(_ bytes: [UInt8], kind: String, version: String) throws -> RekorEntryBody {
        try RekorEntryBody.parseBody(bytes, kind: kind, version: version)
    }

    /// The exact bytes a Rekor SET signs: RFC 8785 canonical JSON of
    /// `{"body": base64(body), "integratedTime": …, "logID": hex(logID), "logIndex": …}`.
    public static func signedEntryTimestampPayload(body: [UInt8], integratedTime: Int64, logIndex: Int64,
                                                   logID: [UInt8]) throws -> [UInt8] {
        let object = JSONValue.object([
            "body": .string(base64Encode(body)),
            "integratedTime": .integer(integratedTime),
            "logID": .string(logID.hexString),
            "logIndex": .integer(logIndex),
        ])
        do { return try object.rfc8785Bytes() } catch {
            throw TransparencyLogError(.setInvalid, "cannot build the SET payload: \(error)")
        }
    }

    /// Verifies a SET signature (ECDSA over SHA-256 of the canonical payload for Rekor's keys).
    static func verifySET(_ signature: [UInt8], body: [UInt8], integratedTime: Int64, logIndex: Int64,
                          logID: [UInt8], log: TransparencyLogKey) throws {
        let payload = try signedEntryTimestampPayload(body: body, integratedTime: integratedTime, logIndex: logIndex, logID: logID)
        guard log.key.isValidSignature(signature, for: payload, hash: .sha256) else {
            throw TransparencyLogError(.setInvalid,
                "the signed entry timestamp does not verify under log key \(log.displayName); the entry body, integrated time, log index or SET was changed")
        }
    }
}
