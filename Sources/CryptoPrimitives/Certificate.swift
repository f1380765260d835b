import Foundation
internal import COpenSSL

/// Owns an OpenSSL X509. Immutable after parsing; shared read-only between copies of a `Certificate`.
final class X509Box: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { X509_free(pointer) }
}

/// A subject alternative name of any kind (RFC 5280 GeneralName).
public enum SubjectAlternativeName: Sendable, Hashable {
    /// rfc822Name.
    case email(String)
    /// uniformResourceIdentifier.
    case uri(String)
    /// dNSName.
    case dns(String)
    /// iPAddress: 4 bytes (IPv4) or 16 bytes (IPv6).
    case ipAddress([UInt8])
    /// otherName: the type OID (dotted) and the DER encoding of the value (e.g. a UTF8String TLV).
    /// Fulcio puts usernames in otherName 1.3.6.1.4.1.57264.1.7.
    case otherName(typeOID: String, value: [UInt8])
    /// Any other kind (x400Address, directoryName, ediPartyName, registeredID): the GeneralName's context tag
    /// number and its complete DER encoding.
    case other(tag: Int, der: [UInt8])

    /// The value as text for the string kinds (email, URI, DNS, a UTF8String/IA5String otherName), else nil.
    public var stringValue: String? {
        switch self {
        case .email(let value), .uri(let value), .dns(let value): value
        case .otherName(_, let value): decodeDERString(value)
        case .ipAddress, .other: nil
        }
    }
}

/// One X.509 v3 extension.
public struct CertificateExtension: Sendable, Hashable {
    /// The extension OID in dotted form, e.g. "2.5.29.17".
    public let oid: String
    /// Whether the extension is marked critical.
    public let critical: Bool
    /// The raw extnValue bytes (the contents of the OCTET STRING, i.e. the DER of the extension's value).
    public let value: [UInt8]

    /// Creates an extension value.
    public init(oid: String, critical: Bool, value: [UInt8]) {
        self.oid = oid
        self.critical = critical
        self.value = value
    }
}

/// A parsed X.509 certificate. Parsed once at creation; every property is precomputed or cheap.
/// Equality and hashing compare the DER bytes.
public struct Certificate: Sendable, Hashable {
    /// The exact DER encoding the certificate was created from.
    public let der: [UInt8]
    /// The subject distinguished name in RFC 4514 form (most specific first, e.g. "CN=x,O=y"); "" when empty.
    public let subject: String
    /// The issuer distinguished name in RFC 4514 form.
    public let issuer: String
    /// The serial number as lowercase hexadecimal (no leading zeros; "-" prefix if negative).
    public let serialNumberHex: String
    /// The start of the validity period.
    public let notBefore: Date
    /// The end of the validity period (inclusive).
    public let notAfter: Date
    /// The subject public key.
    public let publicKey: PublicKey
    /// Whether basicConstraints says cA = TRUE.
    public let isCA: Bool
    /// Whether the certificate is self-issued and its own signature verifies under its own key.
    public let isSelfSigned: Bool
    /// Every subjectAltName entry, in order.
    public let subjectAlternativeNames: [SubjectAlternativeName]
    /// Every extension, in order.
    public let extensions: [CertificateExtension]
    /// The extendedKeyUsage OIDs (dotted), empty if the extension is absent.
    public let extendedKeyUsageOIDs: [String]
    /// The signature algorithm OID (dotted), e.g. "1.2.840.10045.4.3.3" for ecdsa-with-SHA384.
    public let signatureAlgorithmOID: String
    /// The raw signatureValue bytes (for ECDSA, the DER Ecdsa-Sig-Value) made by the issuer over `tbsDER`.
    public let signatureValue: [UInt8]
    let tbsRange: Range<Int>
    let box: X509Box

    /// The largest certificate accepted (1 MiB).
    public static let maximumDERSize = 1 << 20

