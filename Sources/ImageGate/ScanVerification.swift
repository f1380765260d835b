import Foundation
import GateVerdict
import ManifestScanner

extension ImageVerifier {
    /// `scan --verify`: verifies every pinned image among the findings (each distinct reference once) and joins the
    /// verdict to its findings. Findings that are not pinned are returned unchanged: they already fail the scan.
    public func verify(findings: [Finding], at time: Date, timeout: Duration? = nil) async -> [Finding] {
        var seen = Set<String>()
        let references = findings.compactMap { finding -> String? in
            guard finding.status == .pinned, let reference = finding.reference, seen.insert(reference).inserted else { return nil }
            return reference
        }
        guard !references.isEmpty else { return findings }
        let verdict = await verify(references, at: time, timeout: timeout)
        var byReference: [String: SubjectVerdict] = [:]
        for (reference, subject) in zip(references, verdict.subjects) { byReference[reference] = subject }
        return findings.map { finding in
            guard finding.status == .pinned, let reference = finding.reference, let subject = byReference[reference] else {
                return finding
            }
            var joined = finding
            let verified = subject.signatures.first { $0.verified }
            let message = subject.decision == .pass
                ? verified.map { "\($0.kind) verified (\($0.source))" }
                : subject.messages.first ?? subject.checks.first { !$0.passed }?.detail
            joined.verification = FindingVerification(decision: subject.decision.rawValue,
                                                      reasons: subject.reasons.map(\.rawValue), message: message)
            return joined
        }
    }
}
