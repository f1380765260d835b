import Foundation
import TestSupport
import Testing

/// End-to-end: `verify-image pin` and `scan --resolve` against the real registry scripts/test.sh starts. The corpus's
/// charts and manifests are copied, every image they name by tag is pushed to the registry (a fixture layout made
/// by cosign/skopeo, under `<domain>/<path>:<tag>`, found through `--registry-mirror`), and the copies are pinned.
@Suite(.enabled(if: RegistryCLIEnvironment.available, "needs the test registries: run scripts/test.sh (it starts them and sets IV_REGISTRY_*)"))
struct PinCLITests {
    static let root = VerifyImageCLI.packageRoot
    static var host: String { ProcessInfo.processInfo.environment["IV_REGISTRY_HTTP"] ?? "" }

    /// The corpus parts that are pinned: Helm values, Kubernetes / Argo manifests, a chart with Chart.yaml
    /// annotations, Kustomize files, chart archives (reported, not rewritten) and the hand-written cases.
    static let inputs = ["testdata/scan/corpus/values", "testdata/scan/corpus/manifests", "testdata/scan/corpus/tgz",
                         "testdata/scan/corpus/other", "testdata/scan/cases/chart", "testdata/scan/cases/kustomization.yaml",
                         "testdata/scan/cases/values-conventions.yaml", "testdata/scan/cases/kinds.yaml"]

