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
        /// A loaded policy cannot be enforced by this version (named with its location).
        case policyUnusable = "policy_unusable"
        /// The gate's inputs could not be scanned.
        case scanFailed = "scan_failed"
        /// An evidence package could not be written.
        case evidenceWriteFailed = "evidence_write_failed"
        /// An evidence package is not intact: a file changed, missing or added (named).
        case evidenceTampered = "evidence_tampered"
        /// An evidence package is malformed (unreadable decision, layout, policies).
        case evidenceInvalid = "evidence_invalid"
        /// Re-verifying an evidence package gave another decision than the recorded one.
        case evidenceNotReproduced = "evidence_not_reproduced"
        /// The evidence signature does not verify.
        case evidenceSignatureInvalid = "evidence_signature_invalid"
        /// A `--registry-mirror` entry is not `DOMAIN=HOST[/PREFIX]`.
        case registryMirrorInvalid = "registry_mirror_invalid"
    }

    /// The stable code.
    public let code: Code
    /// A human-readable message.
    public let message: String
    /// The file concerned, when there is one (e.g. the tampered file of an evidence package).
    public let file: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String, file: String? = nil) {
        self.code = code
        self.message = message
        self.file = file
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
