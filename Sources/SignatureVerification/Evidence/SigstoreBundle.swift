import CryptoPrimitives
import Foundation
import GateVerdict
import StrictJSON

/// A parsed Sigstore bundle (`dev.sigstore.bundle.v1.Bundle`, protojson), versions 0.1, 0.2 and 0.3.
///
/// Parsing enforces the structural rules of the format: known media type, base64 `bytes`, int64 as decimal strings
/// or numbers, at most 32 transparency-log entries and 32 RFC 3161 timestamps, v0.1 entries carry an inclusion
/// promise, v0.2+ entries an inclusion proof, v0.3 forbids `x509CertificateChain`, a certificate chain is not empty.
/// Every byte field is kept as the exact decoded bytes; nothing is re-encoded. The JSON is read by StrictJSON, the
/// one parser of JSON trees: a member name repeated anywhere is refused, as protojson (sigstore-go) refuses it, so no
/// two readers can see two different bundles in the same bytes.
public struct SigstoreBundle: Sendable {
    /// A bundle format version.
    public enum Version: String, Sendable, Comparable, CaseIterable {
        /// 0.1: x509CertificateChain, inclusion promise (SET) required.
        case v0_1 = "0.1"
        /// 0.2: inclusion proof required.
        case v0_2 = "0.2"
        /// 0.3: single `certificate`, chains forbidden.
        case v0_3 = "0.3"

        /// Orders versions.
        public static func < (lhs: Version, rhs: Version) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// What the signer's key is attested by.
    public enum VerificationMaterial: Sendable, Equatable {
        /// A public key known out of band (`publicKey.hint` is an unauthenticated hint).
        case publicKey(hint: String?)
        /// v0.1/v0.2: DER certificates, leaf first.
        case certificateChain([[UInt8]])
        /// v0.3: the DER leaf certificate.
        case certificate([UInt8])

        /// The DER leaf certificate, if the material is certificate based.
        public var leafCertificateDER: [UInt8]? {
            switch self {
            case .publicKey: return nil
            case .certificateChain(let chain): return chain.first
            case .certificate(let der): return der
            }
        }
    }

    /// A signature over the artifact itself (`messageSignature`).
    public struct MessageSignature: Sendable, Equatable {
        /// `messageDigest.algorithm` mapped to a hash, or nil when no digest is given.
        public let digestAlgorithm: HashAlgorithm?
        /// `messageDigest.digest` (an unauthenticated hint; it must equal the artifact's digest).
        public let digest: [UInt8]?
        /// The raw signature bytes.
        public let signature: [UInt8]
    }

    /// What the bundle signs.
    public enum Content: Sendable, Equatable {
        /// A signature over the artifact bytes.
        case messageSignature(MessageSignature)
        /// A DSSE envelope (normally an in-toto statement that names the artifact as a subject).
        case dsseEnvelope(DSSEEnvelope)

        /// The signature bytes that RFC 3161 timestamps cover (the message signature, or the single DSSE signature).
        public var signatureBytes: [UInt8]? {
            switch self {
            case .messageSignature(let message): return message.signature
            case .dsseEnvelope(let envelope): return envelope.signatures.count == 1 ? envelope.signatures[0].signature : nil
            }
        }
    }

    /// The structural view of one `tlogEntries[]` element (the full entry is `TransparencyLogEntry`).
    public struct TlogEntryShape: Sendable, Equatable {
        /// `logIndex` (global index, used by the SET).
        public let logIndex: Int64
        /// `logId.keyId`.
        public let logID: [UInt8]
        /// `kindVersion.kind`.
        public let kind: String
        /// `kindVersion.version`.
        public let version: String
        /// `integratedTime` (Unix seconds; 0 when absent, as for Rekor v2).
        public let integratedTime: Int64
        /// Whether an inclusion promise (SET) is present.
        public let hasInclusionPromise: Bool
        /// Whether an inclusion proof is present.
        public let hasInclusionProof: Bool
        /// Whether the inclusion proof carries a checkpoint.
        public let hasCheckpoint: Bool
        /// The decoded `canonicalizedBody`.
        public let canonicalizedBody: [UInt8]
    }

    /// Largest bundle accepted (bytes).
    public static let maximumSize = 64 << 20
    /// Most transparency-log entries accepted (as sigstore-go and sigstore-python).
    public static let maximumTlogEntries = 32
    /// Most RFC 3161 timestamps accepted.
    public static let maximumTimestamps = 32
    /// Most certificates accepted in `x509CertificateChain`.
    public static let maximumChainLength = 10

