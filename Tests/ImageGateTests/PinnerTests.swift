import Foundation
import Testing
@testable import ImageGate

/// An OCI layout built from the fixture layouts (real cosign/skopeo output) with extra tags: `1.27`, `v1`, `latest`
/// name the `bundled` image manifest, `3.19` the `multi` image index. Tags of a layout apply to every repository.
struct PinLayout {
    let path: String
    let image: String      // digest of the image manifest
    let index: String      // digest of the multi-platform index

    static func make() throws -> PinLayout {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("pin-layout-\(UUID().uuidString)")
        try fm.createDirectory(at: dir.appendingPathComponent("blobs/sha256"), withIntermediateDirectories: true)
        for source in ["bundled", "multi"] {
            let blobs = imagesDir.appendingPathComponent("layouts/\(source)/blobs/sha256")
            for name in try fm.contentsOfDirectory(atPath: blobs.path)
            where !fm.fileExists(atPath: dir.appendingPathComponent("blobs/sha256/\(name)").path) {
                try fm.copyItem(at: blobs.appendingPathComponent(name), to: dir.appendingPathComponent("blobs/sha256/\(name)"))
            }
        }
        func entries(_ source: String) throws -> [[String: Any]] {
            let data = try Data(contentsOf: imagesDir.appendingPathComponent("layouts/\(source)/index.json"))
            return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["manifests"] as? [[String: Any]] ?? []
        }
        let image = try #require(try entries("bundled").first { ($0["mediaType"] as? String)?.hasSuffix("manifest.v1+json") == true })
        let index = try #require(try entries("multi").first { ($0["mediaType"] as? String)?.hasSuffix("index.v1+json") == true })
        func tagged(_ entry: [String: Any], _ tag: String) -> [String: Any] {
            var e = entry
            e["annotations"] = ["org.opencontainers.image.ref.name": tag]
            return e
        }
        let manifests = [tagged(image, "1.27"), tagged(image, "v1"), tagged(image, "latest"), tagged(index, "3.19")]
        let json = try JSONSerialization.data(withJSONObject: ["schemaVersion": 2, "manifests": manifests])
        try json.write(to: dir.appendingPathComponent("index.json"))
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: dir.appendingPathComponent("oci-layout"))
        return PinLayout(path: dir.path, image: image["digest"] as! String, index: index["digest"] as! String)
    }
}

/// Writes files into a fresh folder and pins them against the layout.
struct PinFixture {
    let dir: URL
    let layout: PinLayout

    init(_ files: [String: String]) throws {
        layout = try PinLayout.make()
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("pin-\(UUID().uuidString)")
        for (name, text) in files {
            let url = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
    }

    var pinner: Pinner {
        get throws { Pinner(resolver: DigestResolver(source: try OCILayoutSource(path: layout.path))) }
    }

    func pin() async throws -> PinPlan {
        let pinner = try self.pinner
        return pinner.write(try await pinner.plan(paths: [dir.path]))
    }

    func text(_ name: String) throws -> String {
        String(decoding: try Data(contentsOf: dir.appendingPathComponent(name)), as: UTF8.self)
    }
}

@Suite struct PinnerTests {
    @Test func imageStringsGetTheDigestAppendedAndNothingElseMoves() async throws {
        let yaml = """
            # a comment that stays
            apiVersion: v1
            kind: Pod
            metadata: {name: demo}
            spec:
              containers:
                - name: web
                  image: nginx:1.27   # pinned by tag
                - name: quoted
                  image: "docker.io/library/nginx:1.27"
                - name: single
                  image: 'nginx:v1'
                - name: latest
                  image: busybox
                - name: operator
                  image: quay.io/demo/operator:v1
                  args: ["--sidecar-image=quay.io/demo/sidecar:v1", "--verbose"]
            """
        let fixture = try PinFixture(["pod.yaml": yaml])
        let plan = try await fixture.pin()
        let d = fixture.layout.image
        let expected = yaml
            .replacingOccurrences(of: "image: nginx:1.27 ", with: "image: nginx:1.27@\(d) ")
            .replacingOccurrences(of: "\"docker.io/library/nginx:1.27\"", with: "\"docker.io/library/nginx:1.27@\(d)\"")
            .replacingOccurrences(of: "'nginx:v1'", with: "'nginx:v1@\(d)'")
            .replacingOccurrences(of: "image: busybox", with: "image: busybox@\(d)")
            .replacingOccurrences(of: "operator:v1\n", with: "operator:v1@\(d)\n")
            .replacingOccurrences(of: "sidecar:v1\"", with: "sidecar:v1@\(d)\"")
        #expect(try fixture.text("pod.yaml") == expected)
        #expect(plan.exitStatus == 0)
        #expect(plan.results.count == 6 && plan.results.allSatisfy(\.pinned))
        // Idempotent: nothing left to pin, nothing written.
        let again = try await fixture.pin()
        #expect(again.files.isEmpty && again.results.isEmpty && again.alreadyPinned == 6)
        #expect(try fixture.text("pod.yaml") == expected)
    }

