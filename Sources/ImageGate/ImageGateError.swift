/// The one error type of ImageGate's own operations (verification outcomes are verdicts, not errors): a stable
/// snake_case code and a message naming the problem and the fix.
public struct ImageGateError: Error, CustomStringConvertible, Sendable, Hashable {
    /// Stable codes.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The cached trusted root's TUF metadata has expired and could not be refreshed: verification cannot decide.
        case trustedRootExpired = "trusted_root_expired"
        /// `trust update` failed (repository unreachable or its metadata refused).
        case trustUpdateFailed = "trust_update_failed"
        /// The trust cache could not be read or written, or the arguments cannot work (e.g. no initial root).
        case trustStoreInvalid = "trust_store_invalid"
    }

    /// The stable code.
    public let code: Code
    /// A human-readable message.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