    /// The bundle's `mediaType` string.
    public let mediaType: String
    /// The format version derived from the media type.
    public let version: Version
    /// The key or certificate material.
    public let verificationMaterial: VerificationMaterial
    /// The signed content.
    public let content: Content
    /// The transparency-log entries as parsed by `TransparencyLogEntry` (same order as `tlogEntryShapes`).
    public let tlogEntries: [TransparencyLogEntry]
    /// Structural view of the transparency-log entries.
    public let tlogEntryShapes: [TlogEntryShape]
    /// DER `TimeStampResp` (or token) of each RFC 3161 timestamp.
    public let rfc3161Timestamps: [[UInt8]]

    /// Parses a bundle from its JSON bytes; throws `bundle_invalid` naming the field and the rule broken.
    public init(json: Data) throws {
        guard json.count <= SigstoreBundle.maximumSize else {
            throw bundleError(.bundleParse, "bundle is \(json.count) bytes, more than the \(SigstoreBundle.maximumSize) accepted")
        }
        let wire: WireBundle
        do {
            wire = try WireBundle(try JSONFields(parsing: Array(json)))
        } catch let error as SignatureVerificationError {
            throw error
        } catch let error as JSONSyntaxError {
            throw bundleError(.bundleParse, "bundle is not valid JSON: \(error)")
        } catch {
            throw bundleError(.bundleParse, "bundle is not of the bundle shape: \(error)")
        }
        try self.init(wire: wire)
    }

    /// Reads and parses a bundle file.
    public init(contentsOfFile path: String) throws {
        let data: Data
        do {
            data = try readFileBounded(path, limit: SigstoreBundle.maximumSize)
        } catch let error as SignatureVerificationError {
            throw bundleError(.bundleRead, error.message)
        }
        try self.init(json: data)
    }

    /// Maps a media type to a version, or nil when it is not a supported bundle media type.
    public static func version(ofMediaType mediaType: String) -> Version? {
        switch mediaType {
        case "application/vnd.dev.sigstore.bundle+json;version=0.1", "application/vnd.dev.sigstore.bundle.v0.1+json":
            return .v0_1
        case "application/vnd.dev.sigstore.bundle+json;version=0.2", "application/vnd.dev.sigstore.bundle.v0.2+json":
            return .v0_2
        case "application/vnd.dev.sigstore.bundle+json;version=0.3", "application/vnd.dev.sigstore.bundle.v0.3+json":
            return .v0_3
        default:
            return nil
        }
    }

