/// The RFC 3161 / RFC 5652 layout of a timestamp, read strictly from its DER before OpenSSL sees it.
///
/// OpenSSL's `TS_RESP_verify_token` checks the CMS signature over the signed attributes, the message-digest
/// attribute, the ESS signing-certificate binding and the TSA chain, but it does not look at what lies outside the
/// signed bytes: the response status beyond "a grant", the SignedData and SignerInfo versions, the digestAlgorithms
/// set, the SignerInfo's signatureAlgorithm (for EC keys the key and the digest algorithm decide), embedded
/// certificates it does not use (a signer found among the caller's certificates wins), CRLs and unsigned attributes.
/// It also matches the signer identifier by canonical name comparison, which ignores case. Every one of those bytes
/// could be changed and the token still verified; this reader refuses them, so any flipped bit of a token fails.
struct TimestampLayout: Sendable {
    /// The issuer Name and serial number INTEGER (whole TLVs) that identify the signing certificate.
    struct SignerIdentifier: Sendable, Hashable {
        let issuerName: [UInt8]
        let serialNumber: [UInt8]
    }

    /// The TimeStampToken (ContentInfo) inside the DER given: the whole input for a bare token, the second field of a
    /// TimeStampResp otherwise.
    let tokenRange: Range<Int>
    /// The signer's digest algorithm (SignerInfo.digestAlgorithm, the only member of SignedData.digestAlgorithms).
    let digestAlgorithm: HashAlgorithm
    /// SignerInfo.signatureAlgorithm, checked against the signing key by `checkSignatureAlgorithm(for:)`.
    let signatureAlgorithm: AlgorithmIdentifier
    /// SignerInfo.sid.
    let signer: SignerIdentifier
    /// The certificates of SignedData.certificates, in order, as DER.
    let embeddedCertificates: [[UInt8]]

    /// Reads `der`, a TimeStampResp or a bare TimeStampToken.
    /// - Throws: `CryptoError` `timestamp_invalid` naming the first field that is not as RFC 3161 and RFC 5652 say.
    init(der: [UInt8]) throws {
        var outer = DERReader(der)
        guard let top = outer.next(), top.tag == Tag.sequence, outer.isAtEnd else {
            throw Self.invalid("is not one DER SEQUENCE (TimeStampResp or TimeStampToken) without trailing bytes")
        }
        var fields = DERReader(der, range: top.contents)
        guard let first = fields.next() else { throw Self.invalid("is an empty SEQUENCE") }
        if first.tag == Tag.objectIdentifier {
            tokenRange = top.whole
        } else {
            try Self.checkGrantedStatus(der, first)
            guard let token = fields.next(), token.tag == Tag.sequence, fields.isAtEnd else {
                throw Self.invalid("response has no TimeStampToken after its status (or has fields after it)")
            }
            tokenRange = token.whole
        }
        (digestAlgorithm, signatureAlgorithm, signer, embeddedCertificates) = try Self.readToken(der, tokenRange)
    }

    /// PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText OPTIONAL, failInfo OPTIONAL }.
    /// Only `granted` (0) is accepted: Sigstore's TSA answers nothing else, and a grant "with modifications" is a
    /// different statement. The free text is a human-readable note that nothing reads; it must still be a
    /// SEQUENCE OF UTF8String. A failure code has no place in a grant.
    private static func checkGrantedStatus(_ der: [UInt8], _ statusInfo: DERReader.Element) throws {
        guard statusInfo.tag == Tag.sequence else { throw invalid("response status is not a PKIStatusInfo SEQUENCE") }
        var reader = DERReader(der, range: statusInfo.contents)
        guard let status = reader.next(), status.tag == Tag.integer else {
            throw invalid("response status has no PKIStatus INTEGER")
        }
        let value = Array(der[status.contents])
        guard value == [0x00] else {
            let name = value == [0x01] ? "grantedWithMods" : "\(value.hexString)"
            throw invalid("response status is \(name), not granted (0); only a plain grant is accepted")
        }
        if let text = reader.next() {
            guard text.tag == Tag.sequence else { throw invalid("response status has a field other than statusString") }
            var strings = DERReader(der, range: text.contents)
            while let string = strings.next() {
                guard string.tag == Tag.utf8String, String(validating: der[string.contents], as: UTF8.self) != nil else {
                    throw invalid("response statusString is not a SEQUENCE OF UTF8String")
                }
            }
            guard strings.position == text.contents.upperBound else { throw invalid("response statusString is malformed") }
        }
        guard reader.isAtEnd else { throw invalid("response status of a grant carries a failInfo or trailing fields") }
    }

