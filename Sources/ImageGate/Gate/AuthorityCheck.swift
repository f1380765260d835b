import Foundation
import GateVerdict
import PolicyFiles
import SignatureVerification

/// A policy-controller authority turned into the verifier's policies: the one place where `key`, `keyless`,
/// `ctlog`, `rfc3161timestamp` and `attestations` map onto `ImagePolicy`, so the gate adds no verification rule of
/// its own. An authority passes when every requirement passes; a requirement passes when one of its alternatives
/// (one per keyless identity) does.
struct AuthorityCheck: Sendable {
    /// One thing the authority demands (a signature, or an attestation of one predicate type).
    struct Requirement: Sendable {
        let label: String
        /// Indexes into the gate's verifiers; any one passing satisfies the requirement.
        let alternatives: [Int]
    }

    let authority: PolicyAuthority
    /// Nil for `static` authorities.
    let requirements: [Requirement]
    /// The requirement in words, for reports.
    let description: String

    /// Builds the checks of one authority, appending the verifiers it needs to `verifiers`.
    static func make(_ authority: PolicyAuthority, policies: PolicySet, defaultRoot: () throws -> TrustedRoot,
                     source: any ContentSource, verifiers: inout [ImageVerifier]) throws(GateError) -> AuthorityCheck {
        let where_ = "\(authority.location) (authority \(authority.name))"
        func root(_ name: String?) throws(GateError) -> TrustedRoot {
            if let name {
                guard let root = policies.trustRoots[name] else {
                    throw GateError(.policyUnusable, "\(where_): no TrustRoot named \(name)")
                }
                return root.trustedRoot
            }
            do { return try defaultRoot() } catch {
                throw GateError(.policyUnusable, "\(where_): the trusted root cannot be read: \(error)")
            }
        }
        if authority.timestampTrustRoot != nil {
            // Refused rather than weakened: the verifier's policy cannot yet demand an RFC 3161 timestamp.
            throw GateError(.policyUnusable, "\(where_): rfc3161timestamp cannot be enforced by this version; remove it or keep this policy for the cluster only")
        }
        var alternatives: [(signer: CosignVerificationPolicy.Signer, chain: [Certificate]?, requireSCT: Bool, label: String)] = []
        var trustedRoot: TrustedRoot?
        switch authority.evidence {
        case .staticAction(let pass, let message):
            return AuthorityCheck(authority: authority, requirements: [],
                                  description: "static \(pass ? "pass" : "fail")\(message.map { ": \($0)" } ?? "")")
        case .key(let key, _):
            alternatives = [(.keys([key]), nil, false, "key \(CosignVerifier.keyID(key).prefix(16))…")]
            if authority.requiresTransparencyLog { trustedRoot = try root(authority.transparencyLog?.trustRootRef) }
        case .keyless(let keyless):
            for identity in keyless.identities {
                alternatives.append((.certificate(identity: identity.subject, issuer: identity.issuer, extensions: [:]),
                                     keyless.certificateChain, !keyless.insecureIgnoreSCT && keyless.certificateChain == nil,
                                     "identity \(identity.subject) issuer \(identity.issuer)"))
            }
            trustedRoot = try root(keyless.trustRootRef ?? authority.transparencyLog?.trustRootRef)
        }
        let tlog = authority.requiresTransparencyLog
        let modes: [(String, ImagePolicy.Mode)] = authority.attestations.isEmpty
            ? [("signature", .signatures)]
            : authority.attestations.map { attestation in
                let uri = ImagePolicy.predicateTypeURI(attestation.predicateType)
                return ("attestation \(attestation.name) (\(uri))", .attestations(predicateType: uri))
            }
        var requirements: [Requirement] = []
        for (label, mode) in modes {
            var indexes: [Int] = []
            for alternative in alternatives {
                let cosign = CosignVerificationPolicy(signer: alternative.signer, requireTransparencyLog: tlog,
                                                      requireSCT: alternative.requireSCT,
                                                      certificateChain: alternative.chain)
                do {
                    verifiers.append(try ImageVerifier(source: source, policy: ImagePolicy(cosign: cosign, mode: mode, trustedRoot: trustedRoot)))
                } catch {
                    throw GateError(.policyUnusable, "\(where_): \(error)")
                }
                indexes.append(verifiers.count - 1)
            }
            requirements.append(Requirement(label: label, alternatives: indexes))
        }
        let who = alternatives.map(\.label).joined(separator: " or ")
        let what = modes.map(\.0).joined(separator: " and ")
        return AuthorityCheck(authority: authority, requirements: requirements,
                              description: "\(what) by \(who)\(tlog ? ", with a transparency-log entry" : "")")
    }

    /// The outcome of this authority from the verdicts of the gate's verifiers (by index).
    func outcome(_ verdicts: [Int: SubjectVerdict]) -> GateAuthorityOutcome {
        if case .staticAction(let pass, let message) = authority.evidence {
            return GateAuthorityOutcome(name: authority.name, requirement: description, decision: pass ? .pass : .fail,
                                        reasons: pass ? [] : ["static_fail"],
                                        message: pass ? "static pass" : (message ?? "the policy's static action is fail"),
                                        verdicts: [])
        }
        var decisions: [Decision] = []
        var reasons: [String] = []
        var messages: [String] = []
        var used: [SubjectVerdict] = []
        for requirement in requirements {
            let results = requirement.alternatives.compactMap { verdicts[$0] }
            used += results
            if let passed = results.first(where: { $0.decision == .pass }) {
                decisions.append(.pass)
                messages.append("\(requirement.label) verified" + Self.evidenceSummary(passed))
            } else {
                let decision: Decision = results.contains { $0.decision == .indeterminate } || results.isEmpty ? .indeterminate : .fail
                decisions.append(decision)
                reasons += results.flatMap { $0.reasons.map(\.rawValue) }
                let why = results.first.map { $0.messages.first ?? $0.checks.first { !$0.passed }?.detail ?? $0.reasons.map(\.rawValue).joined(separator: ", ") } ?? "not verified"
                messages.append("\(requirement.label): \(why)")
            }
        }
        var unique: [String] = []
        for reason in reasons where !unique.contains(reason) { unique.append(reason) }
        return GateAuthorityOutcome(name: authority.name, requirement: description, decision: Decision.combining(decisions),
                                    reasons: unique, message: messages.joined(separator: "; "), verdicts: used)
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
