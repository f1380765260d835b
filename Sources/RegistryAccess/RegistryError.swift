import OCIImage

/// The error thrown by content sources (OCI layouts on disk, registries).
///
/// Codes are stable and snake_case. ``category`` tells a caller how to map the error to a decision: content that
/// does not exist is `notFound` (a fail for a pinned image), content that is there but wrong is `integrity` (a
/// fail: tampering or corruption), broken input is `invalid`, and anything that stops the source from answering
/// (network, authorization, rate limits, I/O, an algorithm we cannot compute) is `indeterminate`, never a pass.
public struct RegistryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable identifiers of every way a content source can fail.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// No manifest with that tag or digest exists in the source.
        case manifestUnknown = "manifest_unknown"
        /// No blob with that digest exists in the source.
        case blobUnknown = "blob_unknown"
        /// The repository does not exist in the source.
        case nameUnknown = "name_unknown"
        /// Content does not hash to the digest it was fetched by.
        case digestMismatch = "digest_mismatch"
        /// Content does not have the size its descriptor states.
        case sizeMismatch = "size_mismatch"
        /// A manifest could not be decoded (see the wrapped OCIImage error code in the message).
        case manifestInvalid = "manifest_invalid"
        /// An OCI image layout is malformed (missing `oci-layout`/`index.json`/`blobs`, wrong version, ambiguous tag).
        case layoutInvalid = "layout_invalid"
        /// Content is larger than the limit for its kind.
        case tooLarge = "too_large"
        /// A digest is malformed for its algorithm (e.g. wrong length), so nothing can be fetched by it.
        case digestInvalid = "digest_invalid"
        /// A digest uses an algorithm this build cannot compute, so the content cannot be verified.
        case digestUnsupported = "digest_unsupported"
        /// The source refused the credentials (or none were given).
        case unauthorized = "unauthorized"
        /// The source answered "too many requests".
        case rateLimited = "rate_limited"
        /// The source could not be reached (DNS, connection, TLS).
        case unreachable = "unreachable"
        /// The deadline passed before the source answered.
        case timeout = "timeout"
        /// A local file could not be read.
        case ioError = "io_error"
        /// The source answered with something the protocol does not allow.
        case invalidResponse = "invalid_response"
        /// The registry kept failing (HTTP 5xx) after the retries, or its circuit breaker is open.
        case serverError = "server_error"
        /// The TLS connection could not be set up (untrusted or invalid certificate, protocol mismatch).
        case tlsError = "tls_error"
    }

    /// How a caller should treat an error when deciding.
    public enum Category: String, Sendable, Hashable {
        /// The content does not exist.
        case notFound = "not_found"
        /// The content exists but does not match its digest or size.
        case integrity
        /// The input or the stored data is malformed.
        case invalid
        /// The source could not answer; the decision must be indeterminate.
        case indeterminate
    }

    /// The stable reason code.
    public let code: Code
    /// One line naming what failed, where, and the fix where there is one.
    public let message: String
    /// The digest concerned, if any.
    public let digest: Digest?
    /// The file or URL concerned, if any.
    public let location: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String, digest: Digest? = nil, location: String? = nil) {
        self.code = code
        self.message = message
        self.digest = digest
        self.location = location
    }

    /// How to treat this error when deciding.
    public var category: Category {
        switch code {
        case .manifestUnknown, .blobUnknown, .nameUnknown: .notFound
        case .digestMismatch, .sizeMismatch: .integrity
        case .manifestInvalid, .layoutInvalid, .tooLarge, .digestInvalid, .invalidResponse: .invalid
        case .digestUnsupported, .unauthorized, .rateLimited, .unreachable, .timeout, .ioError, .serverError, .tlsError:
            .indeterminate
        }
    }

    /// True when the content does not exist (as opposed to "could not tell").
    public var isNotFound: Bool { category == .notFound }
    /// True when the source could not answer, so no decision may be based on it.
    public var isIndeterminate: Bool { category == .indeterminate }

    /// The message.
    public var description: String { message }
}
