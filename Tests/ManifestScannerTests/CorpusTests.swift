import Foundation
import OCIImage
import Testing
@testable import ManifestScanner

/// One row of a hand-checked table in corpus/EXPECTED.md.
struct ExpectedRow: Sendable {
    var document: Int
    var object: String?
    var path: String
    var reference: String
    var verdict: String
}

/// A hand-checked file of corpus/EXPECTED.md and its rows.
struct ExpectedFile: CustomTestStringConvertible, Sendable {
    var name: String
    var folder: String
    var rows: [ExpectedRow]
    var templatedOnly: Bool
    var testDescription: String { name }
}

/// Reads every HAND-CHECKED section of corpus/EXPECTED.md.
func handCheckedFiles() -> [ExpectedFile] {
    guard let text = try? String(contentsOf: Fixtures.corpus.appendingPathComponent("EXPECTED.md"), encoding: .utf8)
    else { return [] }
    var result: [ExpectedFile] = []
    for fullSection in text.components(separatedBy: "\n### `").dropFirst() {
        // A section ends at the next heading of any level.
        let section = fullSection.components(separatedBy: "\n## ").first ?? fullSection
        guard let nameEnd = section.firstIndex(of: "`") else { continue }
        let name = String(section[..<nameEnd])
        guard section.contains("HAND-CHECKED") else { continue }
        let folder = ["values", "manifests", "other"].first {
            FileManager.default.fileExists(atPath: Fixtures.corpus.appendingPathComponent("\($0)/\(name)").path)
        } ?? "missing"
        var rows: [ExpectedRow] = []
        for line in section.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard cells.count >= 5 else { continue }
            var path = cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            var document = 0
            var object: String? = nil
            // `doc[3](StatefulSet/cockroachdb).spec…`
            if path.hasPrefix("doc["), let close = path.firstIndex(of: "]"), let paren = path.firstIndex(of: ")") {
                document = Int(path[path.index(path.startIndex, offsetBy: 4)..<close]) ?? -1
                let open = path.index(after: close)
                object = String(path[path.index(after: open)..<paren])
                path = String(path[path.index(paren, offsetBy: 2)...])
            }
            rows.append(ExpectedRow(document: document, object: object, path: path,
                                    reference: cells[2].trimmingCharacters(in: CharacterSet(charactersIn: "`")),
                                    verdict: cells[3]))
        }
        result.append(ExpectedFile(name: name, folder: folder, rows: rows,
                                   templatedOnly: section.contains("(no YAML-level inventory")))
    }
    return result
}

/// The status EXPECTED.md's verdict and reference imply.
func expectedStatus(_ row: ExpectedRow) -> PinStatus? {
    if row.verdict == "pinned" { return .pinned }
    if row.verdict.hasPrefix("inherits") { return .inherited }
    if row.verdict == "ignore" { return nil }
    if row.reference.hasSuffix(":<chart appVersion/default>") { return .tag }
    guard let ref = try? ImageReference(normalizing: row.reference) else { return .error }
    return ref.tag == nil ? .implicitLatest : .tag
}

/// The normalized docker reference EXPECTED.md's reference implies (name only when the chart default tag applies).
func expectedReference(_ row: ExpectedRow) -> String? {
    if row.reference.hasPrefix("(") { return nil }
    let suffix = ":<chart appVersion/default>"
    if row.reference.hasSuffix(suffix) {
        return try? ImageReference(normalizing: String(row.reference.dropLast(suffix.count))).name
    }
    return try? ImageReference.parseDockerReference(row.reference).string
}