    /// ContentInfo ::= SEQUENCE { contentType id-signedData, content [0] EXPLICIT SignedData }.
    private static func readToken(_ der: [UInt8], _ range: Range<Int>) throws
        -> (HashAlgorithm, AlgorithmIdentifier, SignerIdentifier, [[UInt8]]) {
        var contentInfo = DERReader(der, range: contentsOf(der, range))
        guard let type = contentInfo.next(), type.tag == Tag.objectIdentifier,
              oid(der, type) == OID.signedData else {
            throw invalid("token is not a CMS ContentInfo of type signedData")
        }
        guard let explicit = contentInfo.next(), explicit.tag == Tag.context0Constructed, contentInfo.isAtEnd else {
            throw invalid("token has no [0] content (or has fields after it)")
        }
        var wrapper = DERReader(der, range: explicit.contents)
        guard let signedData = wrapper.next(), signedData.tag == Tag.sequence, wrapper.isAtEnd else {
            throw invalid("token content is not one SignedData SEQUENCE")
        }
        return try readSignedData(der, signedData)
    }

    /// SignedData ::= SEQUENCE { version CMSVersion, digestAlgorithms SET OF, encapContentInfo,
    ///   certificates [0] IMPLICIT OPTIONAL, crls [1] IMPLICIT OPTIONAL, signerInfos SET OF SignerInfo }.
    private static func readSignedData(_ der: [UInt8], _ signedData: DERReader.Element) throws
        -> (HashAlgorithm, AlgorithmIdentifier, SignerIdentifier, [[UInt8]]) {
        var reader = DERReader(der, range: signedData.contents)
        // RFC 5652 §5.1: the encapsulated content is not id-data, so the version is 3.
        guard Self.readsSmallInteger(&reader, der, 3) else {
            throw invalid("SignedData version is not 3 (RFC 5652 §5.1 for TSTInfo content)")
        }
        guard let digestSet = reader.next(), digestSet.tag == Tag.set else {
            throw invalid("SignedData has no digestAlgorithms SET")
        }
        var digests = DERReader(der, range: digestSet.contents)
        guard let onlyDigest = digests.next(), digests.isAtEnd else {
            throw invalid("SignedData.digestAlgorithms must name exactly the one digest algorithm of its one signer")
        }
        let listedDigest = try AlgorithmIdentifier(der, onlyDigest, what: "SignedData.digestAlgorithms")
        guard let encapsulated = reader.next(), encapsulated.tag == Tag.sequence else {
            throw invalid("SignedData has no encapContentInfo")
        }
        try checkEncapsulatedTSTInfo(der, encapsulated)
        var element = reader.next()
        var certificates: [[UInt8]] = []
        if let current = element, current.tag == Tag.context0Constructed {
            var certificateReader = DERReader(der, range: current.contents)
            while let certificate = certificateReader.next() {
                guard certificate.tag == Tag.sequence else {
                    throw invalid("SignedData.certificates holds something other than an X.509 certificate")
                }
                certificates.append(Array(der[certificate.whole]))
            }
            // Empty is allowed: some TSAs (Sigstore's) write an empty [0] rather than leaving the field out.
            guard certificateReader.position == current.contents.upperBound else {
                throw invalid("SignedData.certificates is malformed")
            }
            element = reader.next()
        }
        if let current = element, current.tag == Tag.context1Constructed {
            throw invalid("SignedData carries CRLs, which a timestamp has no use for; refusing unverifiable content")
        }
        guard let signerSet = element, signerSet.tag == Tag.set, reader.isAtEnd else {
            throw invalid("SignedData has no signerInfos SET as its last field")
        }
        var signers = DERReader(der, range: signerSet.contents)
        guard let signerInfo = signers.next(), signerInfo.tag == Tag.sequence, signers.isAtEnd else {
            throw invalid("SignedData must have exactly one SignerInfo")
        }
        let (digest, signature, signer) = try readSignerInfo(der, signerInfo, listedDigest: listedDigest)
        return (digest, signature, signer, certificates)
    }