    /// Parses a DER certificate. The input must be exactly one certificate.
    /// - Throws: `CryptoError` `invalid_certificate` if malformed, with trailing bytes, with malformed extensions,
    ///   or with an unsupported public key.
    public init(der: [UInt8]) throws {
        guard der.count <= Certificate.maximumDERSize else {
            throw CryptoError(.invalidCertificate, "certificate is \(der.count) bytes, more than the \(Certificate.maximumDERSize) accepted")
        }
        let x509: OpaquePointer = try der.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, buffer.count > 0 else {
                throw CryptoError(.invalidCertificate, "certificate DER is empty")
            }
            var cursor: UnsafePointer<UInt8>? = base
            guard let cert = d2i_X509(nil, &cursor, buffer.count) else {
                throw cryptoError(.invalidCertificate, "not a valid DER X.509 certificate (truncated or corrupted?)")
            }
            guard let end = cursor, end - base == buffer.count else {
                X509_free(cert)
                throw CryptoError(.invalidCertificate, "certificate DER has trailing bytes")
            }
            return cert
        }
        let box = X509Box(x509)
        // Locate TBSCertificate inside the original bytes: Certificate ::= SEQUENCE { tbs SEQUENCE, ... }.
        var outer = DERReader(der)
        guard let certificate = outer.next(), certificate.tag == 0x30 else {
            throw CryptoError(.invalidCertificate, "certificate is not a DER SEQUENCE")
        }
        var inner = DERReader(der, range: certificate.contents)
        guard let tbs = inner.next(), tbs.tag == 0x30 else {
            throw CryptoError(.invalidCertificate, "certificate has no TBSCertificate SEQUENCE")
        }
        let flags = X509_get_extension_flags(x509)
        if flags & UInt32(EXFLAG_INVALID) != 0 {
            throw cryptoError(.invalidCertificate, "certificate has malformed or duplicate extensions")
        }
        self.der = der
        self.box = box
        self.tbsRange = tbs.whole
        self.subject = try nameString(X509_get_subject_name(x509))
        self.issuer = try nameString(X509_get_issuer_name(x509))
        self.serialNumberHex = try serialHex(X509_get0_serialNumber(x509))
        self.notBefore = try dateFromASN1Time(X509_get0_notBefore(x509), what: "notBefore")
        self.notAfter = try dateFromASN1Time(X509_get0_notAfter(x509), what: "notAfter")
        self.isCA = flags & UInt32(EXFLAG_CA) != 0
        self.isSelfSigned = X509_self_signed(x509, 1) == 1
        clearOpenSSLErrors()
        do {
            // d2i_X509 has already decoded the key: share it (one more reference) with the SPKI bytes sliced from
            // `der`, instead of re-encoding the SPKI and decoding the key a second time.
            if let spki = subjectPublicKeyInfoRange(der, tbs: tbs.contents), let pkey = X509_get0_pubkey(x509) {
                self.publicKey = try PublicKey(retaining: pkey, spkiDER: Array(der[spki]))
            } else {
                self.publicKey = try PublicKey(derSPKI: try spkiBytes(x509))
            }
        } catch let error as CryptoError {
            throw CryptoError(.invalidCertificate, "certificate public key: \(error.message)")
        }
        self.extensions = try readExtensions(x509)
        self.subjectAlternativeNames = try readSubjectAlternativeNames(x509)
        self.extendedKeyUsageOIDs = try readExtendedKeyUsage(x509)
        var signature: UnsafePointer<ASN1_BIT_STRING>?
        var algorithm: UnsafePointer<X509_ALGOR>?
        X509_get0_signature(&signature, &algorithm, x509)
        self.signatureValue = asn1StringBytes(signature)
        var algorithmObject: OpaquePointer?
        if let algorithm { X509_ALGOR_get0(&algorithmObject, nil, nil, algorithm) }
        self.signatureAlgorithmOID = oidString(algorithmObject)
    }

    /// Parses every "CERTIFICATE" block of a PEM text, in order (other blocks are skipped).
    /// - Throws: `CryptoError` `invalid_certificate` if there is no certificate block or any block is malformed.
    public static func parsePEM(_ pem: String) throws -> [Certificate] {
        let blocks = try PEMBlock.parseAll(pem, errorCode: .invalidCertificate).filter { $0.label == "CERTIFICATE" }
        guard !blocks.isEmpty else {
            throw CryptoError(.invalidCertificate, "no -----BEGIN CERTIFICATE----- block found")
        }
        return try blocks.enumerated().map { index, block in
            do {
                return try Certificate(der: block.der)
            } catch let error as CryptoError {
                throw CryptoError(error.code, "PEM certificate #\(index + 1): \(error.message)")
            }
        }
    }

    /// The exact DER bytes of the TBSCertificate (the signed part), sliced from `der`.
    public var tbsDER: [UInt8] { Array(der[tbsRange]) }

    /// The raw extnValue of the first extension with this dotted OID, or nil.
    public func extensionValue(oid: String) -> [UInt8]? {
        extensions.first { $0.oid == oid }?.value
    }

    /// The certificate as a "CERTIFICATE" PEM block.
    public var pem: String {
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN CERTIFICATE-----\n\(base64)\n-----END CERTIFICATE-----\n"
    }

    /// SHA-256 of the DER (the usual certificate fingerprint).
    public var sha256Fingerprint: [UInt8] { HashAlgorithm.sha256.hash(der) }

    /// Whether `issuer`'s subject matches this certificate's issuer and its key verifies this certificate's
    /// signature. (Names and signature only; validity and constraints are the chain validator's job.)
    public func isIssued(by issuer: Certificate) -> Bool {
        defer { clearOpenSSLErrors() }
        guard X509_check_issued(issuer.box.pointer, box.pointer) == X509_V_OK else { return false }
        guard let key = X509_get0_pubkey(issuer.box.pointer) else { return false }
        return X509_verify(box.pointer, key) == 1
    }

    /// Compares the DER bytes.
    public static func == (lhs: Certificate, rhs: Certificate) -> Bool { lhs.der == rhs.der }

    /// Hashes the DER bytes.
    public func hash(into hasher: inout Hasher) { hasher.combine(der) }

    /// Decodes a DER string value (UTF8String, IA5String, PrintableString), as found in Fulcio's v2 extensions
    /// (1.3.6.1.4.1.57264.1.8 and later) and otherName SANs; nil if `der` is not exactly one such string.
    public static func decodeDERString(_ der: [UInt8]) -> String? {
        CryptoPrimitives.decodeDERString(der)
    }
}

