import Foundation
import Testing
@testable import GateVerdict

@Test(arguments: [
    ([Decision](), Decision.indeterminate),
    ([.pass], .pass),
    ([.pass, .pass], .pass),
    ([.pass, .indeterminate], .indeterminate),
    ([.indeterminate, .fail, .pass], .fail),
    ([.fail], .fail),
])
func decisionsCombineFailClosed(_ decisions: [Decision], _ expected: Decision) {
    #expect(Decision.combining(decisions) == expected)
}

@Test(arguments: [(Decision.pass, Int32(0)), (.fail, 1), (.indeterminate, 2)])
func exitStatusFollowsDecision(_ decision: Decision, _ status: Int32) {
    #expect(ExitStatus(decision).rawValue == status)
}

@Test func reasonCodesMapToDecisions() {
    #expect(ReasonCode.registryRateLimited.decision == .indeterminate)
    #expect(ReasonCode.deadlineExceeded.decision == .indeterminate)
    #expect(ReasonCode.noMatchingSignature.decision == .fail)
    #expect(ReasonCode.notDigestPinned.rawValue == "not_digest_pinned")
}

@Test func verdictJSONFollowsTheContract() throws {
    var signature = SignatureReport(kind: "signature", source: "tag sha256-abc.sig", verified: true,
                                    checks: [.passed("signature", "The signature was verified against the key")])
    signature.keyID = "3f2a"
    signature.tlogIndex = 42
    let subject = SubjectVerdict(reference: "example.com/app@sha256:abc", digest: "sha256:abc", decision: .pass,
                                 signatures: [signature])
    let verdict = Verdict(subjects: [subject])
    let json = try ContractJSON.encode(verdict)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    #expect(object["schemaVersion"] as? Int == 1)
    #expect(object["decision"] as? String == "pass")
    let subjects = try #require(object["subjects"] as? [[String: Any]])
    #expect(subjects.first?["reference"] as? String == "example.com/app@sha256:abc")
    #expect(subjects.first?["reasons"] as? [String] == [])
    let signatures = try #require(subjects.first?["signatures"] as? [[String: Any]])
    #expect(signatures.first?["tlogIndex"] as? Int == 42)
    // Round trip.
    let decoded = try JSONDecoder().decode(Verdict.self, from: Data(json.utf8))
    #expect(decoded == verdict)
}

@Test func failedVerdictTextNamesReasons() {
    var candidate = SignatureReport(kind: "signature", source: "tag sha256-abc.sig")
    candidate.checks = [.failed("signature", .keyMismatch, "made by key 3f2a…, not the key given")]
    let subject = SubjectVerdict(reference: "app@sha256:abc", decision: .fail, reasons: [.noMatchingSignature],
                                 messages: ["1 signature found; it was made by key 3f2a…, not the key given"],
                                 signatures: [candidate])
    let text = Verdict(subjects: [subject]).renderText()
    #expect(text.contains("Verification FAILED for app@sha256:abc"))
    #expect(text.contains("[key_mismatch]"))
    #expect(text.contains("no_matching_signature"))
}