    /// EncapsulatedContentInfo ::= SEQUENCE { eContentType id-ct-TSTInfo, eContent [0] EXPLICIT OCTET STRING }.
    private static func checkEncapsulatedTSTInfo(_ der: [UInt8], _ encapsulated: DERReader.Element) throws {
        var reader = DERReader(der, range: encapsulated.contents)
        guard let type = reader.next(), type.tag == Tag.objectIdentifier, oid(der, type) == OID.tstInfo else {
            throw invalid("encapsulated content type is not id-ct-TSTInfo")
        }
        guard let explicit = reader.next(), explicit.tag == Tag.context0Constructed, reader.isAtEnd else {
            throw invalid("encapsulated content has no [0] eContent (or has fields after it)")
        }
        var content = DERReader(der, range: explicit.contents)
        guard let octets = content.next(), octets.tag == Tag.octetString, content.isAtEnd else {
            throw invalid("eContent is not one OCTET STRING")
        }
        try checkTSTInfo(der, octets.contents)
    }

    /// TSTInfo ::= SEQUENCE { version v1(1), policy, messageImprint, serialNumber, genTime, ... }. The TSTInfo is
    /// covered by the signature (through the message-digest attribute); these checks make a malformed one a clear error.
    private static func checkTSTInfo(_ der: [UInt8], _ range: Range<Int>) throws {
        var outer = DERReader(der, range: range)
        guard let info = outer.next(), info.tag == Tag.sequence, outer.isAtEnd else {
            throw invalid("TSTInfo is not one SEQUENCE")
        }
        var reader = DERReader(der, range: info.contents)
        guard Self.readsSmallInteger(&reader, der, 1) else {
            throw invalid("TSTInfo version is not 1")
        }
        guard let policy = reader.next(), policy.tag == Tag.objectIdentifier, oid(der, policy) != nil else {
            throw invalid("TSTInfo has no policy OID")
        }
        guard let imprint = reader.next(), imprint.tag == Tag.sequence else {
            throw invalid("TSTInfo has no messageImprint")
        }
        var imprintReader = DERReader(der, range: imprint.contents)
        guard let algorithmElement = imprintReader.next(), let hashed = imprintReader.next(),
              hashed.tag == Tag.octetString, imprintReader.isAtEnd else {
            throw invalid("TSTInfo messageImprint is not { hashAlgorithm, hashedMessage }")
        }
        let algorithm = try AlgorithmIdentifier(der, algorithmElement, what: "messageImprint.hashAlgorithm")
        if let hash = algorithm.hashAlgorithm {
            guard algorithm.hasAbsentOrNullParameters else {
                throw invalid("messageImprint.hashAlgorithm has parameters other than NULL")
            }
            guard hashed.contents.count == hash.byteCount else {
                throw invalid("messageImprint is \(hashed.contents.count) bytes, not the \(hash.byteCount) of \(hash.rawValue)")
            }
        }
    }