    private init(wire: WireBundle) throws {
        guard let mediaType = wire.mediaType else { throw bundleError(.bundleMediaType, "bundle has no mediaType") }
        guard let version = SigstoreBundle.version(ofMediaType: mediaType) else {
            throw bundleError(.bundleMediaType,
                              "unsupported bundle mediaType \"\(mediaType)\"; expected application/vnd.dev.sigstore.bundle.v0.3+json or …bundle+json;version=0.1|0.2|0.3")
        }
        self.mediaType = mediaType
        self.version = version
        guard let material = wire.verificationMaterial else {
            throw bundleError(.bundleVerificationMaterial, "bundle has no verificationMaterial")
        }

        // Key or certificate material (a protobuf oneof: exactly one).
        let present = [material.publicKeyHint != nil, material.chain != nil, material.certificate != nil]
            .filter { $0 }.count
        guard present == 1 else {
            throw bundleError(.bundleVerificationMaterial,
                              present == 0 ? "verificationMaterial has no publicKey, x509CertificateChain or certificate"
                                           : "verificationMaterial sets more than one of publicKey, x509CertificateChain, certificate")
        }
        if let hint = material.publicKeyHint {
            verificationMaterial = .publicKey(hint: hint)
        } else if let certificates = material.chain {
            guard version < .v0_3 else {
                throw bundleError(.bundleVerificationMaterial,
                                  "a v0.3 bundle must carry a single `certificate`, not an x509CertificateChain")
            }
            guard !certificates.isEmpty else {
                throw bundleError(.bundleVerificationMaterial, "x509CertificateChain is empty; a certificate is required")
            }
            guard certificates.count <= SigstoreBundle.maximumChainLength else {
                throw bundleError(.bundleVerificationMaterial,
                                  "x509CertificateChain has \(certificates.count) certificates, more than \(SigstoreBundle.maximumChainLength)")
            }
            verificationMaterial = .certificateChain(try certificates.enumerated().map { index, cert in
                try decodeBytes(cert, field: "x509CertificateChain.certificates[\(index)].rawBytes")
            })
        } else if let cert = material.certificate {
            verificationMaterial = .certificate(try decodeBytes(cert, field: "certificate.rawBytes"))
        } else {
            throw bundleError(.bundleVerificationMaterial, "verificationMaterial is empty")
        }

        // Content (oneof).
        switch (wire.messageSignature, wire.dsseEnvelope) {
        case (let message?, nil):
            var algorithm: HashAlgorithm? = nil
            var digest: [UInt8]? = nil
            if let algorithmName = message.digestAlgorithm {
                guard let name = algorithmName, let mapped = hashAlgorithm(protoName: name) else {
                    throw bundleError(.bundleMessageSignature,
                                      "messageDigest.algorithm \(algorithmName ?? "(missing)") is not SHA2_256, SHA2_384 or SHA2_512")
                }
                let value = try decodeBytes(message.digest, field: "messageSignature.messageDigest.digest")
                guard value.count == mapped.byteCount else {
                    throw bundleError(.bundleMessageSignature,
                                      "messageDigest.digest is \(value.count) bytes, \(mapped.rawValue) needs \(mapped.byteCount)")
                }
                algorithm = mapped
                digest = value
            }
            let signature = try decodeBytes(message.signature, field: "messageSignature.signature")
            content = .messageSignature(MessageSignature(digestAlgorithm: algorithm, digest: digest, signature: signature))
        case (nil, let envelope?):
            guard let payloadType = envelope.payloadType else {
                throw bundleError(.bundleDSSEEnvelope, "dsseEnvelope.payloadType is missing")
            }
            let payload = try decodeBytes(envelope.payload, field: "dsseEnvelope.payload", allowEmpty: true)
            let signatures = try envelope.signatures.enumerated().map { index, signature in
                DSSEEnvelope.Signature(keyID: signature.keyid ?? "",
                                       signature: try decodeBytes(signature.sig, field: "dsseEnvelope.signatures[\(index)].sig"))
            }
            guard signatures.count <= 32 else {
                throw bundleError(.bundleDSSEEnvelope, "dsseEnvelope has \(signatures.count) signatures; exactly one is allowed")
            }
            content = .dsseEnvelope(DSSEEnvelope(payloadType: payloadType, payload: payload, signatures: signatures))
        case (nil, nil):
            throw bundleError(.bundleContent, "bundle has neither messageSignature nor dsseEnvelope")
        case (_?, _?):
            throw bundleError(.bundleContent, "bundle has both messageSignature and dsseEnvelope; exactly one is allowed")
        }

        // Transparency-log entries.
        guard material.tlogEntryCount <= SigstoreBundle.maximumTlogEntries else {
            throw bundleError(.bundleTlogEntries,
                              "bundle has \(material.tlogEntryCount) transparency-log entries, more than the \(SigstoreBundle.maximumTlogEntries) accepted")
        }
        let entries = material.tlogEntries ?? []
        var seen = Set<String>()
        tlogEntryShapes = try entries.enumerated().map { index, entry in
            let shape = try TlogEntryShape(entry, field: "tlogEntries[\(index)]", version: version)
            let key = (shape.logID).hexString + "/" + String(shape.logIndex)
            guard seen.insert(key).inserted else {
                throw bundleError(.bundleTlogEntries, "tlogEntries[\(index)] repeats log \((shape.logID.prefix(4)).hexString)… index \(shape.logIndex)")
            }
            return shape
        }
        tlogEntries = entries

        // RFC 3161 timestamps.
        let timestamps = material.rfc3161Timestamps ?? []
        guard timestamps.count <= SigstoreBundle.maximumTimestamps else {
            throw bundleError(.bundleTimestamps,
                              "bundle has \(timestamps.count) RFC 3161 timestamps, more than the \(SigstoreBundle.maximumTimestamps) accepted")
        }
        let decodedTimestamps = try timestamps.enumerated().map { index, timestamp in
            try decodeBytes(timestamp, field: "rfc3161Timestamps[\(index)].signedTimestamp")
        }
        guard Set(decodedTimestamps).count == decodedTimestamps.count else {
            throw bundleError(.bundleTimestamps, "bundle repeats the same RFC 3161 timestamp; each must appear once")
        }
        rfc3161Timestamps = decodedTimestamps
    }
}

/// Maps a protobuf `HashAlgorithm` enum name to a hash.
func hashAlgorithm(protoName: String) -> HashAlgorithm? {
    switch protoName {
    case "SHA2_256": return .sha256
    case "SHA2_384": return .sha384
    case "SHA2_512": return .sha512
    default: return nil
    }
}

func bundleError(_ check: CheckName, _ message: String) -> SignatureVerificationError {
    SignatureVerificationError(.bundleInvalid, check: check, message)
}

private func decodeBytes(_ text: String?, field: String, allowEmpty: Bool = false) throws -> [UInt8] {
    guard let text else { throw bundleError(.bundleParse, "\(field) is missing") }
    guard let bytes = protoBase64Decode(text) else {
        throw bundleError(.bundleParse, "\(field) is not valid base64")
    }
    guard allowEmpty || !bytes.isEmpty else { throw bundleError(.bundleParse, "\(field) is empty") }
    return bytes
}

/// The bundle's members as protojson gives them, before the format's rules are applied (`init(wire:)`). Reading
/// checks only types; absent and `null` members are nil.
private struct WireBundle {
    struct Material {
        var publicKeyHint: String??
        var chain: [String?]?
        var certificate: String??
        var tlogEntryCount = 0
        var tlogEntries: [TransparencyLogEntry]?
        var rfc3161Timestamps: [String?]?

