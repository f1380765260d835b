/// A stable, documented, snake_case reason a check did not pass. Codes are part of the JSON contract: extend the
/// list, never rename a code.
public struct ReasonCode: StableName {
    /// The snake_case code, e.g. `no_matching_signature`.
    public let rawValue: String

    /// Wraps a raw string; prefer the named constants.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The decision a subject gets when this is the reason it did not pass: evidence problems fail, failures to
    /// obtain evidence are indeterminate.
    public var decision: Decision {
        ReasonCode.indeterminateCodes.contains(self) ? .indeterminate : .fail
    }

    /// Codes that mean "could not decide".
    public static let indeterminateCodes: Set<ReasonCode> = [
        .registryUnreachable, .registryRateLimited, .registryUnauthorized, .registryError, .deadlineExceeded,
        .internalError, .trustedRootExpired,
    ]

    // MARK: References and digests

    /// The reference is a tag, not `name@sha256:…`; the digest it resolved to is reported.
    public static let notDigestPinned: ReasonCode = "not_digest_pinned"
    /// The reference could not be parsed.
    public static let invalidReference: ReasonCode = "invalid_reference"
    /// Content did not hash to the digest that named it.
    public static let digestMismatch: ReasonCode = "digest_mismatch"
    /// Content was not the size its descriptor gave.
    public static let sizeMismatch: ReasonCode = "size_mismatch"
    /// The image (manifest) was not found in the source.
    public static let imageNotFound: ReasonCode = "image_not_found"
    /// A manifest or index could not be decoded.
    public static let manifestInvalid: ReasonCode = "manifest_invalid"
    /// `--platform` matched no entry of the index.
    public static let platformNotFound: ReasonCode = "platform_not_found"

    // MARK: Signatures

    /// No signature or attestation of any kind was found for the image.
    public static let noSignaturesFound: ReasonCode = "no_signatures_found"
    /// Signatures were found, but none satisfies the policy (the closest candidate is named).
    public static let noMatchingSignature: ReasonCode = "no_matching_signature"
    /// A signature did not verify under the key or certificate.
    public static let signatureInvalid: ReasonCode = "signature_invalid"
    /// The signature was made by another key than the one given.
    public static let keyMismatch: ReasonCode = "key_mismatch"
    /// The signed payload names another image digest (e.g. a signature replayed onto another image).
    public static let payloadDigestMismatch: ReasonCode = "payload_digest_mismatch"
    /// The signed payload is not a valid cosign simple-signing document.
    public static let payloadInvalid: ReasonCode = "payload_invalid"
    /// A required `-a key=value` annotation is missing or differs.
    public static let annotationMismatch: ReasonCode = "annotation_mismatch"
    /// The artifact does not match what was signed.
    public static let artifactMismatch: ReasonCode = "artifact_mismatch"
    /// A Sigstore bundle could not be parsed or is not well-formed.
    public static let bundleInvalid: ReasonCode = "bundle_invalid"
    /// The trusted root could not be parsed or is not well-formed.
    public static let trustedRootInvalid: ReasonCode = "trusted_root_invalid"
    /// An attestation's in-toto subject does not name the image digest.
    public static let subjectMismatch: ReasonCode = "subject_mismatch"
    /// No attestation of the requested predicate type was found.
    public static let predicateTypeMismatch: ReasonCode = "predicate_type_mismatch"

    // MARK: Certificates and identities

    /// The certificate does not chain to a trusted CA at the verified time.
    public static let certificateChainInvalid: ReasonCode = "certificate_chain_invalid"
    /// The certificate identity (SAN) does not match the policy.
    public static let identityMismatch: ReasonCode = "identity_mismatch"
    /// The OIDC issuer in the certificate does not match the policy.
    public static let issuerMismatch: ReasonCode = "issuer_mismatch"
    /// The certificate's embedded SCTs did not verify against a trusted CT log.
    public static let sctInvalid: ReasonCode = "sct_invalid"

    // MARK: Transparency log and time

    /// No transparency-log entry was found where the policy requires one.
    public static let tlogEntryMissing: ReasonCode = "tlog_entry_missing"
    /// The signed entry timestamp (SET) did not verify.
    public static let setInvalid: ReasonCode = "set_invalid"
    /// The RFC 6962 inclusion proof did not verify.
    public static let inclusionProofInvalid: ReasonCode = "inclusion_proof_invalid"
    /// The checkpoint (signed tree head) did not verify or does not match the proof.
    public static let checkpointInvalid: ReasonCode = "checkpoint_invalid"
    /// The log entry body does not match the signature, key or artifact.
    public static let tlogEntryMismatch: ReasonCode = "tlog_entry_mismatch"
    /// A transparency-log entry is malformed (body, index, encoding).
    public static let tlogEntryInvalid: ReasonCode = "tlog_entry_invalid"
    /// An RFC 3161 timestamp did not verify.
    public static let timestampInvalid: ReasonCode = "timestamp_invalid"
    /// No verified time was available to check a certificate against.
    public static let noVerifiedTime: ReasonCode = "no_verified_time"

    // MARK: Input

    /// The policy is unusable (bad regular expression, bad key, incoherent combination); a usage error in the CLI.
    public static let policyInvalid: ReasonCode = "policy_invalid"
    /// Input could not be read (a file missing or too large); a usage error in the CLI.
    public static let inputUnreadable: ReasonCode = "input_unreadable"

    // MARK: Could not decide

    /// The registry could not be reached.
    public static let registryUnreachable: ReasonCode = "registry_unreachable"
    /// The registry refused the credentials or demanded some.
    public static let registryUnauthorized: ReasonCode = "registry_unauthorized"
    /// The registry rate-limited the requests.
    public static let registryRateLimited: ReasonCode = "registry_rate_limited"
    /// The registry answered with an error that is not about the evidence.
    public static let registryError: ReasonCode = "registry_error"
    /// The overall deadline ran out.
    public static let deadlineExceeded: ReasonCode = "deadline_exceeded"
    /// The cached trusted root's TUF metadata has expired and could not be refreshed (`verify-image trust update`).
    public static let trustedRootExpired: ReasonCode = "trusted_root_expired"
    /// A bug or an unexpected condition in the verifier itself.
    public static let internalError: ReasonCode = "internal_error"

    /// Every code that can reach a verdict, in the order README.md and docs/ARCHITECTURE.md list them (a test holds
    /// the three together).
    public static let documented: [ReasonCode] = [
        .notDigestPinned,
        .invalidReference,
        .digestMismatch,
        .sizeMismatch,
        .imageNotFound,
        .manifestInvalid,
        .platformNotFound,
        .noSignaturesFound,
        .noMatchingSignature,
        .signatureInvalid,
        .keyMismatch,
        .payloadDigestMismatch,
        .payloadInvalid,
        .annotationMismatch,
        .artifactMismatch,
        .bundleInvalid,
        .trustedRootInvalid,
        .subjectMismatch,
        .predicateTypeMismatch,
        .certificateChainInvalid,
        .identityMismatch,
        .issuerMismatch,
        .sctInvalid,
        .tlogEntryMissing,
        .setInvalid,
        .inclusionProofInvalid,
        .checkpointInvalid,
        .tlogEntryMismatch,
        .tlogEntryInvalid,
        .timestampInvalid,
        .noVerifiedTime,
        .policyInvalid,
        .inputUnreadable,
        .registryUnreachable,
        .registryUnauthorized,
        .registryRateLimited,
        .registryError,
        .deadlineExceeded,
        .trustedRootExpired,
        .internalError,
    ]
}
