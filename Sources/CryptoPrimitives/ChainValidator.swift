import Foundation
internal import COpenSSL

/// Owns an X509_STORE holding the trust anchors. OpenSSL locks the store internally, so one store serves
/// concurrent validations (each with its own X509_STORE_CTX).
final class X509StoreBox: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { X509_STORE_free(pointer) }
}

/// Validates certificate chains at a caller-given time (it never reads the clock).
///
/// Roots are trust anchors. When every root is self-signed, a chain must end at one of them. When some root is not
/// self-signed (Sigstore trusted roots sometimes list an intermediate CA as an anchor), partial chains are allowed,
/// so a chain may end at any certificate given as a root. Intermediates are untrusted helpers for path building.
/// The trust store is built once, in `init`, and reused by every `validate` call.
public struct ChainValidator: Sendable {
    /// The trust anchors.
    public let roots: [Certificate]
    /// Untrusted intermediates available to every validation.
    public let intermediates: [Certificate]
    /// Whether a chain may end at a root that is not self-signed (true when such a root was given).
    public let allowsPartialChains: Bool
    private let store: X509StoreBox?

    /// Creates a validator for the given trust anchors and intermediates.
    public init(roots: [Certificate], intermediates: [Certificate] = []) {
        self.roots = roots
        self.intermediates = intermediates
        self.allowsPartialChains = roots.contains { !$0.isSelfSigned }
        if let store = X509_STORE_new() {
            for root in roots {
                _ = X509_STORE_add_cert(store, root.box.pointer)  // duplicates are harmless
            }
            clearOpenSSLErrors()
            self.store = X509StoreBox(store)
        } else {
            self.store = nil
        }
    }

    /// Validates `leaf` at `time` and returns the chain leaf…anchor.
    ///
    /// Validity periods are compared at one-second resolution (`time` rounded down), both ends inclusive (RFC 5280).
    ///
    /// Checks signatures, names, basic constraints, path length, unhandled critical extensions and the validity
    /// period of every certificate in the chain at `time`; when `requiredExtendedKeyUsage` is given, the leaf must
    /// list that EKU OID (e.g. "1.3.6.1.5.5.7.3.3" code signing, "1.3.6.1.5.5.7.3.8" time stamping), and every CA
    /// in the chain that has an extendedKeyUsage extension must list it too (or anyExtendedKeyUsage).
    /// - Throws: `CryptoError` `certificate_expired`, `certificate_not_yet_valid`, `extended_key_usage_missing` or
    ///   `chain_invalid`, with OpenSSL's verify error string, the failing certificate and the time checked.
    public func validate(_ leaf: Certificate, extraIntermediates: [Certificate] = [], at time: Date,
                         requiredExtendedKeyUsage: String? = nil) throws -> [Certificate] {
        defer { clearOpenSSLErrors() }
        guard !roots.isEmpty else {
            throw CryptoError(.chainInvalid, "no trusted root certificates were given; cannot validate \(describe(leaf))")
        }
        guard let store, let context = X509_STORE_CTX_new(), let untrusted = OPENSSL_sk_new_null() else {
            throw cryptoError(.internalError, "cannot allocate an X509_STORE_CTX")
        }
        defer {
            OPENSSL_sk_free(untrusted)  // elements are owned by the Certificate values, not the stack
            X509_STORE_CTX_free(context)
        }
        let candidates = intermediates + extraIntermediates
        for certificate in candidates {
            guard OPENSSL_sk_push(untrusted, UnsafeRawPointer(certificate.box.pointer)) > 0 else {
                throw cryptoError(.internalError, "cannot build the intermediate list")
            }
        }
        guard X509_STORE_CTX_init(context, store.pointer, leaf.box.pointer, untrusted) == 1,
              let parameters = X509_STORE_CTX_get0_param(context) else {
            throw cryptoError(.internalError, "cannot initialise certificate verification")
        }
        X509_VERIFY_PARAM_set_time(parameters, time_t(time.timeIntervalSince1970.rounded(.down)))
        X509_STORE_CTX_set_verify_cb(context, inclusiveNotAfterCallback)
        if allowsPartialChains {
            _ = X509_VERIFY_PARAM_set_flags(parameters, UInt(X509_V_FLAG_PARTIAL_CHAIN))
        }
        let result = X509_verify_cert(context)
        if result != 1 {
            throw verificationError(context, leaf: leaf, time: time)
        }
        let chain = try collectChain(context, known: [leaf] + candidates + roots)
        if let required = requiredExtendedKeyUsage {
            if !leaf.extendedKeyUsageOIDs.contains(required) {
                let present = leaf.extendedKeyUsageOIDs.isEmpty ? "none" : leaf.extendedKeyUsageOIDs.joined(separator: ", ")
                throw CryptoError(.extendedKeyUsageMissing,
                                  "\(describe(leaf)) lacks the required extended key usage \(required) (has: \(present))")
            }
            // A CA that restricts its extended key usages must allow the required one (as Go's crypto/x509 does).
            for certificate in chain.dropFirst() where !certificate.extendedKeyUsageOIDs.isEmpty {
                let usages = certificate.extendedKeyUsageOIDs
                if !usages.contains(required) && !usages.contains(anyExtendedKeyUsage) {
                    throw CryptoError(.extendedKeyUsageMissing,
                                      "issuing \(describe(certificate)) restricts extended key usage to \(usages.joined(separator: ", ")), which excludes \(required)")
                }
            }
        }
        return chain
    }

