import Foundation
import Testing
@testable import ImageGate

@Test func scanVerifyJoinsVerdictsToPinnedFindings() async throws {
    let file = packageRoot.appendingPathComponent("testdata/scan/verify/deployment.yaml").path
    let findings = try ManifestScanner().scan(paths: [file]).findings
    #expect(findings.count == 4)
    let verifier = try ImageVerifier(source: try OCILayoutSource(path: imagesDir.appendingPathComponent("layouts/app-v1").path),
                                     policy: try keyPolicy())
    let joined = await verifier.verify(findings: findings, at: Date())
    let byPath = Dictionary(uniqueKeysWithValues: joined.map { ($0.yamlPath, $0) })
    #expect(byPath["spec.template.spec.containers[0].image"]?.verification?.decision == "pass")
    #expect(byPath["spec.template.spec.containers[1].image"]?.verification?.decision == "pass")
    #expect(byPath["spec.template.spec.initContainers[0].image"]?.verification?.decision == "fail")
    #expect(byPath["spec.template.spec.initContainers[0].image"]?.verification?.reasons == ["image_not_found"])
    #expect(byPath["spec.template.spec.containers[2].image"]?.verification == nil)   // a tag: not verified
    var tally = ScanTally()
    tally.add(joined)
    #expect(tally.verified == 2)
    #expect(tally.verificationFailed == 1)
    #expect(tally.exitStatus(failOn: []) == 1)
    // JSON carries the verdict.
    var json = ""
    let writer = ScanReportWriter(format: .json, failOn: []) { json += $0 }
    writer.write(joined)
    writer.finish(tally)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    let first = try #require((object["findings"] as? [[String: Any]])?.first { ($0["yamlPath"] as? String) == "spec.template.spec.containers[0].image" })
    #expect((first["verification"] as? [String: Any])?["decision"] as? String == "pass")
    #expect(((object["summary"] as? [String: Any])?["verification"] as? [String: Int])?["fail"] == 1)
}
