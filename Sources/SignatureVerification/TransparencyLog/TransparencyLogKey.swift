// A transparency log the verifier trusts.
import CryptoPrimitives
import Foundation

/// A transparency log the verifier trusts, as listed in a trusted root's `tlogs[]`.
public struct TransparencyLogKey: Sendable, Hashable {
    /// The log id (32 bytes): SHA-256 of the key's SPKI for ECDSA logs (Rekor v1), the C2SP key id for Ed25519
    /// Rekor v2 logs. Entries name their log by this id.
    public let logID: [UInt8]
    /// The log's public key (signs SETs and checkpoints).
    public let key: PublicKey
    /// The log's base URL, e.g. `https://rekor.sigstore.dev`; its host is the checkpoint signer name and, for
    /// Rekor v2, the checkpoint origin.
    public let baseURL: String
    /// Start of the key's validity (inclusive); nil = unbounded. A trusted-root parser should insist on it.
    public let validFrom: Date?
    /// End of the key's validity (inclusive); nil = open-ended.
    public let validUntil: Date?
    /// The name the log signs its checkpoints as, when it is not the host of `baseURL`: a private Rekor whose
    /// `rekor_server.hostname` (its machine's name by default) differs from the address clients use. Nil = the host.
    public let checkpointName: String?

    /// Creates a trusted log.
    public init(logID: [UInt8], key: PublicKey, baseURL: String, validFrom: Date?, validUntil: Date?,
                checkpointName: String? = nil) {
        self.logID = logID
        self.key = key
        self.baseURL = baseURL
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.checkpointName = checkpointName
    }

    /// The name in this log's checkpoint origins, as Rekor derives it: its hostname (Rekor v1 writes the origin
    /// `<name> - <tree id>`, Rekor v2 / C2SP `<name>` alone), or the configured `checkpointName`.
    public var checkpointSignerName: String { checkpointName ?? host }

    /// The authority part of `baseURL` (host, plus port if any): `https://rekor.sigstore.dev` → `rekor.sigstore.dev`,
    /// `http://localhost:8000` → `localhost:8000`.
    public var host: String { Self.host(of: baseURL) }

    /// The authority part of a log URL (host, plus port if any; no user info, path, query or fragment): the one
    /// derivation of a log's name from its URL.
    static func host(of baseURL: String) -> String {
        var rest = Substring(baseURL)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<slash] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        return String(rest)
    }

    /// True if `time` lies in the closed interval [validFrom, validUntil].
    public func isValid(at time: Date) -> Bool {
        ValidityPeriod(start: validFrom ?? .distantPast, end: validUntil).contains(time)
    }

    /// The validity window for messages: `[start, end]`, with -∞ / ∞ for an open side.
    var validityDescription: String {
        "[\(validFrom.map(formatRFC3339) ?? "-∞"), \(validUntil.map(formatRFC3339) ?? "∞")]"
    }

    /// A short human name for messages: host and log id prefix.
    var displayName: String { "\(host) (log id \(logID.prefix(4).hexString)…)" }

    /// The C2SP signed-note key hint (4 bytes) of this key when it signs as `name`:
    /// ECDSA: SHA-256(SPKI)[0..<4]; Ed25519: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ raw key)[0..<4];
    /// RSA: SHA-256(name ‖ 0x0A ‖ 0xFF ‖ "PKIX-RSA-PKCS#1v1.5" ‖ SPKI)[0..<4].
    public func checkpointKeyHint(name: String) -> [UInt8] {
        switch key.kind {
        case .ecdsaP256, .ecdsaP384, .ecdsaP521:
            return Array(HashAlgorithm.sha256.hash(key.spkiDER).prefix(4))
        case .ed25519:
            var input = Array(name.utf8)
            input += [0x0A, 0x01]
            input += key.spkiDER.suffix(32)
            return Array(HashAlgorithm.sha256.hash(input).prefix(4))
        case .rsa:
            var input = Array(name.utf8)
            input += [0x0A, 0xFF]
            input += Array("PKIX-RSA-PKCS#1v1.5".utf8)
            input += key.spkiDER
            return Array(HashAlgorithm.sha256.hash(input).prefix(4))
        }
    }

    /// Verifies a checkpoint signature over the note text: ECDSA over SHA-256, pure Ed25519, RSA-PSS/SHA-256.
    func isValidNoteSignature(_ signature: [UInt8], text: [UInt8]) -> Bool {
        switch key.kind {
        case .rsa: key.isValidSignature(signature, for: text, hash: .sha256, rsaPadding: .pss)
        default: key.isValidSignature(signature, for: text, hash: .sha256)
        }
    }
}
