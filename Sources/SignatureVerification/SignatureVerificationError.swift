import Foundation
import GateVerdict

/// The one error type of `SignatureVerification`: a stable snake_case `code`, the check that failed, and a message
/// that names the problem and, where there is one, the fix.
public struct SignatureVerificationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Stable, documented reason codes (snake_case raw values; never renamed).
    public enum Code: String, Sendable, CaseIterable {
        /// The bundle could not be parsed or breaks a structural rule (media type, version rules, limits, encoding).
        case bundleInvalid = "bundle_invalid"
        /// The trusted root could not be parsed or breaks a structural rule.
        case trustedRootInvalid = "trusted_root_invalid"
        /// The artifact or envelope signature does not verify.
        case signatureInvalid = "signature_invalid"
        /// The artifact (bytes or digest) is not the one the bundle signs.
        case artifactMismatch = "artifact_mismatch"
        /// The certificate's subject alternative name does not match the policy.
        case identityMismatch = "identity_mismatch"
        /// The certificate's OIDC issuer does not match the policy.
        case issuerMismatch = "issuer_mismatch"
        /// The signing certificate does not chain to a trusted CA at every verified time.
        case certificateChainInvalid = "certificate_chain_invalid"
        /// No embedded signed certificate timestamp verifies against a trusted CT log.
        case sctInvalid = "sct_invalid"
        /// No transparency-log entry from a trusted log is present.
        case tlogEntryMissing = "tlog_entry_missing"
        /// A transparency-log entry is malformed (body, index, encoding).
        case tlogEntryInvalid = "tlog_entry_invalid"
        /// A transparency-log entry's body contradicts the bundle (signature, key/certificate, artifact digest).
        case tlogEntryMismatch = "tlog_entry_mismatch"
        /// The signed entry timestamp (inclusion promise) does not verify, or its time is outside the log key's validity.
        case setInvalid = "set_invalid"
        /// The RFC 6962 inclusion proof does not verify.
        case inclusionProofInvalid = "inclusion_proof_invalid"
        /// The checkpoint is malformed, not signed by the log, or does not match the proof.
        case checkpointInvalid = "checkpoint_invalid"
        /// An RFC 3161 timestamp does not verify against a trusted TSA.
        case timestampInvalid = "timestamp_invalid"
        /// No verified source of time (SET integrated time or RFC 3161 timestamp) is available.
        case noVerifiedTime = "no_verified_time"
        /// The bundle's key or certificate is not the one the policy requires.
        case keyMismatch = "key_mismatch"
        /// The policy itself is unusable (bad regular expression, bad key).
        case policyInvalid = "policy_invalid"
        /// A cosign simple-signing payload (or attestation envelope) is malformed.
        case payloadInvalid = "payload_invalid"
        /// Input could not be read (file missing, too large).
        case inputUnreadable = "input_unreadable"
        /// A cosign simple-signing payload names another image digest (a signature replayed onto another image).
        case payloadDigestMismatch = "payload_digest_mismatch"
        /// An in-toto statement's subjects do not name the image.
        case subjectMismatch = "subject_mismatch"
        /// A required `-a` annotation is absent from the signed claims or has another value.
        case annotationMismatch = "annotation_mismatch"
        /// An attestation's predicate type is not the one the policy requires.
        case predicateTypeMismatch = "predicate_type_mismatch"
    }

    /// The stable reason code.
    public let code: Code
    /// The check that failed, e.g. `tlog.inclusion_proof` or `certificate.chain` (see `CheckName`).
    public let check: CheckName
    /// Human-readable explanation naming the problem and the fix.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, check: CheckName, _ message: String) {
        self.code = code
        self.check = check
        self.message = message
    }

    /// `code (check): message`.
    public var description: String { "\(code.rawValue) (\(check)): \(message)" }
}
