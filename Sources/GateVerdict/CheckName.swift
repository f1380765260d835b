/// The stable, documented name of a check in a verdict (`Check.name`). One vocabulary for every kind of evidence:
/// a Sigstore bundle, a cosign layer and a containers-image signature report the same check under the same name.
/// Names are dotted, lower case: `area` or `area.detail`. Extend the list, never rename a name.
public struct CheckName: StableName {
    /// The name, e.g. `certificate.chain`.
    public let rawValue: String

    /// Wraps a raw string; prefer the named constants.
    public init(rawValue: String) { self.rawValue = rawValue }

    // MARK: The subject (image or artifact)

    /// The reference parses and is pinned by digest.
    public static let reference: CheckName = "reference"
    /// The manifest matches its digest.
    public static let manifest: CheckName = "manifest"
    /// An index's platform manifest was selected.
    public static let platform: CheckName = "platform"
    /// Content could be fetched from the source.
    public static let fetch: CheckName = "fetch"
    /// The overall deadline.
    public static let deadline: CheckName = "deadline"
    /// A bug or an unexpected condition.
    public static let `internal`: CheckName = "internal"
    /// The artifact file could be read (verify-bundle).
    public static let artifactRead: CheckName = "artifact.read"
    /// An input file (bundle, trusted root) could be read within its size limit.
    public static let inputRead: CheckName = "input.read"
    /// The policy is usable (keys, regular expressions, combinations).
    public static let policy: CheckName = "policy"
    /// The trusted material is usable.
    public static let trustedRoot: CheckName = "trusted_root"

    // MARK: One piece of evidence

    /// The evidence parses and is well-formed (bundle, layer, payload, envelope).
    public static let evidenceFormat: CheckName = "format"
    /// A Sigstore bundle file could be read.
    public static let bundleRead: CheckName = "bundle.read"
    /// A Sigstore bundle is JSON of the bundle's shape.
    public static let bundleParse: CheckName = "bundle.parse"
    /// A Sigstore bundle's media type names a known version.
    public static let bundleMediaType: CheckName = "bundle.media_type"
    /// A Sigstore bundle's verification material follows its version's rules.
    public static let bundleVerificationMaterial: CheckName = "bundle.verification_material"
    /// A Sigstore bundle's transparency-log entries follow its version's rules.
    public static let bundleTlogEntries: CheckName = "bundle.tlog_entries"
    /// A Sigstore bundle's RFC 3161 timestamps are well-formed.
    public static let bundleTimestamps: CheckName = "bundle.timestamps"
    /// A Sigstore bundle holds exactly one of a message signature and a DSSE envelope.
    public static let bundleContent: CheckName = "bundle.content"
    /// A Sigstore bundle's message signature is well-formed.
    public static let bundleMessageSignature: CheckName = "bundle.message_signature"
    /// A Sigstore bundle's DSSE envelope is well-formed.
    public static let bundleDSSEEnvelope: CheckName = "bundle.dsse_envelope"
    /// The signed payload (simple-signing document, in-toto statement) parses.
    public static let payload: CheckName = "payload"
    /// The evidence is signed the way the policy's signers sign (key vs certificate).
    public static let key: CheckName = "key"
    /// The signature verifies over the signed bytes.
    public static let signature: CheckName = "signature"
    /// What was signed names this artifact or image (payload digest, message digest, in-toto subject).
    public static let artifact: CheckName = "artifact"
    /// The required `-a` annotations hold.
    public static let annotations: CheckName = "annotations"
    /// The attestation has the required predicate type.
    public static let predicateType: CheckName = "predicate_type"
    /// A transparency-log entry is present where required.
    public static let transparencyLog: CheckName = "tlog"
    /// The signed entry timestamp (inclusion promise) verifies.
    public static let transparencyLogSET: CheckName = "tlog.set"
    /// The RFC 6962 inclusion proof verifies.
    public static let transparencyLogInclusionProof: CheckName = "tlog.inclusion_proof"
    /// The checkpoint is signed by the log and matches the proof.
    public static let transparencyLogCheckpoint: CheckName = "tlog.checkpoint"
    /// The entry body records this signature, key or certificate, and payload.
    public static let transparencyLogBody: CheckName = "tlog.body"
    /// An RFC 3161 timestamp verifies against a trusted TSA.
    public static let timestamp: CheckName = "timestamp.rfc3161"
    /// A verified time exists to check the certificate at.
    public static let time: CheckName = "time"
    /// The signing certificate parses.
    public static let certificate: CheckName = "certificate"
    /// The certificate chains to a trusted CA at every verified time.
    public static let certificateChain: CheckName = "certificate.chain"
    /// An embedded SCT verifies against a trusted CT log within its validity window.
    public static let certificateSCT: CheckName = "certificate.sct"
    /// The certificate's subject alternative name matches an identity of the policy.
    public static let certificateIdentity: CheckName = "certificate.identity"
    /// The certificate's OIDC issuer matches.
    public static let certificateIssuer: CheckName = "certificate.issuer"
    /// The certificate's Fulcio extensions hold the required values.
    public static let certificateExtensions: CheckName = "certificate.extensions"
    /// Enough evidence (transparency log, timestamps) in total.
    public static let evidence: CheckName = "evidence"

    /// Every check name a verdict can carry, in the order README.md and docs/ARCHITECTURE.md list them (a test holds
    /// the three together).
    public static let documented: [CheckName] = [
        .reference,
        .manifest,
        .platform,
        .fetch,
        .deadline,
        .`internal`,
        .artifactRead,
        .inputRead,
        .policy,
        .trustedRoot,
        .evidenceFormat,
        .bundleRead,
        .bundleParse,
        .bundleMediaType,
        .bundleVerificationMaterial,
        .bundleTlogEntries,
        .bundleTimestamps,
        .bundleContent,
        .bundleMessageSignature,
        .bundleDSSEEnvelope,
        .payload,
        .key,
        .signature,
        .artifact,
        .annotations,
        .predicateType,
        .transparencyLog,
        .transparencyLogSET,
        .transparencyLogInclusionProof,
        .transparencyLogCheckpoint,
        .transparencyLogBody,
        .timestamp,
        .time,
        .certificate,
        .certificateChain,
        .certificateSCT,
        .certificateIdentity,
        .certificateIssuer,
        .certificateExtensions,
        .evidence,
    ]
}
