import Foundation
internal import COpenSSL

/// A Certificate Transparency log's identity and key, for verifying SCTs.
public struct CTLogKey: Sendable {
    /// The RFC 6962 log ID: SHA-256 of the log's DER SubjectPublicKeyInfo (32 bytes).
    public let logID: [UInt8]
    /// The log's public key.
    public let key: PublicKey

    /// Creates a log key with an explicit log ID (as listed in a trusted root).
    public init(logID: [UInt8], key: PublicKey) {
        self.logID = logID
        self.key = key
    }

    /// Creates a log key whose log ID is the SHA-256 of the key's SPKI (RFC 6962 §3.2).
    public init(key: PublicKey) {
        self.init(logID: key.sha256KeyID, key: key)
    }
}

/// An SCT whose signature verified under a known log's key.
public struct VerifiedSCT: Sendable {
    /// The log ID (32 bytes).
    public let logID: [UInt8]
    /// The SCT timestamp (milliseconds since the epoch, as a Date).
    public let timestamp: Date

    /// Creates a verified SCT value.
    public init(logID: [UInt8], timestamp: Date) {
        self.logID = logID
        self.timestamp = timestamp
    }
}

/// One SCT as carried in the X.509 extension (RFC 6962 §3.2), still unverified.
public struct SignedCertificateTimestamp: Sendable, Hashable {
    /// The SCT version (0 = v1).
    public let version: UInt8
    /// The log ID (32 bytes).
    public let logID: [UInt8]
    /// Milliseconds since the epoch.
    public let timestampMilliseconds: UInt64
    /// The CtExtensions bytes (non-empty for Static CT logs); covered by the signature.
    public let extensions: [UInt8]
    /// TLS HashAlgorithm (4 = SHA-256, 5 = SHA-384, 6 = SHA-512).
    public let hashAlgorithmCode: UInt8
    /// TLS SignatureAlgorithm (1 = RSA, 3 = ECDSA, 7 = Ed25519).
    public let signatureAlgorithmCode: UInt8
    /// The signature bytes.
    public let signature: [UInt8]

    /// The timestamp as a Date.
    public var timestamp: Date { Date(timeIntervalSince1970: TimeInterval(timestampMilliseconds) / 1000) }

    /// Parses the SCT list from the raw extnValue of extension 1.3.6.1.4.1.11129.2.4.2 (an OCTET STRING holding a
    /// TLS-encoded SignedCertificateTimestampList).
    /// - Throws: `CryptoError` `sct_invalid` if any length or field is malformed.
    public static func parseList(extensionValue: [UInt8]) throws -> [SignedCertificateTimestamp] {
        var der = DERReader(extensionValue)
        guard let octets = der.next(), octets.tag == 0x04, der.isAtEnd else {
            throw CryptoError(.sctInvalid, "SCT list extension is not a single DER OCTET STRING")
        }
        var reader = TLSReader(bytes: extensionValue, position: octets.contents.lowerBound, end: octets.contents.upperBound)
        guard let list = reader.vector(lengthBytes: 2), reader.isAtEnd else {
            throw CryptoError(.sctInvalid, "SCT list length does not match the extension")
        }
        guard !list.isEmpty else {
            // RFC 6962 §3.3: SerializedSCT sct_list <1..2^16-1>.
            throw CryptoError(.sctInvalid, "SCT list is empty; RFC 6962 requires at least one SCT")
        }
        var items = TLSReader(bytes: extensionValue, position: list.lowerBound, end: list.upperBound)
        var result: [SignedCertificateTimestamp] = []
        while !items.isAtEnd {
            guard let item = items.vector(lengthBytes: 2), !item.isEmpty else {
                throw CryptoError(.sctInvalid, "SCT #\(result.count + 1) has a bad length")
            }
            var sct = TLSReader(bytes: extensionValue, position: item.lowerBound, end: item.upperBound)
            guard let version = sct.integer(bytes: 1), version == 0 else {
                throw CryptoError(.sctInvalid, "SCT #\(result.count + 1) is not version 1")
            }
            guard let logID = sct.fixed(32), let timestamp = sct.integer(bytes: 8),
                  let extensions = sct.vector(lengthBytes: 2),
                  let hash = sct.integer(bytes: 1), let signatureAlgorithm = sct.integer(bytes: 1),
                  let signature = sct.vector(lengthBytes: 2), sct.isAtEnd else {
                throw CryptoError(.sctInvalid, "SCT #\(result.count + 1) is truncated or has trailing bytes")
            }
            result.append(SignedCertificateTimestamp(
                version: UInt8(version), logID: Array(extensionValue[logID]), timestampMilliseconds: timestamp,
                extensions: Array(extensionValue[extensions]), hashAlgorithmCode: UInt8(hash),
                signatureAlgorithmCode: UInt8(signatureAlgorithm), signature: Array(extensionValue[signature])))
        }
        return result
    }
}

