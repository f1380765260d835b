import Foundation
import Testing
@testable import ManifestScanner

/// Hand-written fixtures in testdata/scan/cases: one per convention, each expected status listed here.
@Test func statusesOfMalformedDigestsFixture() throws {
    let report = try Fixtures.scan("cases/malformed-digests.yaml")
    let byLine = Dictionary(uniqueKeysWithValues: report.findings.map { ($0.line, $0.status) })
    let expected: [Int: PinStatus] = [
        9: .pinned, 11: .pinned, 13: .tag, 15: .implicitLatest, 17: .malformedDigest, 19: .malformedDigest,
        21: .malformedDigest, 23: .malformedDigest, 25: .malformedDigest, 27: .placeholderDigest,
        29: .placeholderDigest, 31: .placeholderDigest, 33: .templated, 35: .error, 37: .pinned, 40: .tag,
        43: .implicitLatest,
    ]
    #expect(byLine == expected)
    #expect(!report.findings.contains { $0.yamlPath.hasPrefix("status") }, "status.containerStatuses is runtime state")
    #expect(report.findings.first { $0.line == 11 }?.note?.contains("tag 1.25 kept") == true)
    #expect(report.findings.first { $0.line == 43 }?.yamlPath == "spec.ephemeralContainers[0].image")
}

@Test func workloadKinds() throws {
    let report = try Fixtures.scan("cases/kinds.yaml")
    let got = report.findings.map { "\($0.document) \($0.object ?? "-") \($0.yamlPath) \($0.status.rawValue)" }
    #expect(got == [
        "0 Deployment/in-list items[0].spec.template.spec.containers[0].image tag",
        "1 PodTemplate/tmpl template.spec.containers[0].image tag",
        "2 CronJob/nightly spec.jobTemplate.spec.template.spec.containers[0].image pinned",
        "3 Service/hello spec.template.spec.containers[0].image implicit-latest",
        "4 Workflow/wf spec.templates[0].container.image tag",
        "5 DaemonSet/json-ds spec.template.spec.containers[0].image tag",
        "6 Deployment/operator spec.template.spec.containers[0].image tag",
        // images handed to a controller as arguments; the other arguments are not images.
        "6 Deployment/operator spec.template.spec.containers[0].args[1] tag",
        "6 Deployment/operator spec.template.spec.containers[0].args[2] pinned",
    ])
}

@Test func helmValuesConventions() throws {
    let report = try Fixtures.scan("cases/values-conventions.yaml")
    let got = report.findings.map { "\($0.yamlPath) \($0.status.rawValue) \($0.reference ?? "-")" }
    let d1 = "0bc88eb15f9e7f84e8e56c14fa5735aaa488b840983f87bd79b1054190e660de"
    let d2 = "64d8c73dca984af206adf9d6d7e46aa550362b1d7a01f3a0a91b20cc67868660"
    #expect(got == [
        "global.image tag quay.io/example/base",
        // global.imageRegistry replaces `registry`; Bitnami's full digest.
        "bitnami.image pinned mirror.example.com/bitnami/nginx@sha256:\(d1)",
        // bare-hex `sha` gets `sha256:` as the template adds it.
        "prometheus.image pinned mirror.example.com/prometheus/node-exporter@sha256:\(d2)",
        "component.image inherited -",
        "stringWithSibling.image tag ghcr.io/oliver006/redis_exporter:v1.75.0",
        // an unquoted 0.10 is read as its source text, not the float 0.1.
        "floatTag.image tag gcr.io/heptio-images/ks-guestbook-demo:0.10",
        "merged.image tag docker.io/example/merged:3.1",
        "extraImages[0] tag docker.io/library/busybox:1.36",
        "extraImages[1] tag docker.io/example/listed:2",
        "sidecars[0].image tag docker.io/envoyproxy/envoy:v1.30.0",
        "shaWithPrefix.image malformed-digest -",
    ])
    #expect(report.findings[3].note?.contains("global.image (quay.io/example/base)") == true)
}

