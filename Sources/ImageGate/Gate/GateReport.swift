import Foundation
import GateVerdict

/// The decision of `verify-image gate` for a whole release: every image found, where it is used, which policies
/// matched it and how each authority fared. Its JSON is the `gate` contract (`schemaVersion` 1, see
/// docs/ARCHITECTURE.md); the text, SARIF and JUnit renderings are derived from it.
public struct GateReport: Codable, Sendable, Hashable {
    /// The JSON contract's version.
    public var schemaVersion = 1
    /// pass (0), fail (1) or indeterminate (2) for the whole release.
    public var decision: Decision
    /// The time signatures and certificates were checked at (RFC 3339).
    public var verifiedAt: String
    /// Every image, in order of first use.
    public var images: [GateImage]
    /// The policies loaded (whether or not they matched an image).
    public var policies: [GatePolicy]
    /// Counts.
    public var summary: GateSummary

    /// Creates a report; the decision and summary are derived from the images.
    public init(verifiedAt: Date, images: [GateImage], policies: [GatePolicy], filesScanned: Int) {
        self.verifiedAt = ContractJSON.timestamp(verifiedAt)
        self.images = images
        self.policies = policies
        self.decision = images.isEmpty ? .pass : Decision.combining(images.map(\.decision))
        var summary = GateSummary(files: filesScanned, images: images.count)
        for image in images {
            switch image.decision {
            case .pass: summary.passed += 1
            case .fail: summary.failed += 1
            case .indeterminate: summary.indeterminate += 1
            }
            summary.warnings += image.warnings.count
        }
        self.summary = summary
    }

    /// The exit status of the decision.
    public var exitStatus: ExitStatus { ExitStatus(decision) }
}

/// A policy as loaded: name and where it is.
public struct GatePolicy: Codable, Sendable, Hashable {
    /// `metadata.name`.
    public var name: String
    /// The file it was read from.
    public var file: String
    /// Its line.
    public var line: Int
    /// `enforce` or `warn`.
    public var mode: String
    /// Its globs.
    public var globs: [String]
}

/// Counts of a gate run.
public struct GateSummary: Codable, Sendable, Hashable {
    /// Files scanned.
    public var files: Int
    /// Distinct images.
    public var images: Int
    /// Images that pass.
    public var passed = 0
    /// Images that fail.
    public var failed = 0
    /// Images that could not be decided.
    public var indeterminate = 0
    /// Warnings (`mode: warn` policies that failed, `--no-match warn`).
    public var warnings = 0
}

/// Where an image is used: a finding of the scanner.
public struct GateUse: Codable, Sendable, Hashable {
    /// The file (`chart.tgz!path` inside archives).
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column.
    public var column: Int
    /// The YAML path (`spec.template.spec.containers[0].image`).
    public var yamlPath: String
    /// `Kind/name` of the object, when known.
    public var object: String?
}

/// The reason codes the gate adds to the verifier's (`ReasonCode`), spelled once: an image's and an authority's
/// `reasons` in the `gate` JSON contract.
public enum GateReason {
    /// The image's pin status is in `--fail-on`.
    public static let notDigestPinned = ReasonCode.notDigestPinned.rawValue
    /// The scanner could not read the image reference.
    public static let scanError = "scan_error"
    /// No policy's glob matched the image (`--no-match deny`, or `warn`).
    public static let noPolicyMatched = "no_policy_matched"
    /// An enforced policy failed.
    public static let policyFailed = "policy_failed"
    /// An enforced policy could not be decided.
    public static let policyIndeterminate = "policy_indeterminate"
    /// An authority's `static` action is fail.
    public static let staticFail = "static_fail"
}

/// One distinct image of the release and its decision.
public struct GateImage: Codable, Sendable, Hashable {
    /// The image as written (composed from repository and tag for Helm values).
    public var image: String
    /// The normalized reference (`registry/repo@sha256:…`), when the image parses.
    public var reference: String?
    /// The digest verified.
    public var digest: String?
    /// The scanner's pin status (`pinned`, `tag`, `malformed-digest`, …).
    public var status: String
    /// The image's decision: fail when its pin status fails (`--fail-on`), no policy matched (`--no-match deny`),
    /// or an enforced policy failed; indeterminate when an enforced policy could not be decided.
    public var decision: Decision
    /// Stable reason codes.
    public var reasons: [String]
    /// Why, in words, when it does not pass.
    public var message: String?
    /// What to do about it.
    public var fix: String?
    /// Where it is used.
    public var uses: [GateUse]
    /// The policies whose globs matched, each with its outcome.
    public var policies: [GatePolicyOutcome]
    /// Warnings that do not change the decision.
    public var warnings: [String]
}

/// How one image fared against one policy.
public struct GatePolicyOutcome: Codable, Sendable, Hashable {
    /// The policy's name.
    public var policy: String
    /// Where it was declared (`file:line`).
    public var location: String
    /// `enforce` or `warn`.
    public var mode: String
    /// The glob that matched.
    public var glob: String
    /// pass when one authority passed, else fail (or indeterminate when one could not be decided).
    public var decision: Decision
    /// The authority that passed.
    public var passedBy: String?
    /// Why the policy was not evaluated (the image failed on its pin), when it was not.
    public var note: String?
    /// Every authority, in order.
    public var authorities: [GateAuthorityOutcome]
}

/// How one authority fared.
public struct GateAuthorityOutcome: Codable, Sendable, Hashable {
    /// The authority's name (`authority-<index>` by default).
    public var name: String
    /// What it requires, in words (`signature by key 3f2a…, with a transparency-log entry`).
    public var requirement: String
    /// Its decision.
    public var decision: Decision
    /// Reason codes when it did not pass.
    public var reasons: [String]
    /// What was found, or why it failed and the fix.
    public var message: String
    /// The verifications behind it (one per requirement alternative tried).
    public var verdicts: [SubjectVerdict]
}