    /// SignerInfo ::= SEQUENCE { version 1, sid IssuerAndSerialNumber, digestAlgorithm, signedAttrs [0] IMPLICIT,
    ///   signatureAlgorithm, signature OCTET STRING, unsignedAttrs [1] IMPLICIT OPTIONAL }.
    private static func readSignerInfo(_ der: [UInt8], _ signerInfo: DERReader.Element, listedDigest: AlgorithmIdentifier)
        throws -> (HashAlgorithm, AlgorithmIdentifier, SignerIdentifier) {
        var reader = DERReader(der, range: signerInfo.contents)
        // Version 3 (a subjectKeyIdentifier sid) is valid CMS, but OpenSSL's PKCS#7 reader, which checks the signature,
        // knows only issuerAndSerialNumber: refuse it here with a clear message.
        guard Self.readsSmallInteger(&reader, der, 1) else {
            throw invalid("SignerInfo version is not 1 (issuerAndSerialNumber; subjectKeyIdentifier signers are not supported)")
        }
        guard let sid = reader.next(), sid.tag == Tag.sequence else {
            throw invalid("SignerInfo has no issuerAndSerialNumber")
        }
        var sidReader = DERReader(der, range: sid.contents)
        guard let issuer = sidReader.next(), issuer.tag == Tag.sequence, let serial = sidReader.next(),
              serial.tag == Tag.integer, !serial.contents.isEmpty, sidReader.isAtEnd else {
            throw invalid("SignerInfo issuerAndSerialNumber is not { Name, INTEGER }")
        }
        guard let digestElement = reader.next() else { throw invalid("SignerInfo has no digestAlgorithm") }
        let digest = try AlgorithmIdentifier(der, digestElement, what: "SignerInfo.digestAlgorithm")
        guard let hash = digest.hashAlgorithm, digest.hasAbsentOrNullParameters else {
            throw invalid("SignerInfo.digestAlgorithm \(digest.oid) is not SHA-256, SHA-384 or SHA-512 (without parameters)")
        }
        guard listedDigest == digest else {
            throw invalid("SignedData.digestAlgorithms (\(listedDigest.oid)) differs from the signer's digest algorithm (\(digest.oid))")
        }
        guard let attributes = reader.next(), attributes.tag == Tag.context0Constructed else {
            throw invalid("SignerInfo has no signed attributes; RFC 3161 requires them")
        }
        try checkSignedAttributes(der, attributes, digest: hash)
        guard let signatureElement = reader.next() else { throw invalid("SignerInfo has no signatureAlgorithm") }
        let signature = try AlgorithmIdentifier(der, signatureElement, what: "SignerInfo.signatureAlgorithm")
        guard let value = reader.next(), value.tag == Tag.octetString, !value.contents.isEmpty else {
            throw invalid("SignerInfo has no signature OCTET STRING")
        }
        guard reader.isAtEnd else {
            throw invalid("SignerInfo carries unsigned attributes, which nothing verifies; refusing unverifiable content")
        }
        return (hash, signature, SignerIdentifier(issuerName: Array(der[issuer.whole]), serialNumber: Array(der[serial.whole])))
    }

    /// The signed attributes: each type once with one value; content-type must be id-ct-TSTInfo, message-digest must
    /// be as long as the digest, and an ESS signing-certificate (v1 or v2) must bind the TSA certificate (OpenSSL
    /// checks the binding itself, and refuses a token without one).
    private static func checkSignedAttributes(_ der: [UInt8], _ attributes: DERReader.Element, digest: HashAlgorithm) throws {
        var reader = DERReader(der, range: attributes.contents)
        var seen = Set<String>()
        while let attribute = reader.next() {
            guard attribute.tag == Tag.sequence else { throw invalid("a signed attribute is not a SEQUENCE") }
            var fields = DERReader(der, range: attribute.contents)
            guard let typeElement = fields.next(), typeElement.tag == Tag.objectIdentifier, let type = oid(der, typeElement),
                  let values = fields.next(), values.tag == Tag.set, fields.isAtEnd else {
                throw invalid("a signed attribute is not { type, SET OF values }")
            }
            guard seen.insert(type).inserted else { throw invalid("signed attribute \(type) appears twice") }
            var valueReader = DERReader(der, range: values.contents)
            guard let value = valueReader.next(), valueReader.isAtEnd else {
                throw invalid("signed attribute \(type) must have exactly one value")
            }
            switch type {
            case OID.contentTypeAttribute:
                guard value.tag == Tag.objectIdentifier, oid(der, value) == OID.tstInfo else {
                    throw invalid("content-type attribute is not id-ct-TSTInfo")
                }
            case OID.messageDigestAttribute:
                guard value.tag == Tag.octetString, value.contents.count == digest.byteCount else {
                    throw invalid("message-digest attribute is not a \(digest.byteCount)-byte OCTET STRING")
                }
            default:
                break
            }
        }
        guard reader.position == attributes.contents.upperBound else { throw invalid("signed attributes are malformed") }
        for required in [OID.contentTypeAttribute, OID.messageDigestAttribute] where !seen.contains(required) {
            throw invalid("signed attribute \(required) is missing")
        }
        guard seen.contains(OID.signingCertificate) || seen.contains(OID.signingCertificateV2) else {
            throw invalid("no ESS signing-certificate attribute binds the TSA certificate")
        }
    }

