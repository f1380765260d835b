import Foundation
import TestSupport
import Testing

/// End-to-end tests of `verify-image scan`: run the built binary, assert output and exit status.
struct ScanCLITests {
    static let scanData = PackagePaths.testdata("scan")

    static func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]) async throws
        -> (status: Int32, out: String, err: String) {
        let run = try await VerifyImageCLI.run(arguments, stdin: stdin, environment: environment)
        return (run.status, run.out, run.err)
    }

    @Test func pinnedOnlyExitsZero() async throws {
        let r = try await Self.run(["scan", "testdata/scan/pinned/pinned-only.yaml"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("testdata/scan/pinned/pinned-only.yaml:11: [Deployment/pinned] spec.template.spec.containers[0].image: ghcr.io/example/app:1.0@sha256:0bc88eb15f9e7f84e8e56c14fa5735aaa488b840983f87bd79b1054190e660de — pinned"))
        #expect(r.out.hasSuffix("PASS: every image is pinned by digest\n"))
        #expect(r.err.isEmpty, "no progress line when stderr is not a terminal")
    }

    @Test func corpusFailsWithOne() async throws {
        let r = try await Self.run(["scan", "testdata/scan/corpus"])
        #expect(r.status == 1)
        #expect(r.out.contains("testdata/scan/corpus/manifests/kubernetes_website@02067cca__content__en__examples__application__job__cronjob.yaml:13: [CronJob/hello] spec.jobTemplate.spec.template.spec.containers[0].image: busybox — implicit-latest"))
        #expect(r.out.contains("testdata/scan/corpus/tgz/nginx-22.1.1.tgz!nginx/values.yaml:86: image: docker.io/bitnami/nginx:1.29.1-debian-12-r0 — tag"))
        #expect(r.out.contains("FAIL: "))
    }

    @Test func jsonOutput() async throws {
        let r = try await Self.run(["scan", "--output", "json", "testdata/scan/cases/kustomization.yaml"])
        #expect(r.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect(object["schemaVersion"] as? Int == 1)
        let findings = try #require(object["findings"] as? [[String: Any]])
        #expect(findings.map { $0["status"] as? String } == ["pinned", "tag", "inherited"])
        #expect(findings.map { $0["line"] as? Int } == [7, 9, 12])
        #expect(findings.first?["reference"] as? String
            == "docker.io/library/nginx@sha256:0bc88eb15f9e7f84e8e56c14fa5735aaa488b840983f87bd79b1054190e660de")
        #expect(findings.first?["pinned"] as? Bool == true)
        #expect(findings.last?["reference"] is NSNull)
    }

    @Test func sarifOutput() async throws {
        let r = try await Self.run(["scan", "--output", "sarif", "testdata/scan/cases/malformed-digests.yaml"])
        #expect(r.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect(object["version"] as? String == "2.1.0")
        let results = try #require((object["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]])
        #expect(results.count == 14, "17 images, 3 pinned")
        #expect(Set(results.compactMap { $0["ruleId"] as? String }).contains("image-placeholder-digest"))
    }

    @Test func failOnSelectsStatuses() async throws {
        let file = "testdata/scan/cases/kustomization.yaml"
        #expect(try await Self.run(["scan", "--fail-on", "malformed-digest,placeholder-digest", file]).status == 0)
        #expect(try await Self.run(["scan", "--fail-on", "inherited", file]).status == 1)
        #expect(try await Self.run(["scan", "--fail-on", "none", file]).status == 0)
        let bad = try await Self.run(["scan", "--fail-on", "tags", file])
        #expect(bad.status == 64)
        #expect(bad.err.contains("unknown status tags"))
    }

    @Test func stdin() async throws {
        let yaml = "image: nginx@sha256:0bc88eb15f9e7f84e8e56c14fa5735aaa488b840983f87bd79b1054190e660de\n"
        let r = try await Self.run(["scan", "-"], stdin: Data(yaml.utf8))
        #expect(r.status == 0)
        #expect(r.out.contains("-:1: image: nginx@sha256:"))
        let archive = try Data(contentsOf: Self.scanData.appendingPathComponent("cases/nested-image.tgz"))
        let a = try await Self.run(["scan", "--output", "json", "-"], stdin: archive)
        #expect(a.status == 1)
        #expect(a.out.contains("\"file\":\"-!outer/charts/inner-0.1.0.tgz!inner/values.yaml\""))
    }

    @Test func usageErrorsExit64() async throws {
        let missing = try await Self.run(["scan", "testdata/scan/does-not-exist.yaml"])
        #expect(missing.status == 64)
        #expect(missing.err.contains("no such file or folder: testdata/scan/does-not-exist.yaml"))
        #expect(missing.out.isEmpty)
        #expect(try await Self.run(["scan"]).status == 64)
        let format = try await Self.run(["scan", "--output", "xml", "testdata/scan/pinned"])
        #expect(format.status == 64)
        #expect(format.err.contains("--output must be text, json or sarif"))
    }

    @Test func hostileInputsAreReportedNotFatal() async throws {
        let r = try await Self.run(["scan", "--output", "json", "testdata/scan/negative"])
        #expect(r.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let findings = try #require(object["findings"] as? [[String: Any]])
        let codes = Set(findings.compactMap { $0["errorCode"] as? String })
        #expect(codes == ["yaml_node_limit", "yaml_alias_in_key", "yaml_depth_limit", "decompression_limit",
                          "tar_unsafe_path", "tar_link"])
    }

    @Test func yamsEnvironmentCannotCorruptTheOutput() async throws {
        // Yams prints a line to stdout when YAMS_DEFAULT_ENCODING is set and no encoding is passed; the scanner
        // always passes UTF-8, so the JSON stays valid.
        let r = try await Self.run(["scan", "--output", "json", "testdata/scan/pinned"],
                             environment: ["YAMS_DEFAULT_ENCODING": "utf16"])
        #expect(r.status == 0)
        #expect(r.out.hasPrefix("{\"schemaVersion\":1,"))
        #expect((try? JSONSerialization.jsonObject(with: Data(r.out.utf8))) != nil)
    }
}
