import Foundation

/// One check that was performed, with its outcome. Verdicts list every check, passed or not, so a person can see
/// what the gate relied on.
public struct Check: Codable, Sendable, Hashable {
    /// The check's stable name from the one vocabulary (`CheckName`), e.g. `signature`, `tlog.set`,
    /// `certificate.chain`.
    public var name: CheckName
    /// Whether the check passed.
    public var passed: Bool
    /// One human sentence: what was checked and what was found.
    public var detail: String
    /// The reason code when the check did not pass.
    public var reason: ReasonCode?

    /// Creates a check record.
    public init(name: CheckName, passed: Bool, detail: String, reason: ReasonCode? = nil) {
        self.name = name
        self.passed = passed
        self.detail = detail
        self.reason = reason
    }

    /// A passed check.
    public static func passed(_ name: CheckName, _ detail: String) -> Check {
        Check(name: name, passed: true, detail: detail)
    }

    /// A failed check with its reason.
    public static func failed(_ name: CheckName, _ reason: ReasonCode, _ detail: String) -> Check {
        Check(name: name, passed: false, detail: detail, reason: reason)
    }
}

/// The one result type of verifying one piece of evidence — a signature, attestation or bundle found for a subject —
/// whatever its format: what was checked (`checks`, in order, named from `CheckName`), whether it satisfied the whole
/// policy, and who signed with which evidence.
public struct SignatureReport: Codable, Sendable, Hashable {
    /// `signature`, `attestation` or `bundle`.
    public var kind: String
    /// Where it was found: `tag sha256-….sig`, `referrers API`, `referrers tag`, `bundle file`.
    public var source: String
    /// Whether this signature satisfied the whole policy.
    public var verified: Bool
    /// SHA-256 of the verifying key's SubjectPublicKeyInfo, hex (key-based signatures).
    public var keyID: String?
    /// The certificate identity (SAN) for keyless signatures.
    public var certificateIdentity: String?
    /// The OIDC issuer from the certificate.
    public var certificateIssuer: String?
    /// Other Fulcio certificate extensions (workflow, repository, ref…), by name.
    public var certificateExtensions: [String: String]?
    /// The transparency-log index of the entry that was verified.
    public var tlogIndex: Int64?
    /// The log's integrated time (RFC 3339, UTC).
    public var integratedTime: String?
    /// Verified RFC 3161 timestamps (RFC 3339, UTC).
    public var timestamps: [String]?
    /// The in-toto predicate type (attestations).
    public var predicateType: String?
    /// The `docker-reference` the payload names (cosign signatures).
    public var dockerReference: String?
    /// Evidence that was present but not used (entries from logs outside the trusted root, timestamps no trusted
    /// TSA vouches for), one sentence each.
    public var notes: [String]?
    /// Every check performed on this signature.
    public var checks: [Check]

    /// Creates a report; fill the optional fields as they become known.
    public init(kind: String, source: String, verified: Bool = false, checks: [Check] = []) {
        self.kind = kind
        self.source = source
        self.verified = verified
        self.checks = checks
    }

    /// The reasons of the checks that failed, in order, without repeats.
    public var failureReasons: [ReasonCode] {
        var seen = Set<ReasonCode>()
        return checks.compactMap { $0.passed ? nil : $0.reason }.filter { seen.insert($0).inserted }
    }
}

/// The verdict for one subject: an image reference, or an artifact and its bundle.
public struct SubjectVerdict: Codable, Sendable, Hashable {
    /// The reference or file as the user gave it.
    public var reference: String
    /// The digest that was verified (`sha256:…`), when known.
    public var digest: String?
    /// The decision for this subject.
    public var decision: Decision
    /// Why it did not pass (empty when it passed); also notes such as `not_digest_pinned`.
    public var reasons: [ReasonCode]
    /// Human explanations, each naming the closest candidate and the fix.
    public var messages: [String]
    /// Checks about the subject itself (reference, manifest, discovery).
    public var checks: [Check]
    /// Every signature, attestation or bundle considered.
    public var signatures: [SignatureReport]

    /// Creates a subject verdict.
    public init(reference: String, digest: String? = nil, decision: Decision, reasons: [ReasonCode] = [],
                messages: [String] = [], checks: [Check] = [], signatures: [SignatureReport] = []) {
        self.reference = reference
        self.digest = digest
        self.decision = decision
        self.reasons = reasons
        self.messages = messages
        self.checks = checks
        self.signatures = signatures
    }
}

/// The verdict of one run over one or more subjects: the `verify` JSON contract (`schemaVersion` 1).
public struct Verdict: Codable, Sendable, Hashable {
    /// The JSON schema version of this document.
    public var schemaVersion: Int = 1
    /// The combined decision: any fail fails, else any indeterminate, else pass.
    public var decision: Decision
    /// One verdict per subject, in the order given.
    public var subjects: [SubjectVerdict]

    /// Creates a verdict whose decision combines the subjects' decisions.
    public init(subjects: [SubjectVerdict]) {
        self.subjects = subjects
        self.decision = Decision.combining(subjects.map(\.decision))
    }

    /// The process exit status for this verdict.
    public var exitStatus: ExitStatus { ExitStatus(decision) }
}
