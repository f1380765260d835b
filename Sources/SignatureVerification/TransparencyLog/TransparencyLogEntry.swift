// A Sigstore bundle's transparency-log entry (dev.sigstore.rekor.v1.TransparencyLogEntry, protojson).
import Foundation
import StrictJSON

/// A bundle's `verificationMaterial.tlogEntries[i]`, decoded from its protojson form (camelCase names, int64
/// values as decimal strings or numbers, bytes as base64, `null` for absent messages).
///
/// Decoding checks only types and encodings (and size limits); `TransparencyLogVerifier.verify` checks the values.
/// A decoding problem throws `TransparencyLogError` (`tlog_entry_invalid`, `set_invalid`, `inclusion_proof_invalid`,
/// `entry_body_invalid`). Read by StrictJSON, the one parser of JSON trees: a repeated member name is refused, as
/// protojson (sigstore-go) refuses it.
public struct TransparencyLogEntry: Sendable, Hashable {
    /// The entry's kind and version as declared by the bundle (`kindVersion`), e.g. `hashedrekord` / `0.0.1`.
    public struct KindVersion: Sendable, Hashable {
        /// The entry kind (`hashedrekord`, `dsse`, `intoto`, …).
        public let kind: String
        /// The entry kind's API version (`0.0.1`, `0.0.2`, …).
        public let version: String

        /// Creates a kind/version pair.
        public init(kind: String, version: String) {
            self.kind = kind
            self.version = version
        }

        /// Reads `{"kind": …, "version": …}`.
        init(fields: JSONFields) throws {
            kind = try TLogDecoding.field(.tlogEntryInvalid) { try fields.string("kind") } ?? ""
            version = try TLogDecoding.field(.tlogEntryInvalid) { try fields.string("version") } ?? ""
        }
    }

    /// An RFC 6962 inclusion proof with the checkpoint (signed tree head) it is anchored to.
    public struct InclusionProof: Sendable, Hashable {
        /// The leaf index in the tree the proof is for (for Rekor v1 shards: the index in the shard, which differs
        /// from the entry's global `logIndex`).
        public let logIndex: Int64
        /// The root hash the proof leads to.
        public let rootHash: [UInt8]
        /// The tree size the proof is for.
        public let treeSize: Int64
        /// The audit path, from the leaf up.
        public let hashes: [[UInt8]]
        /// The checkpoint envelope (a C2SP signed note), if present.
        public let checkpoint: String?

        /// Creates an inclusion proof.
        public init(logIndex: Int64, rootHash: [UInt8], treeSize: Int64, hashes: [[UInt8]], checkpoint: String?) {
            self.logIndex = logIndex
            self.rootHash = rootHash
            self.treeSize = treeSize
            self.hashes = hashes
            self.checkpoint = checkpoint
        }

        /// Reads the protojson `InclusionProof`.
        init(fields: JSONFields) throws {
            let code = TransparencyLogError.Code.inclusionProofInvalid
            logIndex = try TLogDecoding.field(code) { try fields.int64("logIndex") } ?? 0
            treeSize = try TLogDecoding.field(code) { try fields.int64("treeSize") } ?? 0
            rootHash = try TLogDecoding.bytes(fields, "rootHash", code: code, limit: 64) ?? []
            let hashStrings = try TLogDecoding.field(code) { try fields.strings("hashes") } ?? []
            guard hashStrings.count <= MerkleTree.maxProofHashes else {
                throw TransparencyLogError(code,
                    "inclusionProof.hashes has \(hashStrings.count) hashes, more than the \(MerkleTree.maxProofHashes) any tree needs")
            }
            hashes = try hashStrings.enumerated().map { position, text in
                guard text.utf8.count <= 128, let hash = TLogCoding.base64Decode(text) else {
                    throw TransparencyLogError(code, "inclusionProof.hashes[\(position)] is not valid base64")
                }
                return hash
            }
            if let nested = try TLogDecoding.field(code, { try fields.object("checkpoint") }) {
                let envelope = try TLogDecoding.field(.checkpointInvalid) { try nested.string("envelope") }
                if let envelope, envelope.utf8.count > Checkpoint.maxEnvelopeSize {
                    throw TransparencyLogError(.checkpointInvalid,
                        "checkpoint envelope is \(envelope.utf8.count) bytes, more than the \(Checkpoint.maxEnvelopeSize) allowed")
                }
                checkpoint = envelope
            } else {
                checkpoint = nil
            }
        }
    }

    /// The largest canonicalized body accepted (decoded bytes).
    public static let maxBodySize = 4 << 20

