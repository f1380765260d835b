/// The error of the gate (ImageGate's `Gate` and evidence packages), with stable codes.
public struct GateError: Error, Sendable, CustomStringConvertible {
    /// Stable codes.
    public enum Code: String, Sendable, Hashable {
        /// A policy loaded but cannot be enforced by this version (named with its location).
        case policyUnusable = "policy_unusable"
        /// The inputs could not be scanned.
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
    }

    /// The code.
    public let code: Code
    /// What went wrong and what to do.
    public let message: String
    /// The file concerned, when there is one.
    public let file: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String, file: String? = nil) {
        self.code = code
        self.message = message
        self.file = file
    }

    /// `message [code]`.
    public var description: String { "\(message) [\(code.rawValue)]" }
}
