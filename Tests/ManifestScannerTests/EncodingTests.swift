import Foundation
import Testing
@testable import ManifestScanner

@Test func jsonFollowsTheContract() throws {
    let report = try Fixtures.scan("cases/malformed-digests.yaml", "negative/tar-symlink.tgz")
    let json = report.json()
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    #expect(object["schemaVersion"] as? Int == 1)
    let findings = try #require(object["findings"] as? [[String: Any]])
    #expect(findings.count == report.findings.count)
    for f in findings {
        for key in ["file", "line", "column", "yamlPath", "image", "reference", "status", "pinned"] {
            #expect(f.keys.contains(key), "finding lacks \(key)")
        }
        #expect(PinStatus(rawValue: f["status"] as? String ?? "") != nil)
    }
    let summary = try #require(object["summary"] as? [String: Any])
    #expect(summary["findings"] as? Int == report.findings.count)
    #expect(summary["passed"] as? Bool == false)
    let byStatus = try #require(summary["byStatus"] as? [String: Int])
    #expect(byStatus["placeholder-digest"] == 3)
    #expect(byStatus["error"] == 3)
}

@Test func sarifIsValid210() throws {
    let report = try Fixtures.scan("cases/malformed-digests.yaml", "negative/tar-traversal.tgz")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(report.sarif().utf8)) as? [String: Any])
    #expect(object["version"] as? String == "2.1.0")
    let run = try #require((object["runs"] as? [[String: Any]])?.first)
    let driver = try #require((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
    let rules = try #require(driver["rules"] as? [[String: Any]])
    let results = try #require(run["results"] as? [[String: Any]])
    #expect(results.count == report.findings.filter { !$0.pinned }.count)
    for r in results {
        let index = try #require(r["ruleIndex"] as? Int)
        #expect(rules[index]["id"] as? String == r["ruleId"] as? String)
        let location = try #require((r["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
        let uri = try #require((location["artifactLocation"] as? [String: Any])?["uri"] as? String)
        #expect(!uri.contains("!"), "code scanning needs a real file: archive entries point at the archive")
        let line = try #require((location["region"] as? [String: Any])?["startLine"] as? Int)
        #expect(line >= 1)
        #expect(["error", "warning"].contains(r["level"] as? String ?? ""))
    }
}

@Test func textGroupsByFileWithSummary() throws {
    let report = try Fixtures.scan("pinned/pinned-only.yaml", "cases/kustomization.yaml")
    let text = report.text()
    #expect(text.contains("pinned-only.yaml:11: [Deployment/pinned] spec.template.spec.containers[0].image: "))
    #expect(text.contains("— pinned"))
    #expect(text.contains("4 image findings in 2 files: 2 pinned, 1 tag, 1 inherited"))
    #expect(text.contains("FAIL: 2 findings not pinned"))
    let pass = try Fixtures.scan("pinned/pinned-only.yaml").text()
    #expect(pass.hasSuffix("PASS: every image is pinned by digest\n"))
}

@Test func failOnChoosesStatuses() throws {
    let report = try Fixtures.scan("cases/kustomization.yaml")
    #expect(report.exitStatus() == 1)
    #expect(report.exitStatus(failOn: [.malformedDigest]) == 0)
    #expect(report.exitStatus(failOn: [.inherited]) == 1)
    #expect(report.exitStatus(failOn: []) == 0)
}

@Test func emptyScanSaysSo() {
    let report = ScanReport(findings: [], filesScanned: 1, bytesScanned: 10)
    #expect(report.text().hasSuffix("0 image findings in 1 file\nPASS: no image references found\n"))
    #expect(report.exitStatus() == 0)
}
