// CryptoPrimitives: hashing, public keys, signatures, X.509, RFC 3161 and SCT checks over OpenSSL 3.
// See docs/ARCHITECTURE.md. This is the only module that imports COpenSSL.
internal import COpenSSL

/// The one error type of CryptoPrimitives: a stable snake_case `code` and a human-readable `message`
/// that names the problem and, where possible, the fix.
public struct CryptoError: Error, CustomStringConvertible, Sendable, Hashable {
    /// Stable, snake_case error codes. Callers map these to reason codes; the raw values never change.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// A file could not be opened or read.
        case ioError = "io_error"
        /// A public key could not be parsed or is of an unsupported type or curve.
        case invalidKey = "invalid_key"
        /// A signature is not well-formed for its algorithm (e.g. not DER ECDSA).
        case invalidSignatureEncoding = "invalid_signature_encoding"
        /// A certificate could not be parsed.
        case invalidCertificate = "invalid_certificate"
        /// A certificate chain did not validate.
        case chainInvalid = "chain_invalid"
        /// A certificate in the chain had expired at the given time.
        case certificateExpired = "certificate_expired"
        /// A certificate in the chain was not yet valid at the given time.
        case certificateNotYetValid = "certificate_not_yet_valid"
        /// The leaf certificate lacks the required extended key usage.
        case extendedKeyUsageMissing = "extended_key_usage_missing"
        /// An RFC 3161 timestamp could not be parsed or did not verify.
        case timestampInvalid = "timestamp_invalid"
        /// Embedded signed certificate timestamps are malformed or did not verify.
        case sctInvalid = "sct_invalid"
        /// An input was syntactically valid but has a value this module does not support.
        case unsupported = "unsupported"
        /// OpenSSL failed in a way that does not depend on the input (e.g. allocation failure).
        case internalError = "internal_error"
    }

    /// The stable error code.
    public let code: Code
    /// A human-readable message naming the problem.
    public let message: String

    /// Creates an error with a code and message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}

/// Drains OpenSSL's thread-local error queue and returns the most useful reason strings (empty if none).
func openSSLErrorDetail() -> String {
    var reasons: [String] = []
    while true {
        var data: UnsafePointer<CChar>?
        var flags: Int32 = 0
        let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
        if code == 0 { break }
        var text = ERR_reason_error_string(code).map { String(cString: $0) } ?? "error \(code)"
        if flags & ERR_TXT_STRING != 0, let data, data.pointee != 0 {
            text += " (\(String(cString: data)))"
        }
        reasons.append(text)
    }
    return reasons.joined(separator: "; ")
}

/// Clears OpenSSL's thread-local error queue (after an expected failure).
func clearOpenSSLErrors() {
    ERR_clear_error()
}

/// Builds a CryptoError whose message ends with the OpenSSL error queue's reasons, if any.
func cryptoError(_ code: CryptoError.Code, _ message: String) -> CryptoError {
    let detail = openSSLErrorDetail()
    return CryptoError(code, detail.isEmpty ? message : "\(message) (OpenSSL: \(detail))")
}