    static func copyInputs() throws -> URL {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("pin-e2e-\(UUID().uuidString)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        for input in inputs {
            let source = root.appendingPathComponent(input)
            try fm.copyItem(at: source, to: dir.appendingPathComponent(source.lastPathComponent))
        }
        return dir
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text.prefix(500))")
    }

    /// The scan's findings.
    static func scan(_ dir: URL) async throws -> [[String: Any]] {
        let result = try await VerifyImageCLI.run(["scan", "--output", "json", "--fail-on", "none", dir.path])
        return try json(result.out)["findings"] as? [[String: Any]] ?? []
    }

    /// Pushes a fixture layout as `<host>/<domain>/<path>:<tag>` for each reference; the multi-platform layout for
    /// references whose tag is `multi`-worthy (the first one, so the test can check the index digest).
    static func push(_ references: [String], multiFor: String) throws {
        let jobs = FileManager.default.temporaryDirectory.appendingPathComponent("pin-push-\(UUID().uuidString)")
        var lines = ""
        for reference in references {
            let (name, tag) = split(reference)
            let layout = reference == multiFor ? "multi" : "app-v1"
            lines += [root.appendingPathComponent("testdata/images/layouts/\(layout)").path, "http://\(host)", name,
                      "--tag", tag].joined(separator: " ") + "\n"
        }
        try Data(lines.utf8).write(to: jobs)
        defer { try? FileManager.default.removeItem(at: jobs) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", root.appendingPathComponent("scripts/push-layout.py").path, "--jobs", jobs.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "push-layout.py failed")
    }

    /// `docker.io/library/nginx:1.27` → (`docker.io/library/nginx`, `1.27`).
    static func split(_ reference: String) -> (String, String) {
        let colon = reference.lastIndex(of: ":")!
        return (String(reference[..<colon]), String(reference[reference.index(after: colon)...]))
    }

    /// The image index digest of the `multi` fixture.
    static func multiIndexDigest() throws -> String {
        let data = try Data(contentsOf: root.appendingPathComponent("testdata/images/layouts/multi/index.json"))
        let entries = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["manifests"] as? [[String: Any]] ?? []
        return try #require(entries.first { ($0["mediaType"] as? String)?.contains("index") == true }?["digest"] as? String)
    }

    static func lines(_ data: Data) -> [String] {
        String(decoding: data, as: UTF8.self).components(separatedBy: "\n")
    }

    /// Checks that `new` is `old` with digests added on image lines only: every line is byte-identical except lines
    /// that differ by an inserted `@sha256:<hex>` / digest (and the quotes of a Helm tag), and inserted lines are
    /// Kustomize `digest:` keys. Returns the number of lines touched.
    static func touchedOnlyImageLines(_ old: Data, _ new: Data, file: String) -> Int {
        let a = lines(old), b = lines(new)
        let digest = try! Regex(#"(@)?(sha256:)?[0-9a-f]{64}"#)
        var i = 0, j = 0, touched = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] { i += 1; j += 1; continue }
            touched += 1
            if j < b.count, b[j].trimmingCharacters(in: .whitespaces).wholeMatch(of: try! Regex(#"digest: sha256:[0-9a-f]{64}\r?"#)) != nil,
               j + 1 < b.count, i < a.count, b[j + 1] == a[i] {
                j += 1
                continue
            }
            guard i < a.count, j < b.count else {
                Issue.record("\(file): lines added or removed at \(i + 1)")
                return touched
            }
            let stripped = b[j].replacing(digest, with: "").replacingOccurrences(of: "\"", with: "")
            #expect(stripped == a[i].replacingOccurrences(of: "\"", with: ""),
                    "\(file):\(i + 1): `\(a[i])` became `\(b[j])`, more than a digest")
            #expect(b[j].contains(digest), "\(file):\(i + 1): changed without a digest")
            i += 1; j += 1
        }
        return touched
    }

    @Test func pinsTheCorpusAgainstARealRegistryTouchingOnlyImageLines() async throws {
        let dir = try Self.copyInputs()
        defer { try? FileManager.default.removeItem(at: dir) }
        let before = try await Self.scan(dir)
        let wanted = before.filter { ["tag", "implicit-latest"].contains($0["status"] as? String) }
        let references = Array(Set(wanted.compactMap { $0["reference"] as? String }.filter { !$0.contains("@") && $0.contains(":") }
            .filter { Self.split($0).1.isEmpty == false && !Self.split($0).0.hasSuffix("/") })).sorted()
        #expect(references.count > 50)
        let multi = try #require(references.first { $0.hasPrefix("quay.io/") })
        try await offThePool { try Self.push(references, multiFor: multi) }
        let domains = Set(references.map { String($0.split(separator: "/")[0]) })
        let mirrors = domains.sorted().flatMap { ["--registry-mirror", "\($0)=\(Self.host)/\($0)"] }
        var originals: [String: Data] = [:]
        let fm = FileManager.default
        for path in try fm.subpathsOfDirectory(atPath: dir.path) {
            var isDir: ObjCBool = false
            let full = dir.appendingPathComponent(path).path
            if fm.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue { originals[full] = fm.contents(atPath: full) }
        }

        let pin = try await RegistryCLITests.run(["pin", "--output", "json", dir.path] + mirrors)
        let report = try Self.json(pin.out)
        let results = report["results"] as? [[String: Any]] ?? []
        let problems = results.compactMap { $0["problem"] as? String }
        // What cannot be pinned is only what pin must leave alone; the rest is pinned.
        #expect(Set(problems).isSubset(of: ["templated", "tag_unknown", "in_archive", "in_template", "not_pinnable", "set_by_parent"]),
                "\(results.filter { $0["problem"] != nil }.prefix(5))")
        #expect(pin.status == (problems.isEmpty ? 0 : 1), "\(pin.err)")
        let pinnedResults = results.filter { $0["pinned"] as? Bool == true }
        #expect(pinnedResults.count > 100)
        // The multi-platform tag is pinned to its index digest.
        let indexDigest = try Self.multiIndexDigest()
        #expect(pinnedResults.contains { ($0["reference"] as? String) == multi && ($0["digest"] as? String) == indexDigest })

        // scan: every image pin resolved is pinned now; what is left is exactly what pin reported.
        let after = try await Self.scan(dir)
        #expect(after.count == before.count)
        let left = Set(after.filter { ["tag", "implicit-latest"].contains($0["status"] as? String) }
            .map { "\($0["file"]!):\($0["yamlPath"]!)" })
        let reported = Set(results.filter { $0["problem"] != nil && ["tag", "implicit-latest"].contains($0["status"] as? String) }
            .map { "\($0["file"]!):\($0["yamlPath"]!)" })
        #expect(left == reported)
        #expect(after.filter { $0["status"] as? String == "pinned" }.count
                == before.filter { $0["status"] as? String == "pinned" }.count + pinnedResults.count)

        // Each file: only image lines changed; archives and files without images are byte-identical.
        var touched = 0
        for (path, old) in originals {
            let new = try #require(fm.contents(atPath: path))
            if path.hasSuffix(".tgz") { #expect(new == old, "\(path): an archive was rewritten"); continue }
            touched += Self.touchedOnlyImageLines(old, new, file: path)
        }
        #expect(touched > 0 && touched <= pinnedResults.count)

        // Idempotent: a second pin changes nothing.
        let snapshot = originals.keys.map { ($0, fm.contents(atPath: $0)) }
        let again = try await RegistryCLITests.run(["pin", "--output", "json", dir.path] + mirrors)
        let summary = try Self.json(again.out)["summary"] as? [String: Any]
        #expect(summary?["pinned"] as? Int == 0 && summary?["filesChanged"] as? Int == 0)
        for (path, data) in snapshot { #expect(fm.contents(atPath: path) == data, "\(path) changed on the second run") }
    }

    @Test func scanResolveFindsTheReferenceCaseFakeDigest() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("resolve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fake = "sha256:a1b2c3d4e5f6789012345678901234567890123456" + String(repeating: "0", count: 22)
        let real = try RegistryCLITests.digest("app-v1"), otherRepository = try RegistryCLITests.digest("app-v2")
        let file = dir.appendingPathComponent("values.yaml")
        try Data("""
            fake: {image: "\(Self.host)/demo/app-v1:latest@\(fake)"}
            real: {image: "\(Self.host)/demo/app-v1@\(real)"}
            elsewhere: {image: "\(Self.host)/demo/app-v1@\(otherRepository)"}
            """.utf8).write(to: file)
        let result = try await RegistryCLITests.run(["scan", "--resolve", "--output", "json", file.path])
        let findings = try Self.json(result.out)["findings"] as? [[String: Any]] ?? []
        #expect(findings.map { $0["status"] as? String } == ["digest-not-found", "pinned", "digest-not-found"], "\(result.out)")
        #expect(result.status == 1)
        // Without --resolve the fake digest is still caught by its pattern, the other repository's digest is not.
        let plain = try await RegistryCLITests.run(["scan", "--output", "json", file.path])
        #expect((try Self.json(plain.out)["findings"] as? [[String: Any]] ?? []).map { $0["status"] as? String }
                == ["placeholder-digest", "pinned", "pinned"])
    }

    @Test func verifyPinsOnlyDigestsWhoseSignaturesPass() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pin-verify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("deployment.yaml")
        let text = """
            containers:
              - image: \(Self.host)/demo/app-v1:latest
              - image: \(Self.host)/demo/unsigned:latest
              - image: \(Self.host)/demo/other:latest
            """
        try Data(text.utf8).write(to: file)
        let key = Self.root.appendingPathComponent("testdata/images/keys/signer.pub").path
        let pin = try await RegistryCLITests.run(["pin", "--verify", "--key", key, "--insecure-ignore-tlog", "--output", "json", file.path])
        let results = try Self.json(pin.out)["results"] as? [[String: Any]] ?? []
        #expect(results.map { $0["problem"] as? String } == [nil, "verification_failed", "verification_failed"], "\(pin.out) \(pin.err)")
        #expect(pin.status == 1)
        let signed = try RegistryCLITests.digest("app-v1")
        #expect(String(decoding: try Data(contentsOf: file), as: UTF8.self)
                == text.replacingOccurrences(of: "app-v1:latest", with: "app-v1:latest@\(signed)"))
    }

    @Test func aRegistryThatCannotAnswerIsExitStatusTwo() async throws {
        let down = ProcessInfo.processInfo.environment["IV_REGISTRY_DOWN"] ?? "127.0.0.1:9"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pin-down-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("pod.yaml")
        let text = "image: \(down)/demo/app:v1\n"
        try Data(text.utf8).write(to: file)
        let pin = try await RegistryCLITests.run(["pin", "--timeout", "10", file.path])
        #expect(pin.status == 2, "\(pin.out) \(pin.err)")
        #expect(pin.out.contains("registry_undecided"))
        #expect(String(decoding: try Data(contentsOf: file), as: UTF8.self) == text)
        let digest = try RegistryCLITests.digest("app-v1")
        try Data("image: \(down)/demo/app@\(digest)\n".utf8).write(to: file)
        let scan = try await RegistryCLITests.run(["scan", "--resolve", "--timeout", "10", file.path])
        #expect(scan.status == 2, "\(scan.out) \(scan.err)")
    }
}
