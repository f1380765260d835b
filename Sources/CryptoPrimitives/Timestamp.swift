import Foundation
internal import COpenSSL

/// Owns the OpenSSL objects of a parsed timestamp token.
final class TimestampBox: @unchecked Sendable {
    let token: UnsafeMutablePointer<PKCS7>   // CMS SignedData
    let info: OpaquePointer                  // TS_TST_INFO
    init(token: UnsafeMutablePointer<PKCS7>, info: OpaquePointer) {
        self.token = token
        self.info = info
    }
    deinit {
        TS_TST_INFO_free(info)
        PKCS7_free(token)
    }
}

/// An RFC 3161 timestamp token, parsed from a TimeStampResp or a bare TimeStampToken (CMS SignedData).
public struct TimestampToken: Sendable {
    /// The largest token accepted (1 MiB).
    public static let maximumDERSize = 1 << 20

    /// The time the TSA asserts (TSTInfo genTime, whole seconds).
    public let generationTime: Date
    /// The hash algorithm of the message imprint, nil if it is not SHA-256/384/512.
    public let hashAlgorithm: HashAlgorithm?
    /// The hashed message the token covers.
    public let messageImprint: [UInt8]
    /// The dotted OID of the hash algorithm of the message imprint.
    public let hashAlgorithmOID: String
    /// The TSA policy OID (dotted).
    public let policyOID: String
    /// The token serial number, lowercase hexadecimal.
    public let serialNumberHex: String
    /// The exact DER bytes the token was created from.
    public let der: [UInt8]
    /// The certificates embedded in the token (SignedData.certificates), in order.
    public let embeddedCertificates: [Certificate]
    let layout: TimestampLayout
    let box: TimestampBox

