// TransparencyLog: Rekor v1/v2 entries, SETs, RFC 6962 inclusion proofs and C2SP checkpoints.

/// A transparency-log check that failed. `code` is a stable snake_case reason code (the gate's reason codes where
/// they exist); `message` names the check, the log index and the fix.
public struct TransparencyLogError: Error, CustomStringConvertible, Sendable, Hashable {
    /// The stable reason codes.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// No transparency-log evidence: no entry, or an entry with neither an inclusion promise nor a proof.
        case tlogEntryMissing = "tlog_entry_missing"
        /// The entry itself is malformed (negative index, bad base64, missing field, size limits).
        case tlogEntryInvalid = "tlog_entry_invalid"
        /// The signed entry timestamp (inclusion promise) is malformed or does not verify under the log key.
        case setInvalid = "set_invalid"
        /// The Merkle inclusion proof is malformed, missing where required, or does not reproduce the root hash.
        case inclusionProofInvalid = "inclusion_proof_invalid"
        /// The checkpoint (signed tree head) is malformed, unsigned by the log, has the wrong origin, or does not
        /// match the inclusion proof's tree size and root hash.
        case checkpointInvalid = "checkpoint_invalid"
        /// The entry names a log that is not in the trusted root.
        case logKeyUnknown = "log_key_unknown"
        /// The log key was not valid at the entry's integrated time.
        case logKeyExpired = "log_key_expired"
        /// The entry body (canonicalizedBody) is malformed or of an unsupported kind/version.
        case entryBodyInvalid = "entry_body_invalid"
        /// The entry body does not match what it is compared with (its declared kind/version, or the signed content).
        case entryBodyMismatch = "entry_body_mismatch"
    }

    /// The reason code.
    public let code: Code
    /// What failed, for which log index, and how to fix it.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