// MARK: - OpenSSL helpers

/// Copies the bytes of an OpenSSL ASN1_STRING.
func asn1StringBytes(_ string: UnsafePointer<ASN1_STRING>?) -> [UInt8] {
    guard let string, let data = ASN1_STRING_get0_data(string) else { return [] }
    let length = Int(ASN1_STRING_length(string))
    guard length > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: length))
}

/// The dotted text of an ASN1_OBJECT (what `OBJ_obj2txt(..., 1)` prints), decoded in Swift from the object's
/// content octets; OBJ_obj2txt (which formats each arc through BIO_snprintf) is only used for arcs beyond 64 bits.
func oidString(_ object: OpaquePointer?) -> String {
    guard let object else { return "" }
    if let data = OBJ_get0_data(object), let text = dottedOID(UnsafeBufferPointer(start: data, count: OBJ_length(object))) {
        return text
    }
    return oidStringByOpenSSL(object)
}

/// The dotted form of OBJECT IDENTIFIER content octets (X.690 §8.19); nil if empty, truncated, not minimally
/// encoded, or with an arc that does not fit 57 bits.
func dottedOID(_ content: UnsafeBufferPointer<UInt8>) -> String? {
    guard !content.isEmpty else { return nil }
    var text = ""
    text.reserveCapacity(content.count * 3)
    var value: UInt64 = 0
    var inArc = false
    var first = true
    for byte in content {
        if !inArc && byte == 0x80 { return nil }  // leading 0x80: not minimal
        guard value < (1 << 57) else { return nil }
        value = value << 7 | UInt64(byte & 0x7f)
        inArc = true
        guard byte & 0x80 == 0 else { continue }
        if first {
            let top: UInt64 = value < 40 ? 0 : value < 80 ? 1 : 2
            text += String(top)
            text += "."
            text += String(value - 40 * top)
            first = false
        } else {
            text += "."
            text += String(value)
        }
        value = 0
        inArc = false
    }
    return inArc ? nil : text
}