/// Lines of every finding in the hand-checked files, verified by reading each line of the source file
/// (the line holds the `image:`-like key, or the `- name:` of a Kustomize images entry).
let handCheckedLines: [String: Int] = [
        "argoproj_argo-helm__charts__argo-cd__values.yaml|0|global.image": 59,
        "argoproj_argo-helm__charts__argo-cd__values.yaml|0|controller.image": 831,
        "argoproj_argo-helm__charts__argo-cd__values.yaml|0|dex.image": 1228,
        "argoproj_argo-helm__charts__argo-cd__values.yaml|0|dex.initImage": 1242,
        "argoproj_argo-helm__charts__argo-cd__values.yaml|0|redis.image": 1549,
        "argoproj_argo-helm__charts__argo-cd__values.yaml|0|redis.exporter.image": 1566,
        "argoproj_argo-helm__charts__argo-cd__values.yaml|0|redis-ha.image": 1845,
        "argoproj_argo-helm__charts__argo-cd__values.yaml|0|redis-ha.exporter.image": 1856,
        "argoproj_argo-helm__charts__argo-cd__values.yaml|0|redis-ha.haproxy.image": 1879,
        "argoproj_argo-helm__charts__argo-cd__values.yaml|0|redisSecretInit.image": 1958,
        "argoproj_argo-helm__charts__argo-cd__values.yaml|0|server.image": 2121,
        "argoproj_argo-helm__charts__argo-cd__values.yaml|0|server.extensions.image": 2163,
        "argoproj_argo-helm__charts__argo-cd__values.yaml|0|repoServer.image": 2994,
        "argoproj_argo-helm__charts__argo-cd__values.yaml|0|applicationSet.image": 3432,
        "argoproj_argo-helm__charts__argo-cd__values.yaml|0|notifications.image": 3932,
        "argoproj_argo-helm__charts__argo-cd__values.yaml|0|commitServer.image": 4502,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|global.image": 31,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.nats.versions[0].natsStreamingImage": 71,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.nats.versions[0].metricsExporterImage": 72,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.nats.versions[1].natsStreamingImage": 74,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.nats.versions[1].metricsExporterImage": 75,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[0].natsImage": 104,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[0].metricsExporterImage": 105,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[0].configReloaderImage": 106,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[1].natsImage": 109,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[1].metricsExporterImage": 110,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[1].configReloaderImage": 111,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[2].natsImage": 114,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[2].metricsExporterImage": 115,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[2].configReloaderImage": 116,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[3].natsImage": 119,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[3].metricsExporterImage": 120,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[3].configReloaderImage": 121,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[4].natsImage": 124,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[4].metricsExporterImage": 125,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[4].configReloaderImage": 126,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[5].natsImage": 129,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[5].metricsExporterImage": 130,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[5].configReloaderImage": 131,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[6].natsImage": 134,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[6].metricsExporterImage": 135,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[6].configReloaderImage": 136,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[7].natsImage": 139,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[7].metricsExporterImage": 140,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[7].configReloaderImage": 141,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[8].natsImage": 144,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[8].metricsExporterImage": 145,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|configs.jetstream.versions[8].configReloaderImage": 146,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|controller.image": 193,
        "argoproj_argo-helm__charts__argo-events__values.yaml|0|webhook.image": 358,
        "argoproj_argo-helm__charts__argo-workflows__values.yaml|0|crds.upgradeJob.image": 24,
        "argoproj_argo-helm__charts__argo-workflows__values.yaml|0|controller.image": 131,
        "argoproj_argo-helm__charts__argo-workflows__values.yaml|0|executor.image": 548,
        "argoproj_argo-helm__charts__argo-workflows__values.yaml|0|server.image": 574,
        "argoproj_argo-rollouts__examples__helm-blue-green__values.yaml|0|image": 7,
        "bitnami_charts__bitnami__jupyterhub__values.yaml|0|hub.image": 84,
        "bitnami_charts__bitnami__jupyterhub__values.yaml|0|proxy.image": 712,
        "bitnami_charts__bitnami__jupyterhub__values.yaml|0|singleuser.image": 1589,
        "bitnami_charts__bitnami__jupyterhub__values.yaml|0|auxiliaryImage": 1828,
        "bitnami_charts__bitnami__kube-prometheus__values.yaml|0|operator.image": 78,
        "bitnami_charts__bitnami__kube-prometheus__values.yaml|0|operator.prometheusConfigReloader.image": 545,
        "bitnami_charts__bitnami__kube-prometheus__values.yaml|0|prometheus.image": 638,
        "bitnami_charts__bitnami__kube-prometheus__values.yaml|0|prometheus.thanos.image": 1440,
        "bitnami_charts__bitnami__kube-prometheus__values.yaml|0|alertmanager.image": 1898,
        "bitnami_charts__bitnami__kube-prometheus__values.yaml|0|blackboxExporter.image": 2587,
        "bitnami_charts__bitnami__kube-prometheus__values.yaml|0|thanosRuler.image": 3372,
        "bitnami_charts__bitnami__minio__values.yaml|0|image": 78,
        "bitnami_charts__bitnami__minio__values.yaml|0|clientImage": 105,
        "bitnami_charts__bitnami__minio__values.yaml|0|defaultInitContainers.volumePermissions.image": 511,
        "bitnami_charts__bitnami__minio__values.yaml|0|console.image": 946,
        "bitnami_charts__bitnami__nginx__values.yaml|0|image": 86,
        "bitnami_charts__bitnami__nginx__values.yaml|0|cloneStaticSiteFromGit.image": 516,
        "bitnami_charts__bitnami__nginx__values.yaml|0|metrics.image": 989,
        "prometheus-community_helm-charts@f15adcdc__charts__kube-prometheus-stack__values.yaml|0|alertmanager.alertmanagerSpec.image": 397,
        "prometheus-community_helm-charts@f15adcdc__charts__kube-prometheus-stack__values.yaml|0|prometheusOperator.admissionWebhooks.patch.image": 1371,
        "prometheus-community_helm-charts@f15adcdc__charts__kube-prometheus-stack__values.yaml|0|prometheusOperator.image": 1579,
        "prometheus-community_helm-charts@f15adcdc__charts__kube-prometheus-stack__values.yaml|0|prometheusOperator.prometheusConfigReloaderImage": 1595,
        "prometheus-community_helm-charts@f15adcdc__charts__kube-prometheus-stack__values.yaml|0|prometheusOperator.thanosImage": 1610,
        "prometheus-community_helm-charts@f15adcdc__charts__kube-prometheus-stack__values.yaml|0|prometheus.prometheusSpec.image": 1963,
        "prometheus-community_helm-charts__charts__kube-prometheus-stack__values.yaml|0|crds.upgradeJob.image.busybox": 45,
        "prometheus-community_helm-charts__charts__kube-prometheus-stack__values.yaml|0|crds.upgradeJob.image.kubectl": 51,
        "prometheus-community_helm-charts__charts__kube-prometheus-stack__values.yaml|0|alertmanager.alertmanagerSpec.image": 1018,
        "prometheus-community_helm-charts__charts__kube-prometheus-stack__values.yaml|0|prometheusOperator.admissionWebhooks.deployment.image": 3010,
        "prometheus-community_helm-charts__charts__kube-prometheus-stack__values.yaml|0|prometheusOperator.admissionWebhooks.patch.image": 3129,
        "prometheus-community_helm-charts__charts__kube-prometheus-stack__values.yaml|0|prometheusOperator.image": 3523,
        "prometheus-community_helm-charts__charts__kube-prometheus-stack__values.yaml|0|prometheusOperator.prometheusConfigReloader.image": 3550,
        "prometheus-community_helm-charts__charts__kube-prometheus-stack__values.yaml|0|prometheusOperator.thanosImage": 3571,
        "prometheus-community_helm-charts__charts__kube-prometheus-stack__values.yaml|0|prometheus.prometheusSpec.image": 4344,
        "prometheus-community_helm-charts__charts__kube-prometheus-stack__values.yaml|0|thanosRuler.thanosRulerSpec.image": 5538,
        "prometheus-community_helm-charts__charts__prometheus-kafka-exporter__ci__ci-values.yaml|0|kafka.image": 8,
        "prometheus-community_helm-charts__charts__prometheus-node-exporter__values.yaml|0|image": 4,
        "prometheus-community_helm-charts__charts__prometheus-node-exporter__values.yaml|0|kubeRBACProxy.image": 47,
        "prometheus-community_helm-charts__charts__prometheus-node-exporter__values.yaml|0|permissionInitContainer.image": 551,
        "prometheus-community_helm-charts__charts__prometheus-operator-admission-webhook__values.yaml|0|jobs.image": 82,
        "prometheus-community_helm-charts__charts__prometheus-operator-admission-webhook__values.yaml|0|image": 236,
        "argoproj_argo-rollouts__docs__features__kustomize__example__kustomization.yaml|0|images[0]": 38,
        "argoproj_argo-rollouts__examples__analysis-templates.yaml|0|spec.metrics[0].provider.job.spec.template.spec.containers[0].image": 23,
        "argoproj_argo-rollouts__examples__analysis-templates.yaml|1|spec.metrics[0].provider.job.spec.template.spec.containers[0].image": 49,
        "argoproj_argo-rollouts__examples__experiment-with-analysis.yaml|0|spec.templates[0].template.spec.containers[0].image": 24,
        "argoproj_argo-rollouts__examples__experiment-with-analysis.yaml|0|spec.templates[1].template.spec.containers[0].image": 37,
        "argoproj_argo-rollouts__examples__helm-blue-green__templates__rollout.yaml|0|spec.template.spec.containers[*].image": 29,
        "argoproj_argo-rollouts__pkg__kubectl-argo-rollouts__info__testdata__canary__stable-pod1.yaml|0|spec.containers[0].image": 23,
        "kubernetes_examples@929f82b7__AI__vllm-deployment__vllm-deployment.yaml|0|spec.template.spec.containers[0].image": 22,
        "kubernetes_examples___archived__cockroachdb__cockroachdb-statefulset.yaml|3|spec.template.spec.initContainers[0].image": 101,
        "kubernetes_examples___archived__cockroachdb__cockroachdb-statefulset.yaml|3|spec.template.spec.containers[0].image": 128,
        "kubernetes_examples__web__guestbook__all-in-one__guestbook-all-in-one.yaml|1|spec.template.spec.containers[0].image": 38,
        "kubernetes_examples__web__guestbook__all-in-one__guestbook-all-in-one.yaml|3|spec.template.spec.containers[0].image": 82,
        "kubernetes_examples__web__guestbook__all-in-one__guestbook-all-in-one.yaml|5|spec.template.spec.containers[0].image": 135,
        "kubernetes_website@02067cca__content__en__examples__application__job__cronjob.yaml|0|spec.jobTemplate.spec.template.spec.containers[0].image": 13,
        "argoproj_argo-helm__.github__workflows__lint-and-test.yml|0|jobs.linter-artifacthub.container.image": 13,
        "kubernetes_ingress-nginx@0039cc19__charts__ingress-nginx__values.yaml.EXCERPT.yaml|0|controller.image": 7,
        "kubernetes_ingress-nginx@0039cc19__charts__ingress-nginx__values.yaml.EXCERPT.yaml|0|controller.admissionWebhooks.patch.image": 38,
        "kubernetes_ingress-nginx@0039cc19__charts__ingress-nginx__values.yaml.EXCERPT.yaml|0|defaultBackend.image": 55,]