/// Bounds-checked reader of TLS presentation-language encodings.
private struct TLSReader {
    let bytes: [UInt8]
    var position: Int
    let end: Int

    var isAtEnd: Bool { position == end }

    mutating func integer(bytes count: Int) -> UInt64? {
        guard end - position >= count else { return nil }
        var value: UInt64 = 0
        for _ in 0..<count {
            value = value << 8 | UInt64(bytes[position])
            position += 1
        }
        return value
    }

    mutating func fixed(_ count: Int) -> Range<Int>? {
        guard end - position >= count else { return nil }
        defer { position += count }
        return position..<(position + count)
    }

    mutating func vector(lengthBytes: Int) -> Range<Int>? {
        guard let length = integer(bytes: lengthBytes) else { return nil }
        return fixed(Int(length))
    }
}

/// The OID of the embedded SCT list extension.
let embeddedSCTListOID = "1.3.6.1.4.1.11129.2.4.2"

/// Verifies every SCT embedded in `leaf` (precertificate SCTs, RFC 6962 §3.2) against the known `logs`.
///
/// The signed data is rebuilt from the leaf: its TBSCertificate without the SCT extension, and the SHA-256 of the
/// issuer's SubjectPublicKeyInfo (`issuer` must be the certificate that signed `leaf`; with any other issuer no SCT
/// verifies). SCTs from unknown logs or with bad signatures are left out of the result; the caller decides how many
/// are required. The leaf's own signature is the chain validator's business, not checked here.
/// - Returns: the SCTs that verified (empty if the leaf carries none).
/// - Throws: `CryptoError` `sct_invalid` if the extension is malformed.
public func verifyEmbeddedSCTs(leaf: Certificate, issuer: Certificate, logs: [CTLogKey]) throws -> [VerifiedSCT] {
    guard let value = leaf.extensionValue(oid: embeddedSCTListOID) else { return [] }
    let scts = try SignedCertificateTimestamp.parseList(extensionValue: value)
    let tbs = try precertificateTBS(leaf)
    let issuerKeyHash = HashAlgorithm.sha256.hash(issuer.publicKey.spkiDER)
    var verified: [VerifiedSCT] = []
    for sct in scts {
        guard let log = logs.first(where: { $0.logID == sct.logID }) else { continue }
        var signed: [UInt8] = []
        signed.reserveCapacity(tbs.count + sct.extensions.count + 64)
        signed.append(0)                    // sct_version v1
        signed.append(0)                    // signature_type certificate_timestamp
        for shift in stride(from: 56, through: 0, by: -8) { signed.append(UInt8(truncatingIfNeeded: sct.timestampMilliseconds >> UInt64(shift))) }
        signed += [0, 1]                    // entry_type precert_entry
        signed += issuerKeyHash
        signed += [UInt8(truncatingIfNeeded: tbs.count >> 16), UInt8(truncatingIfNeeded: tbs.count >> 8), UInt8(truncatingIfNeeded: tbs.count)]
        signed += tbs
        signed += [UInt8(truncatingIfNeeded: sct.extensions.count >> 8), UInt8(truncatingIfNeeded: sct.extensions.count)]
        signed += sct.extensions
        if verifySCTSignature(sct, signed: signed, key: log.key) {
            verified.append(VerifiedSCT(logID: sct.logID, timestamp: sct.timestamp))
        }
    }
    return verified
}

private func verifySCTSignature(_ sct: SignedCertificateTimestamp, signed: [UInt8], key: PublicKey) -> Bool {
    switch (sct.signatureAlgorithmCode, key.kind) {
    case (7, .ed25519):
        return key.isValidSignature(sct.signature, for: signed)
    case (3, .ecdsaP256), (3, .ecdsaP384), (3, .ecdsaP521), (1, .rsa):
        let hash: HashAlgorithm
        switch sct.hashAlgorithmCode {
        case 4: hash = .sha256
        case 5: hash = .sha384
        case 6: hash = .sha512
        default: return false
        }
        return key.isValidSignature(sct.signature, for: signed, hash: hash, rsaPadding: .pkcs1v15)
    default:
        return false
    }
}