    private func collectChain(_ context: OpaquePointer, known: [Certificate]) throws -> [Certificate] {
        guard let chain = X509_STORE_CTX_get0_chain(context) else {
            throw cryptoError(.internalError, "verification succeeded without a chain")
        }
        var result: [Certificate] = []
        for index in 0..<OPENSSL_sk_num(chain) {
            guard let raw = OPENSSL_sk_value(chain, index) else { continue }
            let pointer = OpaquePointer(raw)
            if let match = known.first(where: { $0.box.pointer == pointer }) {
                result.append(match)
            } else if let der = derEncode({ i2d_X509(pointer, $0) }) {
                result.append(try Certificate(der: der))
            }
        }
        return result
    }

    private func verificationError(_ context: OpaquePointer, leaf: Certificate, time: Date) -> CryptoError {
        let code = X509_STORE_CTX_get_error(context)
        let depth = X509_STORE_CTX_get_error_depth(context)
        let reason = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "error \(code)"
        var subject = describe(leaf)
        var detail = ""
        if let current = X509_STORE_CTX_get_current_cert(context),
           let der = derEncode({ i2d_X509(current, $0) }),
           let certificate = try? Certificate(der: der) {
            subject = describe(certificate)
            switch code {
            case X509_V_ERR_CERT_HAS_EXPIRED: detail = " at \(iso8601(certificate.notAfter))"
            case X509_V_ERR_CERT_NOT_YET_VALID: detail = " until \(iso8601(certificate.notBefore))"
            default: break
            }
        }
        let hint: String
        switch code {
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
            hint = "; the chain does not reach a trusted root: supply the missing intermediate or the right root"
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
            hint = "; the chain ends at a root that is not among the trusted roots"
        case X509_V_ERR_CERT_SIGNATURE_FAILURE:
            hint = "; the certificate was altered or was not issued by that CA"
        default:
            hint = ""
        }
        let message = "\(reason)\(detail) (\(subject), chain depth \(depth); checked at \(iso8601(time)))\(hint)"
        switch code {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            return CryptoError(.certificateExpired, message)
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return CryptoError(.certificateNotYetValid, message)
        default:
            return CryptoError(.chainInvalid, message)
        }
    }
}

/// RFC 5280 makes notAfter inclusive, OpenSSL treats it as exclusive: accept a certificate whose notAfter equals
/// the check time (to the second). Every other verdict of OpenSSL is kept.
private let inclusiveNotAfterCallback: @convention(c) (Int32, OpaquePointer?) -> Int32 = { ok, context in
    guard ok != 1, let context, X509_STORE_CTX_get_error(context) == X509_V_ERR_CERT_HAS_EXPIRED,
          let certificate = X509_STORE_CTX_get_current_cert(context),
          let parameters = X509_STORE_CTX_get0_param(context),
          let notAfter = X509_get0_notAfter(certificate) else { return ok }
    var fields = tm()
    guard ASN1_TIME_to_tm(notAfter, &fields) == 1, timegm(&fields) == X509_VERIFY_PARAM_get_time(parameters) else {
        return ok
    }
    X509_STORE_CTX_set_error(context, X509_V_OK)
    return 1
}

/// anyExtendedKeyUsage (RFC 5280 §4.2.1.12).
let anyExtendedKeyUsage = "2.5.29.37.0"

/// A short description of a certificate for error messages: its subject (or first SAN) and serial number.
func describe(_ certificate: Certificate) -> String {
    let name = !certificate.subject.isEmpty ? certificate.subject
        : certificate.subjectAlternativeNames.first?.stringValue.map { "SAN \($0)" } ?? "empty subject"
    return "certificate \"\(name)\" serial \(certificate.serialNumberHex)"
}

/// `2024-03-19T22:51:15Z`.
func iso8601(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
}