@Test func kustomizeImages() throws {
    let report = try Fixtures.scan("cases/kustomization.yaml")
    let got = report.findings.map { "\($0.yamlPath) \($0.status.rawValue) \($0.reference ?? "-")" }
    #expect(got == [
        "images[0] pinned docker.io/library/nginx@sha256:0bc88eb15f9e7f84e8e56c14fa5735aaa488b840983f87bd79b1054190e660de",
        "images[1] tag registry.example.com/app:2.1",
        "images[2] inherited -",
    ])
}

@Test func chartFolderUsesAppVersionAndAnnotations() throws {
    let report = try Fixtures.scan("cases/chart")
    let got = report.findings.map { "\(($0.file as NSString).lastPathComponent):\($0.line) \($0.yamlPath) \($0.status.rawValue)" }
    #expect(got == [
        "Chart.yaml:8 annotations[\"artifacthub.io/images\"][0].image pinned",
        "Chart.yaml:10 annotations[\"artifacthub.io/images\"][1].image tag",
        "values.yaml:1 image tag",
    ])
    #expect(report.findings.last?.note?.contains("4.5.6") == true, "the chart's appVersion is named")
}

@Test func nestedChartArchive() throws {
    let report = try Fixtures.scan("cases/nested-image.tgz")
    let files = report.findings.map { String($0.file.split(separator: "/", maxSplits: 0).last ?? "") }
    #expect(report.findings.count == 2, "\(files)")
    #expect(report.findings.first?.file.hasSuffix("cases/nested-image.tgz!outer/values.yaml") == true)
    #expect(report.findings.last?.file.hasSuffix("nested-image.tgz!outer/charts/inner-0.1.0.tgz!inner/values.yaml") == true)
    #expect(report.findings.last?.status == .pinned)
}

/// The corpus archives (synthesized by the corpus author from real chart folders): each finds the images of its
/// embedded values.yaml, byte-identical to the corpus copy, under `chart.tgz!path`.
@Test(arguments: [
    ("argo-rollouts-2.41.0.tgz", "argo-rollouts/values.yaml", "argoproj_argo-helm__charts__argo-rollouts__values.yaml"),
    ("nginx-22.1.1.tgz", "nginx/values.yaml", "bitnami_charts__bitnami__nginx__values.yaml"),
    ("nginx-22.1.1-nested-dep-tgz-variant.tgz", "nginx/values.yaml", "bitnami_charts__bitnami__nginx__values.yaml"),
    ("prometheus-node-exporter-4.56.1.tgz", "prometheus-node-exporter/values.yaml",
     "prometheus-community_helm-charts__charts__prometheus-node-exporter__values.yaml"),
])
func corpusArchive(_ archive: String, _ entry: String, _ copy: String) throws {
    let report = try ManifestScanner().scan(paths: [Fixtures.corpus.appendingPathComponent("tgz/\(archive)").path])
    #expect(!report.findings.contains { $0.status == .error })
    let inArchive = report.findings.filter { $0.file.hasSuffix("\(archive)!\(entry)") }
    let plain = try ManifestScanner().scan(paths: [Fixtures.corpus.appendingPathComponent("values/\(copy)").path]).findings
    #expect(inArchive.map(\.yamlPath) == plain.map(\.yamlPath))
    #expect(inArchive.map(\.line) == plain.map(\.line))
    #expect(inArchive.map(\.status) == plain.map(\.status))
    #expect(inArchive.allSatisfy { !$0.pinned })
    // Templates are Go templates, not YAML: their image lines are reported as templated, never as errors.
    #expect(report.findings.filter { $0.file.contains("/templates/") }.allSatisfy { $0.status == .templated })
}

@Test func nestedDependencyArchiveIsOpened() throws {
    // The variant ships charts/common-2.31.10.tgz; scanning it must read the nested archive's files.
    let plain = try ManifestScanner().scan(paths: [Fixtures.corpus.appendingPathComponent("tgz/nginx-22.1.1.tgz").path])
    let nested = try ManifestScanner().scan(paths: [
        Fixtures.corpus.appendingPathComponent("tgz/nginx-22.1.1-nested-dep-tgz-variant.tgz").path])
    #expect(nested.filesScanned == plain.filesScanned + 1, "the nested .tgz is one more file, its entries the same")
    #expect(nested.findings.count == plain.findings.count)
}
