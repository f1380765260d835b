// A Sigstore bundle's transparency-log entry (dev.sigstore.rekor.v1.TransparencyLogEntry, protojson).
import Foundation

/// A bundle's `verificationMaterial.tlogEntries[i]`, decoded from its protojson form (camelCase names, int64
/// values as decimal strings or numbers, bytes as base64, `null` for absent messages).
///
/// Decoding checks only types and encodings (and size limits); `TransparencyLogVerifier.verify` checks the values.
/// A decoding problem throws `TransparencyLogError` (`tlog_entry_invalid`, `set_invalid`, `inclusion_proof_invalid`,
/// `entry_body_invalid`) through `JSONDecoder`.
public struct TransparencyLogEntry: Sendable, Hashable, Decodable {
    /// The entry's kind and version as declared by the bundle (`kindVersion`), e.g. `hashedrekord` / `0.0.1`.
    public struct KindVersion: Sendable, Hashable, Decodable {
        /// The entry kind (`hashedrekord`, `dsse`, `intoto`, …).
        public let kind: String
        /// The entry kind's API version (`0.0.1`, `0.0.2`, …).
        public let version: String

        /// Creates a kind/version pair.
        public init(kind: String, version: String) {
            self.kind = kind
            self.version = version
        }

        /// Decodes `{"kind": …, "version": …}`.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: TLogCodingKey.self)
            kind = try container.decodeIfPresent(String.self, forKey: "kind") ?? ""
            version = try container.decodeIfPresent(String.self, forKey: "version") ?? ""
        }
    }

    /// An RFC 6962 inclusion proof with the checkpoint (signed tree head) it is anchored to.
    public struct InclusionProof: Sendable, Hashable, Decodable {
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

        /// Decodes the protojson `InclusionProof`.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: TLogCodingKey.self)
            logIndex = try TLogDecoding.int64(container, "logIndex", code: .inclusionProofInvalid) ?? 0
            treeSize = try TLogDecoding.int64(container, "treeSize", code: .inclusionProofInvalid) ?? 0
            rootHash = try TLogDecoding.bytes(container, "rootHash", code: .inclusionProofInvalid, limit: 64) ?? []
            let hashStrings = try container.decodeIfPresent([String].self, forKey: "hashes") ?? []
            guard hashStrings.count <= MerkleTree.maxProofHashes else {
                throw TransparencyLogError(.inclusionProofInvalid,
                    "inclusionProof.hashes has \(hashStrings.count) hashes, more than the \(MerkleTree.maxProofHashes) any tree needs")
            }
            hashes = try hashStrings.enumerated().map { position, text in
                guard text.utf8.count <= 128, let hash = TLogCoding.base64Decode(text) else {
                    throw TransparencyLogError(.inclusionProofInvalid, "inclusionProof.hashes[\(position)] is not valid base64")
                }
                return hash
            }
            if container.contains("checkpoint"), try !container.decodeNil(forKey: "checkpoint") {
                let nested = try container.nestedContainer(keyedBy: TLogCodingKey.self, forKey: "checkpoint")
                let envelope = try nested.decodeIfPresent(String.self, forKey: "envelope")
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

    /// Decodes the protojson `TransparencyLogEntry`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: TLogCodingKey.self)
        logIndex = try TLogDecoding.int64(container, "logIndex", code: .tlogEntryInvalid) ?? 0
        if container.contains("logId"), try !container.decodeNil(forKey: "logId") {
            let nested = try container.nestedContainer(keyedBy: TLogCodingKey.self, forKey: "logId")
            logID = try TLogDecoding.bytes(nested, "keyId", code: .tlogEntryInvalid, limit: 64) ?? []
        } else {
            logID = []
        }
        kindVersion = try container.decodeIfPresent(KindVersion.self, forKey: "kindVersion") ?? KindVersion(kind: "", version: "")
        integratedTime = try TLogDecoding.int64(container, "integratedTime", code: .tlogEntryInvalid)
        if container.contains("inclusionPromise"), try !container.decodeNil(forKey: "inclusionPromise") {
            let nested = try container.nestedContainer(keyedBy: TLogCodingKey.self, forKey: "inclusionPromise")
            inclusionPromise = try TLogDecoding.bytes(nested, "signedEntryTimestamp", code: .setInvalid, limit: 4096)
        } else {
            inclusionPromise = nil
        }
        inclusionProof = try container.decodeIfPresent(InclusionProof.self, forKey: "inclusionProof")
        canonicalizedBody = try TLogDecoding.bytes(container, "canonicalizedBody", code: .entryBodyInvalid,
                                                   limit: TransparencyLogEntry.maxBodySize) ?? []
    }
}

/// A coding key made from any string (protojson field names).
struct TLogCodingKey: CodingKey, ExpressibleByStringLiteral {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
    init(stringLiteral value: String) { self.stringValue = value }
}

/// protojson scalar decoding helpers (internal).
enum TLogDecoding {
    /// An int64 field: a decimal string (protojson's canonical form) or a JSON integer; nil if absent or null.
    static func int64(_ container: KeyedDecodingContainer<TLogCodingKey>, _ key: TLogCodingKey,
                      code: TransparencyLogError.Code) throws -> Int64? {
        guard container.contains(key), try !container.decodeNil(forKey: key) else { return nil }
        if let text = try? container.decode(String.self, forKey: key) {
            guard let value = Int64(text) else {
                throw TransparencyLogError(code, "\(key.stringValue) \"\(text.prefix(40))\" is not a 64-bit integer")
            }
            return value
        }
        if let value = try? container.decode(Int64.self, forKey: key) { return value }
        throw TransparencyLogError(code, "\(key.stringValue) is not a 64-bit integer")
    }

    /// A bytes field (base64); nil if absent or null. `limit` bounds the decoded size.
    static func bytes(_ container: KeyedDecodingContainer<TLogCodingKey>, _ key: TLogCodingKey,
                      code: TransparencyLogError.Code, limit: Int) throws -> [UInt8]? {
        guard container.contains(key), try !container.decodeNil(forKey: key) else { return nil }
        guard let text = try? container.decode(String.self, forKey: key) else {
            throw TransparencyLogError(code, "\(key.stringValue) is not a base64 string")
        }
        guard text.utf8.count <= (limit + 2) / 3 * 4 else {
            throw TransparencyLogError(code, "\(key.stringValue) is larger than the \(limit) bytes allowed")
        }
        guard let bytes = TLogCoding.base64Decode(text) else {
            throw TransparencyLogError(code, "\(key.stringValue) is not valid base64")
        }
        return bytes
    }
}