    @Test func helmMapsFillTheirDigestKeyElseTheTag() async throws {
        let yaml = """
            image:
              registry: docker.io
              repository: bitnami/nginx
              tag: 1.27
              digest: ""
            metrics:
              image:
                repository: bitnami/exporter
                tag: 'v1'  # quoted
                digest:
            sidecar:
              image: {repository: demo/sidecar, tag: v1}
            nodeExporter:
              image:
                repository: quay.io/prometheus/node-exporter
                tag: v1
                sha: ""
            plain:
              image:
                repository: demo/plain
                tag: v1
            empty:
              image:
                repository: demo/empty
                tag: ""
            """
        let fixture = try PinFixture(["values.yaml": yaml])
        let plan = try await fixture.pin()
        let d = fixture.layout.image
        let hex = String(d.dropFirst("sha256:".count))
        let expected = yaml
            .replacingOccurrences(of: "digest: \"\"", with: "digest: \"\(d)\"")
            .replacingOccurrences(of: "  digest:\n", with: "  digest: \"\(d)\"\n")
            .replacingOccurrences(of: "tag: v1}", with: "tag: \"v1@\(d)\"}")
            .replacingOccurrences(of: "sha: \"\"", with: "sha: \"\(hex)\"")
            .replacingOccurrences(of: "    repository: demo/plain\n    tag: v1", with: "    repository: demo/plain\n    tag: \"v1@\(d)\"")
        #expect(try fixture.text("values.yaml") == expected)
        // The empty tag means the chart's default: reported, not touched.
        let unpinned = plan.results.filter { !$0.pinned }
        #expect(unpinned.map(\.problem) == [.tagUnknown])
        #expect(plan.exitStatus == 1)
        #expect(plan.results.filter(\.pinned).count == 5)
    }

    @Test func kustomizeEntriesGetADigestKeyInTheirOwnStyle() async throws {
        let yaml = "apiVersion: kustomize.config.k8s.io/v1beta1\r\nkind: Kustomization\r\nimages:\r\n"
            + "  - name: nginx\r\n    newTag: \"1.27\"\r\n  - name: app\r\n    newName: quay.io/demo/app\r\n    newTag: v1 # keep\r\n"
            + "  - {name: redis, newTag: v1}\r\n"
        let fixture = try PinFixture(["kustomization.yaml": yaml])
        let plan = try await fixture.pin()
        let d = fixture.layout.image
        let expected = "apiVersion: kustomize.config.k8s.io/v1beta1\r\nkind: Kustomization\r\nimages:\r\n"
            + "  - name: nginx\r\n    newTag: \"1.27\"\r\n    digest: \(d)\r\n  - name: app\r\n    newName: quay.io/demo/app\r\n"
            + "    newTag: v1 # keep\r\n    digest: \(d)\r\n  - {name: redis, newTag: v1, digest: \(d)}\r\n"
        #expect(try fixture.text("kustomization.yaml") == expected)
        #expect(plan.exitStatus == 0 && plan.results.count == 3)
    }

    @Test func chartAnnotationsAndMultiPlatformTags() async throws {
        let chart = """
            apiVersion: v2
            name: demo
            version: 1.0.0
            annotations:
              artifacthub.io/images: |
                - name: app
                  image: quay.io/demo/app:3.19
                - name: tool
                  image: docker.io/demo/tool:v1
            """
        let fixture = try PinFixture(["demo/Chart.yaml": chart])
        let plan = try await fixture.pin()
        let expected = chart
            .replacingOccurrences(of: "app:3.19", with: "app:3.19@\(fixture.layout.index)")
            .replacingOccurrences(of: "tool:v1", with: "tool:v1@\(fixture.layout.image)")
        #expect(try fixture.text("demo/Chart.yaml") == expected)
        #expect(plan.exitStatus == 0 && plan.results.count == 2)
    }

