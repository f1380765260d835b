// TUF: a client for The Update Framework (specification 1.0.x, client workflow §5). See docs/ARCHITECTURE.md.

/// The one error type of the TUF module: a stable snake_case `code` and a message naming the problem and the fix.
public struct TUFError: Error, CustomStringConvertible, Sendable, Hashable {
    /// Stable error codes; the raw values never change.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// Metadata is not valid JSON, or does not have the fields and types the specification requires.
        case malformedMetadata = "malformed_metadata"
        /// Metadata is not signed by a threshold of the keys its delegator trusts.
        case thresholdNotMet = "threshold_not_met"
        /// Metadata is of an unexpected type (e.g. a snapshot served as timestamp).
        case wrongType = "wrong_type"
        /// A version is lower than the trusted one (rollback), or not the version another role says it must be.
        case badVersion = "bad_version"
        /// A version equals the trusted one (not an error for timestamp; reported so the caller keeps the old one).
        case equalVersion = "equal_version"
        /// Metadata (or the final root) has expired at the reference time.
        case expired = "expired"
        /// A file's length or hashes do not match what trusted metadata says.
        case lengthOrHashMismatch = "length_or_hash_mismatch"
        /// A download was larger than its limit.
        case downloadTooLarge = "download_too_large"
        /// A download failed: network error or HTTP status.
        case downloadFailed = "download_failed"
        /// The repository is inconsistent (e.g. a role missing from snapshot, or a delegated role not found).
        case repositoryInconsistent = "repository_inconsistent"
        /// The requested target is not in any role that may sign it.
        case targetNotFound = "target_not_found"
        /// Local state (metadata directory, cache) could not be read or written.
        case storage = "storage"
        /// The caller used the API wrongly (e.g. asked for a target before a refresh).
        case usage = "usage"
    }

    /// The stable error code.
    public let code: Code
    /// A human-readable message.
    public let message: String
    /// The HTTP status of a failed download, if any.
    public let httpStatus: Int?

    /// Creates an error.
    public init(_ code: Code, _ message: String, httpStatus: Int? = nil) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
