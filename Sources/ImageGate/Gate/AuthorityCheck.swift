import Foundation
import GateVerdict
import PolicyFiles
import SignatureVerification

/// A policy-controller authority turned into the verifier's one policy type (`VerificationPolicy`): the one place
/// where `key`, `keyless`, `ctlog`, `rfc3161timestamp` and `attestations` map onto it, so the gate adds no
/// verification rule of its own. An authority passes when every requirement passes (one for signatures, or one per
/// attestation predicate type); each requirement is one `ImageVerifier` (all keys, or all identities, in one policy).
struct AuthorityCheck: Sendable {
    /// One thing the authority demands (a signature, or an attestation of one predicate type).
    struct Requirement: Sendable {
        let label: String
        /// Index into the gate's verifiers.
        let verifier: Int
    }

    let authority: PolicyAuthority
    /// Empty for `static` authorities.
    let requirements: [Requirement]
    /// The requirement in words, for reports.
    let description: String

    /// Builds the checks of one authority, appending the verifiers it needs to `verifiers`.
    static func make(_ authority: PolicyAuthority, policies: PolicySet, defaultRoot: () throws -> TrustedRoot,
                     source: any ContentSource, verifiers: inout [ImageVerifier]) throws(ImageGateError) -> AuthorityCheck {
        let place = "\(authority.location) (authority \(authority.name))"
        func root(_ name: String?) throws(ImageGateError) -> TrustedRoot {
            if let name {
                guard let root = policies.trustRoots[name] else {
                    throw ImageGateError(.policyUnusable, "\(place): no TrustRoot named \(name)")
                }
                return root.trustedRoot
            }
            do { return try defaultRoot() } catch {
                throw ImageGateError(.policyUnusable, "\(place): the trusted root cannot be read: \(error)")
            }
        }
        if authority.timestampTrustRoot != nil {
            // Refused rather than weakened: the verifiers behind the policy do not yet enforce a timestamp threshold.
            throw ImageGateError(.policyUnusable, "\(place): rfc3161timestamp cannot be enforced by this version; remove it or keep this policy for the cluster only")
        }
        let tlog = authority.requiresTransparencyLog
        let signers: VerificationPolicy.Signers
        let trust: VerificationPolicy.Trust
        var ignoreSCT = false
        let who: String
        switch authority.evidence {
        case .staticAction(let pass, let message):
            return AuthorityCheck(authority: authority, requirements: [],
                                  description: "static \(pass ? "pass" : "fail")\(message.map { ": \($0)" } ?? "")")
        case .key(let key, _):
            signers = .keys([key])
            // The root is given even when no log entry is required: a signature that carries one still has it checked.
            trust = VerificationPolicy.Trust(trustedRoot: try root(authority.transparencyLog?.trustRootRef))
            who = "key \(key.keyID.prefix(16))…"
        case .keyless(let keyless):
            signers = .identities(keyless.identities.map { VerificationPolicy.Identity(issuer: $0.issuer, subject: $0.subject) })
            trust = VerificationPolicy.Trust(trustedRoot: try root(keyless.trustRootRef ?? authority.transparencyLog?.trustRootRef),
                                             certificateChain: keyless.certificateChain)
            ignoreSCT = keyless.insecureIgnoreSCT && keyless.certificateChain == nil
            who = keyless.identities.map { "identity \($0.subject) issuer \($0.issuer)" }.joined(separator: " or ")
        }
        let evidence: [(String, VerificationPolicy.Evidence)] = authority.attestations.isEmpty
            ? [("signature", .signatures)]
            : authority.attestations.map { attestation in
                let uri = VerificationPolicy.predicateTypeURI(attestation.predicateType)
                return ("attestation \(attestation.name) (\(uri))", .attestations(predicateType: uri))
            }
        var requirements: [Requirement] = []
        for (label, kind) in evidence {
            do {
                let policy = try VerificationPolicy(trust: trust, signers: signers, evidence: kind,
                                                    insecureIgnoreTransparencyLog: !tlog, insecureIgnoreSCT: ignoreSCT)
                verifiers.append(try ImageVerifier(source: source, policy: policy))
            } catch {
                throw ImageGateError(.policyUnusable, "\(place): \(error)")
            }
            requirements.append(Requirement(label: label, verifier: verifiers.count - 1))
        }
        return AuthorityCheck(authority: authority, requirements: requirements,
                              description: "\(evidence.map(\.0).joined(separator: " and ")) by \(who)\(tlog ? ", with a transparency-log entry" : "")")
    }

    /// The outcome of this authority from the verdicts of the gate's verifiers (by index).
    func outcome(_ verdicts: [Int: SubjectVerdict]) -> GateAuthorityOutcome {
        if case .staticAction(let pass, let message) = authority.evidence {
            return GateAuthorityOutcome(name: authority.name, requirement: description, decision: pass ? .pass : .fail,
                                        reasons: pass ? [] : [GateReason.staticFail],
                                        message: pass ? "static pass" : (message ?? "the policy's static action is fail"),
                                        verdicts: [])
        }
        var decisions: [Decision] = []
        var reasons: [String] = []
        var messages: [String] = []
        var used: [SubjectVerdict] = []
        for requirement in requirements {
            guard let verdict = verdicts[requirement.verifier] else {
                decisions.append(.indeterminate)
                messages.append("\(requirement.label): not verified")
                continue
            }
            used.append(verdict)
            decisions.append(verdict.decision)
            if verdict.decision == .pass {
                messages.append("\(requirement.label) verified" + Self.evidenceSummary(verdict))
            } else {
                for reason in verdict.reasons.map(\.rawValue) where !reasons.contains(reason) { reasons.append(reason) }
                let why = verdict.messages.first ?? verdict.checks.first { !$0.passed }?.detail
                    ?? verdict.reasons.map(\.rawValue).joined(separator: ", ")
                messages.append("\(requirement.label): \(why)")
            }
        }
        return GateAuthorityOutcome(name: authority.name, requirement: description, decision: Decision.combining(decisions),
                                    reasons: reasons, message: messages.joined(separator: "; "), verdicts: used)
    }

    /// ` (key 3f2a…, tlog index 123)` for the signature that passed.
    static func evidenceSummary(_ verdict: SubjectVerdict) -> String {
        guard let signature = verdict.signatures.first(where: \.verified) else { return "" }
        var parts: [String] = []
        if let key = signature.keyID { parts.append("key \(key.prefix(16))…") }
        if let identity = signature.certificateIdentity { parts.append("identity \(identity)") }
        if let issuer = signature.certificateIssuer { parts.append("issuer \(issuer)") }
        if let index = signature.tlogIndex { parts.append("tlog index \(index)") }
        if let time = signature.integratedTime { parts.append("integrated \(time)") }
        return parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"
    }
}