@Test func corpusHasTwentyFiveHandCheckedFiles() {
    let files = handCheckedFiles()
    #expect(files.count == 25)
    #expect(files.allSatisfy { $0.folder != "missing" })
}

@Test(arguments: handCheckedFiles())
func handCheckedFileMatchesExpected(_ expected: ExpectedFile) throws {
    let path = Fixtures.corpus.appendingPathComponent("\(expected.folder)/\(expected.name)").path
    let report = try ManifestScanner().scan(paths: [path])
    let findings = report.findings
    if expected.templatedOnly {
        #expect(!findings.isEmpty)
        #expect(findings.allSatisfy { $0.status == .templated }, "a Helm template: only templated findings")
        return
    }
    let declared = expected.rows.filter { expectedStatus($0) != nil }
    #expect(findings.count == declared.count, "\(findings.map(\.yamlPath))")
    for row in expected.rows {
        let matches = findings.filter { $0.yamlPath == row.path && $0.document == row.document }
        guard let status = expectedStatus(row) else {
            // `ignore` rows (status.containerStatuses): nothing may be reported under that path.
            #expect(!findings.contains { $0.yamlPath.hasPrefix(row.path) }, "\(row.path) must be ignored")
            continue
        }
        guard let finding = matches.first, matches.count == 1 else {
            Issue.record("\(expected.name): expected one finding at doc \(row.document) \(row.path), got \(matches.count)")
            continue
        }
        #expect(finding.status == status, "\(row.path): \(finding.note ?? "")")
        #expect(finding.reference == expectedReference(row), "\(row.path)")
        #expect(finding.pinned == (row.verdict == "pinned"))
        if let object = row.object { #expect(finding.object == object) }
        let key = "\(expected.name)|\(row.document)|\(row.path)"
        #expect(finding.line == handCheckedLines[key], "\(key)")
        #expect(finding.column > 0)
    }
}

/// Every corpus file (hand-checked or draft) scans without an error finding, and the whole corpus has exactly the
/// pinned positives EXPECTED.md lists (vllm historical, ingress-nginx ×2, kube-prometheus-stack@f15adcdc, workflow).
@Test func wholeCorpusPinnedPositives() throws {
    let report = try ManifestScanner().scan(paths: [Fixtures.corpus.path])
    #expect(report.findings.filter { $0.status == .error }.isEmpty, "\(report.findings.filter { $0.status == .error })")
    let pinned = report.findings.filter(\.pinned).map { ($0.file as NSString).lastPathComponent }.sorted()
    #expect(pinned == [
        "argoproj_argo-helm__.github__workflows__lint-and-test.yml",
        "kubernetes_examples@929f82b7__AI__vllm-deployment__vllm-deployment.yaml",
        "kubernetes_ingress-nginx@0039cc19__charts__ingress-nginx__values.yaml.EXCERPT.yaml",
        "kubernetes_ingress-nginx@0039cc19__charts__ingress-nginx__values.yaml.EXCERPT.yaml",
        "prometheus-community_helm-charts@f15adcdc__charts__kube-prometheus-stack__values.yaml",
    ])
    #expect(report.exitStatus() == 1)
}

/// The 40 HEAD values files: EXPECTED.md's headline is 169 references (158 explicit + 11 inherited), 0 pinned.
@Test func headValuesHeadline() throws {
    let folder = Fixtures.corpus.appendingPathComponent("values")
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.contains("@") }
    #expect(names.count == 40)
    let report = try ManifestScanner().scan(paths: names.map { folder.appendingPathComponent($0).path })
    #expect(report.findings.filter(\.pinned).isEmpty)
    #expect(report.findings.filter { $0.status == .inherited }.count == 11)
    #expect(report.findings.count == 169)
}
