import Foundation
import Testing
@testable import ManifestScanner

/// Helm's values merge (cases/subchart/ and cases/subchart.tgz, made by scripts/make-scan-fixtures.py): the parent
/// chart's `redis:` values and `global:` override the redis subchart's own values before its images are classified.
@Suite struct SubchartValuesTests {
    static let hex = "0bc88eb15f9e7f84e8e56c14fa5735aaa488b840983f87bd79b1054190e660de"

    /// The subchart's findings as `yamlPath status image line`.
    static func subchartFindings(_ relative: String, file suffix: String) throws -> [String] {
        let report = try Fixtures.scan(relative)
        return Fixtures.findings(report, file: suffix).map { "\($0.yamlPath) \($0.status.rawValue) \($0.image) \($0.line)" }
    }

    @Test func parentValuesOverrideTheSubchartInAFolder() throws {
        let got = try Self.subchartFindings("cases/subchart", file: "charts/redis/values.yaml")
        #expect(got == [
            // tag and digest from the parent's `redis.image`, registry from the parent's `global.imageRegistry`
            "image pinned registry.example.com/bitnami/redis:7.2.4@sha256:\(Self.hex) 1",
            // untouched by the parent: as the subchart says
            "sidecar.image tag docker.io/bitnami/sidecar:1.0 7",
            // `redis.exporter.image: ~` deletes the subchart's exporter image; `redis.extra.image` only exists in the parent
            "extra.image tag docker.io/bitnami/os-shell:12 0",
        ])
        let report = try Fixtures.scan("cases/subchart")
        let image = try #require(Fixtures.findings(report, file: "charts/redis/values.yaml").first)
        #expect(image.overriddenBy?.hasSuffix("cases/subchart/values.yaml") == true)
        #expect(image.note?.contains("overridden by the parent chart's values") == true)
        #expect(image.pinSite == nil)
        // The sidecar keeps its own place, so pin can still rewrite it in the subchart's file.
        #expect(Fixtures.findings(report, file: "charts/redis/values.yaml")[1].pinSite != nil)
    }

    @Test func parentValuesOverrideASubchartArchiveInsideAChartArchive() throws {
        let got = try Self.subchartFindings("cases/subchart.tgz", file: "umbrella/charts/redis-1.0.0.tgz!redis/values.yaml")
        #expect(got == [
            "image pinned registry.example.com/bitnami/redis:7.2.4@sha256:\(Self.hex) 1",
            "sidecar.image tag docker.io/bitnami/sidecar:1.0 7",
            "extra.image tag docker.io/bitnami/os-shell:12 0",
        ])
    }

    @Test func withoutItsParentASubchartIsScannedAsItIs() throws {
        let got = try Self.subchartFindings("cases/subchart/charts/redis/values.yaml", file: "values.yaml")
        // The parent's values are found on disk next to the charts/ folder even when only the subchart is scanned.
        #expect(got.first?.hasPrefix("image pinned") == true)
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("cases/subchart/charts/redis/values.yaml")))
        let alone = ManifestScanner().scan(data: data, name: "values.yaml")
        #expect(alone.map(\.status) == [.tag, .tag, .tag])
    }

    @Test(arguments: [
        ("p/charts/s/values.yaml", "p/values.yaml", "s"),
        ("a.tgz!p/charts/s/values.yaml", "a.tgz!p/values.yaml", "s"),
        ("a.tgz!p/charts/s-1.0.tgz!s/values.yaml", "a.tgz!p/values.yaml", "s"),
    ])
    func parentOfASubchartValuesFile(name: String, values: String, subchart: String) {
        let parent = SubchartValues.parent(of: name)
        #expect(parent?.values == values && parent?.subchart == subchart)
    }

    @Test func notSubchartValues() {
        #expect(SubchartValues.parent(of: "p/values.yaml") == nil)
        #expect(SubchartValues.parent(of: "p/charts/s/templates/values.yaml") == nil)
        #expect(SubchartValues.parent(of: "a.tgz!p/values.yaml") == nil)
    }
}