        init(_ fields: JSONFields) throws {
            publicKeyHint = try fields.object("publicKey").map { try $0.string("hint") }
            chain = try fields.object("x509CertificateChain").map { try ($0.objects("certificates") ?? []).map { try $0.string("rawBytes") } }
            certificate = try fields.object("certificate").map { try $0.string("rawBytes") }
            rfc3161Timestamps = try fields.object("timestampVerificationData")?.objects("rfc3161Timestamps")?
                .map { try $0.string("signedTimestamp") }
            // Count before reading the entries, so a hostile bundle cannot make us read thousands of them.
            let entries = try fields.objects("tlogEntries") ?? []
            tlogEntryCount = entries.count
            if !entries.isEmpty && entries.count <= SigstoreBundle.maximumTlogEntries {
                do {
                    tlogEntries = try entries.map(TransparencyLogEntry.init(fields:))
                } catch let error as TransparencyLogError {
                    throw bundleError(.bundleTlogEntries, error.message)
                }
            }
        }
    }
    struct Message {
        var digestAlgorithm: String??
        var digest: String?
        var signature: String?
    }
    struct Envelope {
        var payload: String?
        var payloadType: String?
        var signatures: [(sig: String?, keyid: String?)]
    }
    var mediaType: String?
    var verificationMaterial: Material?
    var messageSignature: Message?
    var dsseEnvelope: Envelope?

    init(_ fields: JSONFields) throws {
        mediaType = try fields.string("mediaType")
        verificationMaterial = try fields.object("verificationMaterial").map(Material.init)
        messageSignature = try fields.object("messageSignature").map { message in
            let digest = try message.object("messageDigest")
            return Message(digestAlgorithm: try digest.map { try $0.string("algorithm") }, digest: try digest?.string("digest"),
                           signature: try message.string("signature"))
        }
        dsseEnvelope = try fields.object("dsseEnvelope").map { envelope in
            Envelope(payload: try envelope.string("payload"), payloadType: try envelope.string("payloadType"),
                     signatures: try (envelope.objects("signatures") ?? []).map { (try $0.string("sig"), try $0.string("keyid")) })
        }
    }
}

extension SigstoreBundle.TlogEntryShape {
    /// Applies the bundle-level rules to a decoded entry: non-negative indexes and times, a log id, kind/version,
    /// a body, a promise in v0.1, a proof in v0.2+, a checkpoint with every proof.
    init(_ entry: TransparencyLogEntry, field: String, version: SigstoreBundle.Version) throws {
        func fail(_ message: String) -> SignatureVerificationError { bundleError(.bundleTlogEntries, "\(field): \(message)") }
        guard entry.logIndex >= 0 else { throw fail("logIndex \(entry.logIndex) is negative") }
        guard !entry.logID.isEmpty else { throw fail("logId.keyId is missing") }
        guard !entry.kindVersion.kind.isEmpty, !entry.kindVersion.version.isEmpty else { throw fail("kindVersion is missing") }
        let integrated = entry.integratedTime ?? 0
        guard integrated >= 0 else { throw fail("integratedTime \(integrated) is negative") }
        guard !entry.canonicalizedBody.isEmpty else { throw fail("canonicalizedBody is missing") }
        let hasPromise = !(entry.inclusionPromise?.isEmpty ?? true)
        let hasCheckpoint = !(entry.inclusionProof?.checkpoint?.isEmpty ?? true)
        if version == .v0_1 && !hasPromise {
            throw fail("a v0.1 bundle needs an inclusion promise (signed entry timestamp) in every entry")
        }
        if version >= .v0_2 && entry.inclusionProof == nil {
            throw fail("a v\(version.rawValue) bundle needs an inclusion proof in every entry")
        }
        if let proof = entry.inclusionProof {
            guard proof.logIndex >= 0 else { throw fail("inclusionProof.logIndex is negative") }
            guard proof.treeSize > proof.logIndex else { throw fail("inclusionProof.treeSize is not larger than its logIndex") }
            guard hasCheckpoint else { throw fail("inclusionProof has no checkpoint; a signed checkpoint is required") }
        }
        self.init(logIndex: entry.logIndex, logID: entry.logID, kind: entry.kindVersion.kind, version: entry.kindVersion.version,
                  integratedTime: integrated, hasInclusionPromise: hasPromise, hasInclusionProof: entry.inclusionProof != nil,
                  hasCheckpoint: hasCheckpoint, canonicalizedBody: entry.canonicalizedBody)
    }
}