/// The DER of the SCT list extension's OID, 1.3.6.1.4.1.11129.2.4.2.
private let embeddedSCTListOIDDER: [UInt8] = [0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02]

/// The leaf's TBSCertificate with the embedded SCT list extension removed (what the CA submitted to the log as the
/// precertificate TBS), rebuilt from the leaf's original DER: the bytes before and after the removed Extension are
/// kept as they are and only the three enclosing lengths (extensions SEQUENCE, [3] wrapper, TBSCertificate) are
/// re-encoded. Nothing is copied or re-encoded by OpenSSL.
/// - Throws: `CryptoError` `sct_invalid` if the leaf has no or several SCT list extensions or its TBSCertificate
///   is not strict DER.
func precertificateTBS(_ leaf: Certificate) throws -> [UInt8] {
    let der = leaf.der
    let notDER = CryptoError(.sctInvalid, "the leaf's TBSCertificate is not strict DER; cannot rebuild the precertificate TBS")
    var outer = DERReader(der, range: leaf.tbsRange)
    guard let tbs = outer.next(), tbs.tag == 0x30, outer.isAtEnd else { throw notDER }
    // TBSCertificate fields: the extensions are the [3] EXPLICIT field, the last one.
    var fields = DERReader(der, range: tbs.contents)
    var wrapper: DERReader.Element?
    while !fields.isAtEnd {
        guard let field = fields.next() else { throw notDER }
        if field.tag == 0xa3 { wrapper = field }
    }
    guard let wrapper else { throw CryptoError(.sctInvalid, "leaf has no SCT list extension") }
    var inWrapper = DERReader(der, range: wrapper.contents)
    guard let list = inWrapper.next(), list.tag == 0x30, inWrapper.isAtEnd else { throw notDER }
    var extensions = DERReader(der, range: list.contents)
    var removed: Range<Int>?
    while !extensions.isAtEnd {
        guard let ext = extensions.next(), ext.tag == 0x30 else { throw notDER }
        var inExtension = DERReader(der, range: ext.contents)
        guard let oid = inExtension.next(), oid.tag == 0x06 else { throw notDER }
        if der[oid.whole].elementsEqual(embeddedSCTListOIDDER) {
            guard removed == nil else { throw CryptoError(.sctInvalid, "leaf has more than one SCT list extension") }
            removed = ext.whole
        }
    }
    guard let removed else { throw CryptoError(.sctInvalid, "leaf has no SCT list extension") }

    let listLength = list.contents.count - removed.count
    let wrapperLength = 1 + derLengthSize(listLength) + listLength
    let tbsLength = tbs.contents.count - wrapper.whole.count + 1 + derLengthSize(wrapperLength) + wrapperLength
    var out: [UInt8] = []
    out.reserveCapacity(1 + derLengthSize(tbsLength) + tbsLength)
    out.append(0x30)
    appendDERLength(tbsLength, to: &out)
    out += der[tbs.contents.lowerBound..<wrapper.whole.lowerBound]
    out.append(0xa3)
    appendDERLength(wrapperLength, to: &out)
    out.append(0x30)
    appendDERLength(listLength, to: &out)
    out += der[list.contents.lowerBound..<removed.lowerBound]
    out += der[removed.upperBound..<list.contents.upperBound]
    out += der[wrapper.whole.upperBound..<tbs.contents.upperBound]
    return out
}

/// The number of octets of the DER (minimal, definite) encoding of `length`.
func derLengthSize(_ length: Int) -> Int {
    guard length >= 0x80 else { return 1 }
    var size = 1
    var rest = length
    while rest > 0 {
        size += 1
        rest >>= 8
    }
    return size
}

/// Appends the DER (minimal, definite) encoding of `length`.
func appendDERLength(_ length: Int, to out: inout [UInt8]) {
    guard length >= 0x80 else {
        out.append(UInt8(length))
        return
    }
    let count = derLengthSize(length) - 1
    out.append(0x80 | UInt8(count))
    for index in stride(from: count - 1, through: 0, by: -1) {
        out.append(UInt8(truncatingIfNeeded: length >> (8 * index)))
    }
}