    /// Parses a DER TimeStampResp (status must be granted) or a bare TimeStampToken, strictly: see `TimestampLayout`
    /// for every field checked beyond what OpenSSL reads.
    /// - Throws: `CryptoError` `timestamp_invalid` naming the problem.
    public init(der: [UInt8]) throws {
        guard der.count <= TimestampToken.maximumDERSize else {
            throw CryptoError(.timestampInvalid, "timestamp is \(der.count) bytes, more than the \(TimestampToken.maximumDERSize) accepted")
        }
        guard !der.isEmpty else { throw CryptoError(.timestampInvalid, "timestamp is empty") }
        let layout = try TimestampLayout(der: der)
        self.embeddedCertificates = try layout.embeddedCertificates.enumerated().map { index, certificateDER in
            do {
                return try Certificate(der: certificateDER)
            } catch let error as CryptoError {
                throw CryptoError(.timestampInvalid, "RFC 3161 timestamp embedded certificate #\(index) is malformed: \(error.message)")
            }
        }
        defer { clearOpenSSLErrors() }
        let tokenRange = layout.tokenRange
        let token: UnsafeMutablePointer<PKCS7> = try der.withUnsafeBufferPointer { buffer in
            let start = buffer.baseAddress.map { $0 + tokenRange.lowerBound }
            var cursor: UnsafePointer<UInt8>? = start
            guard let token = d2i_PKCS7(nil, &cursor, tokenRange.count) else {
                throw cryptoError(.timestampInvalid, "not a DER RFC 3161 TimeStampResp or TimeStampToken")
            }
            guard let end = cursor, let start, end - start == tokenRange.count else {
                PKCS7_free(token)
                throw CryptoError(.timestampInvalid, "timestamp token has trailing bytes")
            }
            return token
        }
        guard let info = PKCS7_to_TS_TST_INFO(token) else {
            PKCS7_free(token)
            throw cryptoError(.timestampInvalid, "timestamp token does not contain a TSTInfo")
        }
        let box = TimestampBox(token: token, info: info)
        guard let imprint = TS_TST_INFO_get_msg_imprint(info),
              let algorithm = TS_MSG_IMPRINT_get_algo(imprint) else {
            throw CryptoError(.timestampInvalid, "timestamp has no message imprint")
        }
        var algorithmObject: OpaquePointer?
        X509_ALGOR_get0(&algorithmObject, nil, nil, algorithm)
        do {
            self.generationTime = try dateFromASN1Time(UnsafePointer(TS_TST_INFO_get_time(info)), what: "genTime")
        } catch {
            throw CryptoError(.timestampInvalid, "timestamp genTime is malformed")
        }
        self.hashAlgorithmOID = oidString(algorithmObject)
        self.hashAlgorithm = algorithmObject.flatMap { HashAlgorithm(nid: OBJ_obj2nid($0)) }
        self.messageImprint = asn1StringBytes(UnsafePointer(TS_MSG_IMPRINT_get_msg(imprint)))
        self.policyOID = oidString(TS_TST_INFO_get_policy_id(info))
        if let serial = TS_TST_INFO_get_serial(info), let bignum = ASN1_INTEGER_to_BN(serial, nil) {
            defer { BN_free(bignum) }
            if let hex = BN_bn2hex(bignum) {
                self.serialNumberHex = String(cString: hex).lowercased()
                CRYPTO_free(hex, #fileID, #line)
            } else {
                self.serialNumberHex = ""
            }
        } else {
            self.serialNumberHex = ""
        }
        self.der = der
        self.layout = layout
        self.box = box
    }

    /// Verifies the token for `message`: the imprint equals the hash of `message`; the signer is the pinned TSA
    /// certificate `leaf` when one is given (else a certificate of `intermediates`/`roots`, else one embedded in the
    /// token); every embedded certificate is the signer or part of the trusted TSA chain; the signature algorithm fits
    /// the signer's key and digest; the CMS signature (with its ESS signing-certificate binding) verifies; the signer
    /// chains to one of `roots` at the token's own generation time and carries the critical timeStamping extended key
    /// usage (RFC 3161 §2.3); a TSA name in the TSTInfo, if any, names the signer.
    /// - Returns: the verified generation time.
    /// - Throws: `CryptoError` `timestamp_invalid` naming the failed check.
    public func verify<D: ContiguousBytes>(message: D, roots: [Certificate], intermediates: [Certificate],
                                           leaf: Certificate?) throws -> Date {
        guard let hashAlgorithm else {
            throw CryptoError(.timestampInvalid, "timestamp imprint uses unsupported hash algorithm \(hashAlgorithmOID)")
        }
        let digest = hashAlgorithm.hash(message)
        guard digest == messageImprint else {
            throw CryptoError(.timestampInvalid,
                              "timestamp message imprint \(messageImprint.hexString) does not match the \(hashAlgorithm.rawValue) of the data (\(digest.hexString)); the timestamp covers other data")
        }
        guard !roots.isEmpty else {
            throw CryptoError(.timestampInvalid, "no trusted TSA root certificates were given")
        }
        let signer = try signingCertificate(roots: roots, intermediates: intermediates, leaf: leaf)
        try layout.checkSignatureAlgorithm(for: signer.publicKey)
        defer { clearOpenSSLErrors() }
        guard let context = TS_VERIFY_CTX_new() else { throw cryptoError(.internalError, "TS_VERIFY_CTX_new failed") }
        defer { TS_VERIFY_CTX_free(context) }  // frees the store and the certificate stack given to it
        guard let store = X509_STORE_new() else { throw cryptoError(.internalError, "X509_STORE_new failed") }
        _ = TS_VERIFY_CTX_set_store(context, store)
        for root in roots { _ = X509_STORE_add_cert(store, root.box.pointer) }
        guard let parameters = X509_STORE_get0_param(store) else {
            throw cryptoError(.internalError, "X509_STORE_get0_param failed")
        }
        X509_VERIFY_PARAM_set_time(parameters, time_t(generationTime.timeIntervalSince1970.rounded(.down)))
        if roots.contains(where: { !$0.isSelfSigned }) {
            _ = X509_VERIFY_PARAM_set_flags(parameters, UInt(X509_V_FLAG_PARTIAL_CHAIN))
        }
        guard let untrusted = OPENSSL_sk_new_null() else { throw cryptoError(.internalError, "stack allocation failed") }
        _ = TS_VERIFY_CTX_set_certs(context, untrusted)
        // The signer comes first, so OpenSSL's own signer look-up (issuer and serial, by canonical name) finds the
        // certificate chosen above; embedded certificates are never used beyond it.
        for certificate in [signer] + intermediates.filter({ $0 != signer }) {
            X509_up_ref(certificate.box.pointer)  // the context frees every certificate in the stack
            if OPENSSL_sk_push(untrusted, UnsafeRawPointer(certificate.box.pointer)) <= 0 {
                X509_free(certificate.box.pointer)
                throw cryptoError(.internalError, "stack push failed")
            }
        }
        _ = TS_VERIFY_CTX_set_flags(context, Int32(TS_VFY_SIGNATURE | TS_VFY_VERSION | TS_VFY_SIGNER))
        guard TS_RESP_verify_token(context, box.token) == 1 else {
            throw cryptoError(.timestampInvalid,
                              "timestamp signature or TSA certificate chain did not verify at genTime \(iso8601(generationTime))")
        }
        return generationTime
    }

    /// The certificate that signed the token (matched byte for byte on SignerInfo's issuer and serial number), after
    /// checking that every embedded certificate is either that signer or one of the trusted TSA certificates: an
    /// embedded certificate nothing verifies is refused rather than ignored.
    func signingCertificate(roots: [Certificate], intermediates: [Certificate], leaf: Certificate?) throws -> Certificate {
        let signer: Certificate
        if let leaf {
            guard layout.identifies(leaf) else {
                throw CryptoError(.timestampInvalid,
                                  "timestamp is signed by certificate serial \(layout.signerSerialHex), not by the TSA certificate the trusted root pins (serial \(leaf.serialNumberHex), \(leaf.subject)); use the TSA's own trusted root")
            }
            signer = leaf
        } else if let trusted = (intermediates + roots).first(where: layout.identifies) {
            signer = trusted
        } else if let embedded = embeddedCertificates.first(where: layout.identifies) {
            signer = embedded
        } else {
            throw CryptoError(.timestampInvalid,
                              "timestamp signer (certificate serial \(layout.signerSerialHex)) is neither embedded in the token nor part of the trusted TSA chain")
        }
        let trusted = [signer] + intermediates + roots
        for (index, certificate) in embeddedCertificates.enumerated() where !trusted.contains(certificate) {
            throw CryptoError(.timestampInvalid, layout.identifies(certificate)
                ? "timestamp embedded certificate #\(index) claims to be the signer but is not the trusted TSA certificate (\(signer.subject)) byte for byte"
                : "timestamp embedded certificate #\(index) (\(certificate.subject)) is neither the signer nor part of the trusted TSA chain; nothing could verify it")
        }
        return signer
    }
}
