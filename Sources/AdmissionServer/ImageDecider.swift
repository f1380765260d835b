import Foundation
import ImageGate

/// Whether a policy's failures deny or only warn (policy-controller's `mode: enforce | warn`).
public enum Enforcement: String, Sendable, Hashable, Codable {
    /// Failures deny admission.
    case enforce
    /// Failures are reported as warnings; the request is allowed.
    case warn
}

/// What the policies decided about one pinned image.
public struct ImageDecision: Sendable, Hashable {
    /// pass, fail, or indeterminate (could not decide; never treated as pass).
    public var decision: Decision
    /// The stable reason codes (empty when it passed).
    public var reasons: [ReasonCode]
    /// One sentence for a person: what passed, or why not and the fix.
    public var message: String
    /// The digest that was verified.
    public var digest: String?
    /// Whether a failure denies or only warns.
    public var enforcement: Enforcement
    /// The policies that decided (names), for messages and logs.
    public var policies: [String]
    /// Findings of warn-mode policies: reported to the client, never a denial.
    public var warnings: [String]

    /// Creates a decision.
    public init(decision: Decision, reasons: [ReasonCode] = [], message: String, digest: String? = nil,
                enforcement: Enforcement = .enforce, policies: [String] = [], warnings: [String] = []) {
        self.decision = decision
        self.reasons = reasons
        self.message = message
        self.digest = digest
        self.enforcement = enforcement
        self.policies = policies
        self.warnings = warnings
    }

    /// The first reason, or `internal_error` for a non-pass without one (never empty for a denial).
    public var primaryReason: ReasonCode { reasons.first ?? (decision == .pass ? "pass" : .internalError) }
}

/// "Decide this image": the one question the admission server asks of the verification core and the policies.
/// Implementations are immutable; a policy reload replaces the whole decider.
public protocol ImageDecider: Sendable {
    /// A digest of everything that decides (policy files, keys, trusted roots, flags): part of every cache key, so a
    /// policy change never reuses a verdict made under other rules.
    var policyDigest: String { get }
    /// How failures of the policies matching this reference are enforced.
    func enforcement(for reference: String) -> Enforcement
    /// Decides one image referenced by digest (`name@sha256:…`) in an object of `kind` (`Pod`, `Deployment`…, for
    /// policies that match kinds). Never throws: an error is an `indeterminate` decision with its reason.
    func decide(_ reference: String, kind: String?, at time: Date) async -> ImageDecision
    /// Resolves a reference by tag to its digest (`sha256:…`), for the mutating webhook.
    func resolveDigest(_ reference: String) async throws -> String
}

/// Decides every image against one `ImagePolicy` — the verification flags of `verify-image verify` — with the
/// single verifier of `ImageGate`.
public struct VerifierDecider: ImageDecider {
    /// The verifier (its policy and content source).
    public let verifier: ImageVerifier
    public let policyDigest: String
    /// `warn` lets failures through as warnings.
    public let mode: Enforcement
    /// The name shown in messages.
    public let name: String

    /// Creates a decider; `policyDigest` must change whenever anything that decides changes.
    public init(verifier: ImageVerifier, policyDigest: String, mode: Enforcement = .enforce, name: String = "flags") {
        self.verifier = verifier
        self.policyDigest = policyDigest
        self.mode = mode
        self.name = name
    }

    public func enforcement(for reference: String) -> Enforcement { mode }

    public func decide(_ reference: String, kind: String?, at time: Date) async -> ImageDecision {
        let subject = await verifier.verify(reference: reference, at: time)
        let message: String
        if subject.decision == .pass {
            let signer = subject.signatures.first(where: \.verified)
            message = "verified: " + (signer.map { $0.keyID.map { "signed by key \($0.prefix(12))" } ?? $0.certificateIdentity.map { "signed by \($0)" } ?? "signed" } ?? "signed")
        } else {
            message = subject.messages.first ?? subject.checks.last(where: { !$0.passed })?.detail ?? "not verified"
        }
        return ImageDecision(decision: subject.decision, reasons: subject.reasons, message: message, digest: subject.digest,
                             enforcement: mode, policies: [name])
    }

    public func resolveDigest(_ reference: String) async throws -> String {
        let parsed = try ImageReference(normalizing: reference)
        return try await verifier.source.resolve(parsed).digest.string
    }
}

/// Decides every image against policy-controller `ClusterImagePolicy` files through `Gate` (ImageGate): every
/// policy whose glob matches must pass (at least one authority each); policies in `mode: warn` only warn.
public struct GateDecider: ImageDecider {
    /// The gate over the loaded policies.
    public let gate: Gate
    public let policyDigest: String

    /// Creates a decider; `policyDigest` must change whenever a policy file changes.
    public init(gate: Gate, policyDigest: String) {
        self.gate = gate
        self.policyDigest = policyDigest
    }

    /// Warn only when every policy matching the image is in `mode: warn`.
    public func enforcement(for reference: String) -> Enforcement {
        let matching = gate.policies.policies(for: reference)
        return !matching.isEmpty && matching.allSatisfy { $0.mode == .warn } ? .warn : .enforce
    }

    public func decide(_ reference: String, kind: String?, at time: Date) async -> ImageDecision {
        let image = await gate.evaluate(image: reference, kind: kind, at: time)
        let names = image.policies.map(\.policy)
        let message: String
        if image.decision == .pass {
            let passed = image.policies.compactMap { outcome in outcome.passedBy.map { "\(outcome.policy) by \($0)" } }
            message = "verified: " + (passed.isEmpty ? "no policy failed" : passed.joined(separator: ", "))
        } else {
            message = [image.message, image.fix.map { "fix: \($0)" }].compactMap { $0 }.joined(separator: "; ")
        }
        return ImageDecision(decision: image.decision, reasons: image.reasons.map { ReasonCode(rawValue: $0) },
                             message: message.isEmpty ? "not verified" : message, digest: image.digest,
                             enforcement: .enforce, policies: names, warnings: image.warnings)
    }

    public func resolveDigest(_ reference: String) async throws -> String {
        try await gate.source.resolve(try ImageReference(normalizing: reference)).digest.string
    }
}