    /// The entry's index in the log (for Rekor v1: the global index that the SET signs).
    public let logIndex: Int64
    /// The log's id (`logId.keyId`): SHA-256 of the log key's SPKI for ECDSA logs, the C2SP key id for Rekor v2.
    public let logID: [UInt8]
    /// The declared kind and version of the body.
    public let kindVersion: KindVersion
    /// The time the log integrated the entry (Unix seconds); nil when absent (Rekor v2). Trust it only once the
    /// SET verified (`VerifiedLogEntry.integratedTime`).
    public let integratedTime: Int64?
    /// The signed entry timestamp (`inclusionPromise.signedEntryTimestamp`), a signature by the log key.
    public let inclusionPromise: [UInt8]?
    /// The inclusion proof, if any.
    public let inclusionProof: InclusionProof?
    /// The exact bytes the log stored (decoded `canonicalizedBody`); the Merkle leaf and the SET cover these.
    public let canonicalizedBody: [UInt8]

    /// Creates an entry from its parts.
    public init(logIndex: Int64, logID: [UInt8], kindVersion: KindVersion, integratedTime: Int64?,
                inclusionPromise: [UInt8]?, inclusionProof: InclusionProof?, canonicalizedBody: [UInt8]) {
        self.logIndex = logIndex
        self.logID = logID
        self.kindVersion = kindVersion
        self.integratedTime = integratedTime
        self.inclusionPromise = inclusionPromise
        self.inclusionProof = inclusionProof
        self.canonicalizedBody = canonicalizedBody
    }

    /// Parses one protojson `TransparencyLogEntry` document.
    /// - Throws: `TransparencyLogError` (`tlog_entry_invalid` for JSON that is not an entry object).
    public init(json: [UInt8]) throws {
        let fields: JSONFields
        do {
            fields = try JSONFields(parsing: json)
        } catch {
            throw TransparencyLogError(.tlogEntryInvalid, "the transparency-log entry is not a JSON object: \(error)")
        }
        try self.init(fields: fields)
    }

    /// Reads the protojson `TransparencyLogEntry` object `fields`.
    init(fields: JSONFields) throws {
        let code = TransparencyLogError.Code.tlogEntryInvalid
        logIndex = try TLogDecoding.field(code) { try fields.int64("logIndex") } ?? 0
        if let nested = try TLogDecoding.field(code, { try fields.object("logId") }) {
            logID = try TLogDecoding.bytes(nested, "keyId", code: code, limit: 64) ?? []
        } else {
            logID = []
        }
        kindVersion = try TLogDecoding.field(code) { try fields.object("kindVersion") }.map(KindVersion.init(fields:))
            ?? KindVersion(kind: "", version: "")
        integratedTime = try TLogDecoding.field(code) { try fields.int64("integratedTime") }
        if let nested = try TLogDecoding.field(code, { try fields.object("inclusionPromise") }) {
            inclusionPromise = try TLogDecoding.bytes(nested, "signedEntryTimestamp", code: .setInvalid, limit: 4096)
        } else {
            inclusionPromise = nil
        }
        inclusionProof = try TLogDecoding.field(.inclusionProofInvalid) { try fields.object("inclusionProof") }
            .map(InclusionProof.init(fields:))
        canonicalizedBody = try TLogDecoding.bytes(fields, "canonicalizedBody", code: .entryBodyInvalid,
                                                   limit: TransparencyLogEntry.maxBodySize) ?? []
    }
}

/// protojson field reading with this module's error codes (internal).
enum TLogDecoding {
    /// Runs one typed read of a member, turning a wrong type into `TransparencyLogError` with `code`.
    static func field<T>(_ code: TransparencyLogError.Code, _ read: () throws -> T) throws -> T {
        do {
            return try read()
        } catch let error as JSONShapeError {
            throw TransparencyLogError(code, error.description)
        }
    }

    /// A bytes member (base64); nil if absent or null. `limit` bounds the decoded size.
    static func bytes(_ fields: JSONFields, _ name: String, code: TransparencyLogError.Code, limit: Int) throws -> [UInt8]? {
        guard let text = try field(code, { try fields.string(name) }) else { return nil }
        guard text.utf8.count <= (limit + 2) / 3 * 4 else {
            throw TransparencyLogError(code, "\(fields.path(of: name)) is larger than the \(limit) bytes allowed")
        }
        guard let bytes = TLogCoding.base64Decode(text) else {
            throw TransparencyLogError(code, "\(fields.path(of: name)) is not valid base64")
        }
        return bytes
    }
}