/// The OIDs of `certificate`'s extensions as formatted by OpenSSL: the reference the Swift OID decoder is checked
/// against.
func extensionOIDsFormattedByOpenSSL(_ certificate: Certificate) -> [String] {
    (0..<max(X509_get_ext_count(certificate.box.pointer), 0)).map { index in
        X509_EXTENSION_get_object(X509_get_ext(certificate.box.pointer, index)).map(oidStringByOpenSSL) ?? ""
    }
}

/// The dotted text of an ASN1_OBJECT, as formatted by OpenSSL.
func oidStringByOpenSSL(_ object: OpaquePointer) -> String {
    var buffer = [CChar](repeating: 0, count: 128)
    let length = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
    guard length > 0 else { return "" }
    if Int(length) >= buffer.count {
        buffer = [CChar](repeating: 0, count: Int(length) + 1)
        _ = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
    }
    return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Calls an i2d function into a fresh byte array.
func derEncode(_ encode: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) -> [UInt8]? {
    let length = encode(nil)
    guard length > 0 else { return nil }
    var out = [UInt8](repeating: 0, count: Int(length))
    let written: Int32 = out.withUnsafeMutableBufferPointer { buffer in
        var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
        return encode(&cursor)
    }
    return written == length ? out : nil
}

private func nameString(_ name: OpaquePointer?) throws -> String {
    guard let name, let bio = BIO_new(BIO_s_mem()) else {
        throw cryptoError(.internalError, "cannot allocate a memory BIO")
    }
    defer { BIO_free(bio) }
    guard X509_NAME_print_ex(bio, name, 0, iv_name_flags_rfc2253_utf8()) >= 0 else {
        throw cryptoError(.invalidCertificate, "cannot print a distinguished name")
    }
    var data: UnsafeMutablePointer<CChar>?
    let length = iv_bio_get_mem_data(bio, &data)
    guard length > 0, let data else { return "" }
    return String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
}

private func serialHex(_ serial: UnsafePointer<ASN1_INTEGER>?) throws -> String {
    guard let serial, let bignum = ASN1_INTEGER_to_BN(serial, nil) else {
        throw cryptoError(.invalidCertificate, "certificate serial number is malformed")
    }
    defer { BN_free(bignum) }
    guard let hex = BN_bn2hex(bignum) else { throw cryptoError(.internalError, "BN_bn2hex failed") }
    defer { CRYPTO_free(hex, #fileID, #line) }
    return String(cString: hex).lowercased()
}

/// Converts an ASN1_TIME (UTCTime or GeneralizedTime) to a Date.
func dateFromASN1Time(_ time: UnsafePointer<ASN1_TIME>?, what: String) throws -> Date {
    var tm = tm()
    guard let time, ASN1_TIME_to_tm(time, &tm) == 1 else {
        throw cryptoError(.invalidCertificate, "\(what) time is malformed")
    }
    return Date(timeIntervalSince1970: TimeInterval(timegm(&tm)))
}

/// The range of the SubjectPublicKeyInfo TLV inside `der`, given the range of the TBSCertificate's contents:
/// TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer, validity, subject,
/// subjectPublicKeyInfo, ... }. Nil if the layout is not strict DER as expected (the caller then re-encodes).
func subjectPublicKeyInfoRange(_ der: [UInt8], tbs: Range<Int>) -> Range<Int>? {
    var reader = DERReader(der, range: tbs)
    guard var element = reader.next() else { return nil }
    if element.tag == 0xa0 {
        guard let next = reader.next() else { return nil }
        element = next
    }
    // serialNumber INTEGER, then signature, issuer, validity, subject (SEQUENCEs), then the SPKI SEQUENCE.
    guard element.tag == 0x02 else { return nil }
    for _ in 0..<4 {
        guard let field = reader.next(), field.tag == 0x30 else { return nil }
    }
    guard let spki = reader.next(), spki.tag == 0x30 else { return nil }
    return spki.whole
}

func spkiBytes(_ x509: OpaquePointer) throws -> [UInt8] {
    guard let spki = X509_get_X509_PUBKEY(x509),
          let bytes = derEncode({ i2d_X509_PUBKEY(spki, $0) }) else {
        throw cryptoError(.invalidCertificate, "certificate has no encodable SubjectPublicKeyInfo")
    }
    return bytes
}

private func readExtensions(_ x509: OpaquePointer) throws -> [CertificateExtension] {
    let count = X509_get_ext_count(x509)
    guard count > 0 else { return [] }
    var result: [CertificateExtension] = []
    result.reserveCapacity(Int(count))
    for index in 0..<count {
        guard let ext = X509_get_ext(x509, index) else {
            throw cryptoError(.invalidCertificate, "extension #\(index) cannot be read")
        }
        let oid = oidString(X509_EXTENSION_get_object(ext))
        let data = X509_EXTENSION_get_data(ext)
        result.append(CertificateExtension(oid: oid, critical: X509_EXTENSION_get_critical(ext) == 1,
                                           value: asn1StringBytes(UnsafePointer(data))))
    }
    return result
}

private func readSubjectAlternativeNames(_ x509: OpaquePointer) throws -> [SubjectAlternativeName] {
    var critical: Int32 = 0
    guard let raw = X509_get_ext_d2i(x509, NID_subject_alt_name, &critical, nil) else {
        if critical == -1 { return [] }  // absent
        throw cryptoError(.invalidCertificate, "subjectAltName extension is malformed or duplicated")
    }
    let names = OpaquePointer(raw)
    defer { GENERAL_NAMES_free(names) }
    var result: [SubjectAlternativeName] = []
    let count = OPENSSL_sk_num(names)
    for index in 0..<max(count, 0) {
        guard let element = OPENSSL_sk_value(names, index) else { continue }
        let name = element.assumingMemoryBound(to: GENERAL_NAME.self)
        var type: Int32 = 0
        let value = GENERAL_NAME_get0_value(name, &type)
        let string = value?.assumingMemoryBound(to: ASN1_STRING.self)
        switch type {
        case GEN_EMAIL, GEN_DNS, GEN_URI:
            let text = String(decoding: asn1StringBytes(UnsafePointer(string)), as: UTF8.self)
            result.append(type == GEN_EMAIL ? .email(text) : type == GEN_DNS ? .dns(text) : .uri(text))
        case GEN_IPADD:
            result.append(.ipAddress(asn1StringBytes(UnsafePointer(string))))
        case GEN_OTHERNAME:
            var oid: OpaquePointer?
            var otherValue: UnsafeMutablePointer<ASN1_TYPE>?
            guard GENERAL_NAME_get0_otherName(name, &oid, &otherValue) == 1, let otherValue,
                  let der = derEncode({ i2d_ASN1_TYPE(otherValue, $0) }) else {
                throw cryptoError(.invalidCertificate, "otherName SAN #\(index) is malformed")
            }
            result.append(.otherName(typeOID: oidString(oid), value: der))
        default:
            guard let der = derEncode({ i2d_GENERAL_NAME(name, $0) }) else {
                throw cryptoError(.invalidCertificate, "SAN #\(index) cannot be encoded")
            }
            result.append(.other(tag: Int(type), der: der))
        }
    }
    return result
}

private func readExtendedKeyUsage(_ x509: OpaquePointer) throws -> [String] {
    var critical: Int32 = 0
    guard let raw = X509_get_ext_d2i(x509, NID_ext_key_usage, &critical, nil) else {
        if critical == -1 { return [] }
        throw cryptoError(.invalidCertificate, "extendedKeyUsage extension is malformed or duplicated")
    }
    let usages = OpaquePointer(raw)
    defer { EXTENDED_KEY_USAGE_free(usages) }
    let count = OPENSSL_sk_num(usages)
    return (0..<max(count, 0)).map { oidString(OpaquePointer(OPENSSL_sk_value(usages, $0))) }
}