    @Test func anchorsSharedByOneImageArePinnedOnceAndTemplatesAreLeftAlone() async throws {
        let yaml = """
            base: &img nginx:1.27
            web:
              image: *img
            worker:
              image: nginx:1.27
            templated:
              image: "{{ .Values.image }}"
            missing:
              image: demo/missing:9.9
            """
        let fixture = try PinFixture(["values.yaml": yaml])
        let plan = try await fixture.pin()
        let d = fixture.layout.image
        #expect(try fixture.text("values.yaml") == yaml
            .replacingOccurrences(of: "&img nginx:1.27", with: "&img nginx:1.27@\(d)")
            .replacingOccurrences(of: "  image: nginx:1.27", with: "  image: nginx:1.27@\(d)"))
        let problems = plan.results.compactMap(\.problem)
        #expect(problems.sorted { $0.rawValue < $1.rawValue } == [.tagNotFound, .templated])
        #expect(plan.exitStatus == 1)
    }

    @Test func dryRunPrintsAUnifiedDiffAndWritesNothing() async throws {
        let yaml = "a: 1\nb: 2\nc: 3\nimage: nginx:1.27\nd: 4\ne: 5\nf: 6\ng: 7\n"
        let fixture = try PinFixture(["x.yaml": yaml])
        let plan = try await fixture.pinner.plan(paths: [fixture.dir.path])
        let path = fixture.dir.appendingPathComponent("x.yaml").path
        #expect(plan.files.first?.unifiedDiff == """
            --- a/\(path)
            +++ b/\(path)
            @@ -1,7 +1,7 @@
             a: 1
             b: 2
             c: 3
            -image: nginx:1.27
            +image: nginx:1.27@\(fixture.layout.image)
             d: 4
             e: 5
             f: 6

            """)
        #expect(try fixture.text("x.yaml") == yaml)
    }

    @Test func aFileChangedSinceItWasReadIsNotWrittenAndModeIsKept() async throws {
        let fixture = try PinFixture(["a.yaml": "image: nginx:1.27\n", "b.yaml": "image: nginx:v1\n"])
        let a = fixture.dir.appendingPathComponent("a.yaml").path, b = fixture.dir.appendingPathComponent("b.yaml").path
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: b)
        let pinner = try fixture.pinner
        let plan = try await pinner.plan(paths: [fixture.dir.path])
        try Data("image: nginx:1.27 # edited meanwhile\n".utf8).write(to: URL(fileURLWithPath: a))
        let written = pinner.write(plan)
        #expect(try fixture.text("a.yaml") == "image: nginx:1.27 # edited meanwhile\n")
        #expect(written.results.first { $0.finding.file == a }?.problem == .changedOnDisk)
        #expect(written.exitStatus == 1)
        #expect(try fixture.text("b.yaml") == "image: nginx:v1@\(fixture.layout.image)\n")
        let mode = try FileManager.default.attributesOfItem(atPath: b)[.posixPermissions] as? Int
        #expect(mode == 0o640)
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.dir.path).sorted() == ["a.yaml", "b.yaml"])
    }

    @Test func scanResolveMarksDigestsTheSourceDoesNotHave() async throws {
        let layout = try PinLayout.make()
        let fake = "sha256:" + String("a1b2c3d4e5f6789012345678901234567890123456" + String(repeating: "0", count: 22))
        let real = "sha256:df9fae0a60c4e7b6f58cbab2f1210d1da1977b082a92408257b878188a9b59aa" // sha256 of "an image this layout does not hold"
        let findings = ManifestScanner().scan(data: Data("""
            a: {image: "nginx@\(layout.image)"}
            b: {image: "nginx:latest@\(fake)"}
            c: {image: "nginx@\(real)"}
            """.utf8), name: "values.yaml")
        #expect(findings.map(\.status) == [.pinned, .placeholderDigest, .pinned])
        let resolver = DigestResolver(source: try OCILayoutSource(path: layout.path))
        let (resolved, undecided) = await resolver.resolve(findings: findings)
        #expect(resolved.map(\.status) == [.pinned, .digestNotFound, .digestNotFound])
        #expect(undecided == 0)
    }

    @Test func mirrorsRouteADomainToAnotherHost() throws {
        let mirrors = try RegistryMirrors(parsing: ["docker.io=127.0.0.1:5000/hub", "quay.io=mirror.example"])
        #expect(mirrors.route(try ImageReference(normalizing: "nginx:1.27")).string == "127.0.0.1:5000/hub/library/nginx:1.27")
        #expect(mirrors.route(try ImageReference(normalizing: "quay.io/a/b@sha256:" + String(repeating: "ab", count: 32))).string
                == "mirror.example/a/b@sha256:" + String(repeating: "ab", count: 32))
        #expect(mirrors.route(try ImageReference(normalizing: "ghcr.io/a/b:v1")).string == "ghcr.io/a/b:v1")
        #expect(throws: ImageGateError.self) { try RegistryMirrors(parsing: ["docker.io"]) }
    }
}