    /// Checks SignerInfo.signatureAlgorithm against the key that verifies it and the signer's digest algorithm: an EC
    /// key signs with ecdsa-with-SHA* of that digest (no parameters); an RSA key with rsaEncryption or sha*WithRSA of
    /// that digest (NULL or no parameters). RSASSA-PSS and other algorithms are refused.
    func checkSignatureAlgorithm(for key: PublicKey) throws {
        let expected: [String]
        let allowsNull: Bool
        switch key.kind {
        case .ecdsaP256, .ecdsaP384, .ecdsaP521:
            expected = [OID.ecdsa(with: digestAlgorithm)]
            allowsNull = false
        case .rsa:
            expected = [OID.rsaEncryption, OID.rsa(with: digestAlgorithm)]
            allowsNull = true
        case .ed25519:
            throw Self.invalid("TSA key is Ed25519, which RFC 3161 timestamps here do not support")
        }
        guard expected.contains(signatureAlgorithm.oid),
              signatureAlgorithm.parameters == nil || (allowsNull && signatureAlgorithm.hasAbsentOrNullParameters) else {
            throw Self.invalid("SignerInfo.signatureAlgorithm \(signatureAlgorithm.oid) does not match the TSA key and the \(digestAlgorithm.rawValue) digest (expected \(expected.joined(separator: " or ")))")
        }
    }

    /// True when `certificate`'s issuer Name and serial number are byte for byte those of SignerInfo.sid (OpenSSL
    /// compares names canonically, which forgives changes of case and spacing).
    func identifies(_ certificate: Certificate) -> Bool {
        Self.issuerAndSerialNumber(of: certificate) == signer
    }

    /// The signer's serial number as lowercase hexadecimal, for messages.
    var signerSerialHex: String {
        var reader = DERReader(signer.serialNumber)
        return reader.next().map { Array(signer.serialNumber[$0.contents]).hexString } ?? ""
    }

    /// TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer, ... }: the issuer Name and
    /// serialNumber TLVs of a certificate.
    static func issuerAndSerialNumber(of certificate: Certificate) -> SignerIdentifier? {
        let der = certificate.der
        var outer = DERReader(der, range: certificate.tbsRange)
        guard let tbs = outer.next() else { return nil }
        var reader = DERReader(der, range: tbs.contents)
        guard var serial = reader.next() else { return nil }
        if serial.tag == Tag.context0Constructed {
            guard let next = reader.next() else { return nil }
            serial = next
        }
        guard serial.tag == Tag.integer, reader.next() != nil, let issuer = reader.next(), issuer.tag == Tag.sequence else {
            return nil
        }
        return SignerIdentifier(issuerName: Array(der[issuer.whole]), serialNumber: Array(der[serial.whole]))
    }

    // MARK: DER helpers

    /// AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }.
    struct AlgorithmIdentifier: Sendable, Hashable {
        let oid: String
        /// The whole parameters TLV, nil when absent.
        let parameters: [UInt8]?

        init(_ der: [UInt8], _ element: DERReader.Element, what: String) throws {
            guard element.tag == Tag.sequence else { throw TimestampLayout.invalid("\(what) is not an AlgorithmIdentifier") }
            var reader = DERReader(der, range: element.contents)
            guard let algorithm = reader.next(), algorithm.tag == Tag.objectIdentifier,
                  let oid = TimestampLayout.oid(der, algorithm) else {
                throw TimestampLayout.invalid("\(what) has no algorithm OID")
            }
            self.oid = oid
            if let parameters = reader.next() {
                guard reader.isAtEnd else { throw TimestampLayout.invalid("\(what) has fields after its parameters") }
                self.parameters = Array(der[parameters.whole])
            } else {
                self.parameters = nil
            }
        }

        /// The hash algorithm this identifier names, if it is SHA-256, SHA-384 or SHA-512.
        var hashAlgorithm: HashAlgorithm? { HashAlgorithm.allCases.first { OID.hash($0) == oid } }

        /// True when the parameters are absent or exactly NULL.
        var hasAbsentOrNullParameters: Bool { parameters == nil || parameters == [0x05, 0x00] }
    }

    enum Tag {
        static let integer: UInt8 = 0x02
        static let octetString: UInt8 = 0x04
        static let objectIdentifier: UInt8 = 0x06
        static let utf8String: UInt8 = 0x0c
        static let sequence: UInt8 = 0x30
        static let set: UInt8 = 0x31
        static let context0Constructed: UInt8 = 0xa0
        static let context1Constructed: UInt8 = 0xa1
    }

    enum OID {
        static let signedData = "1.2.840.113549.1.7.2"
        static let tstInfo = "1.2.840.113549.1.9.16.1.4"
        static let contentTypeAttribute = "1.2.840.113549.1.9.3"
        static let messageDigestAttribute = "1.2.840.113549.1.9.4"
        static let signingCertificate = "1.2.840.113549.1.9.16.2.12"
        static let signingCertificateV2 = "1.2.840.113549.1.9.16.2.47"
        static let rsaEncryption = "1.2.840.113549.1.1.1"

        static func hash(_ algorithm: HashAlgorithm) -> String {
            switch algorithm {
            case .sha256: "2.16.840.1.101.3.4.2.1"
            case .sha384: "2.16.840.1.101.3.4.2.2"
            case .sha512: "2.16.840.1.101.3.4.2.3"
            }
        }

        static func ecdsa(with algorithm: HashAlgorithm) -> String {
            switch algorithm {
            case .sha256: "1.2.840.10045.4.3.2"
            case .sha384: "1.2.840.10045.4.3.3"
            case .sha512: "1.2.840.10045.4.3.4"
            }
        }

        static func rsa(with algorithm: HashAlgorithm) -> String {
            switch algorithm {
            case .sha256: "1.2.840.113549.1.1.11"
            case .sha384: "1.2.840.113549.1.1.12"
            case .sha512: "1.2.840.113549.1.1.13"
            }
        }
    }

    /// True when the next element is the INTEGER `value` (a version number), in its one DER encoding.
    static func readsSmallInteger(_ reader: inout DERReader, _ der: [UInt8], _ value: UInt8) -> Bool {
        guard let element = reader.next(), element.tag == Tag.integer else { return false }
        return Array(der[element.contents]) == [value]
    }

    static func oid(_ der: [UInt8], _ element: DERReader.Element) -> String? {
        der.withUnsafeBufferPointer { buffer in
            dottedOID(UnsafeBufferPointer(rebasing: buffer[element.contents]))
        }
    }

    /// The contents range of the TLV that spans exactly `range`.
    private static func contentsOf(_ der: [UInt8], _ range: Range<Int>) -> Range<Int> {
        var reader = DERReader(der, range: range)
        return reader.next()?.contents ?? range.upperBound..<range.upperBound
    }

    static func invalid(_ problem: String) -> CryptoError {
        CryptoError(.timestampInvalid, "RFC 3161 timestamp \(problem)")
    }
}
