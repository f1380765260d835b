import Foundation
import TestSupport
import Testing
@testable import PolicyFiles

/// testdata/policy-controller (package root = three levels up from this file).
enum PolicyFixtures {
    static let root = PackagePaths.testdata("policy-controller")

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func files(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path(folder))) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
            .map { folder + "/" + $0 }
    }

    /// One row of policy-controller's `TestGlobMatch` table, parsed from `glob/glob_test.go`.
    struct GlobCase: Sendable, CustomTestStringConvertible {
        let image: String
        let glob: String
        let wantMatch: Bool
        let wantErr: Bool
        var testDescription: String { "\(image)|\(glob)" }
    }

    /// Every `{image: …, glob: …, wantMatch: …}` row of the Go table, single-line or spread over lines.
    static func globCases() -> [GlobCase] {
        guard let source = try? String(contentsOfFile: path("glob/glob_test.go"), encoding: .utf8) else { return [] }
        // Join the multi-line rows: a row runs from "{" at the start of a line to the matching "},".
        var rows: [String] = []
        var current: String?
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            let text = line.trimmingCharacters(in: .whitespaces)
            if current == nil, text.hasPrefix("{image:") || text == "{" { current = "" }
            guard current != nil else { continue }
            current! += " " + text
            if text.hasPrefix("}") || text.contains("},") {
                rows.append(current!)
                current = nil
            }
        }
        func field(_ row: String, _ name: String) -> String? {
            guard let range = row.range(of: name + ":") else { return nil }
            let rest = row[range.upperBound...].drop(while: { $0 == " " })
            if rest.first == "\"" {
                let body = rest.dropFirst()
                return body.firstIndex(of: "\"").map { String(body[..<$0]) }
            }
            return String(rest.prefix(while: { $0.isLetter }))
        }
        return rows.compactMap { row in
            guard let image = field(row, "image"), let glob = field(row, "glob") else { return nil }
            return GlobCase(image: image, glob: glob, wantMatch: field(row, "wantMatch") == "true",
                            wantErr: field(row, "wantErr") == "true")
        }
    }

    /// The field paths an `invalid/` file's `# ERROR:` comments name: every `: `- or `,`-separated token that looks
    /// like a path (`spec.authorities[0].key.kms`, `keyless.identities`).
    static func expectedFields(_ relative: String) -> [String] {
        guard let text = try? String(contentsOfFile: path(relative), encoding: .utf8) else { return [] }
        var fields: [String] = []
        for line in text.split(separator: "\n") where line.hasPrefix("# ERROR:") {
            let message = String(line.dropFirst("# ERROR:".count))
            for token in message.components(separatedBy: ": ").flatMap({ $0.split(separator: ",") }) {
                let candidate = token.trimmingCharacters(in: .whitespaces)
                if candidate.contains("."), !candidate.contains(" ") { fields.append(candidate) }
            }
        }
        return fields
    }
}

@Suite("policy-controller glob")
struct GlobTests {
    @Test("the table of policy-controller's glob_test.go has its rows")
    func tableParsed() {
        #expect(PolicyFixtures.globCases().count == 42)
    }

    @Test("policy-controller's TestGlobMatch, row by row", arguments: PolicyFixtures.globCases())
    func globTable(_ row: PolicyFixtures.GlobCase) {
        var matched = false
        var failed = false
        do {
            matched = try ImageGlob(row.glob).matches(image: row.image)
        } catch {
            failed = true
        }
        #expect(matched == row.wantMatch)
        #expect(failed == row.wantErr)
    }

    @Test("a * never crosses a slash; ** does; . is a dot")
    func segments() throws {
        let glob = try ImageGlob("ghcr.io/org/*")
        #expect(glob.matches(name: "ghcr.io/org/app:v1"))
        #expect(!glob.matches(name: "ghcr.io/org/team/app:v1"))
        #expect(try ImageGlob("ghcr.io/org/**").matches(name: "ghcr.io/org/team/app:v1"))
        #expect(!(try ImageGlob("ghcr.io/**").matches(name: "ghcrxio/org/app")))
    }

    @Test("images are matched in go-containerregistry's qualified form")
    func qualifiedName() throws {
        #expect(try ImageGlob.qualifiedName("nginx") == "index.docker.io/library/nginx:latest")
        #expect(try ImageGlob.qualifiedName("docker.io/bitnami/redis:7") == "index.docker.io/bitnami/redis:7")
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        #expect(try ImageGlob.qualifiedName("ghcr.io/a/b:v1@\(digest)") == "ghcr.io/a/b@\(digest)")
    }
}

@Suite("policy-controller policies")
struct PolicyLoadingTests {
    /// Every policy file (e2e/test-deployment.yaml is the Deployment the e2e tests apply, not a policy).
    static let acceptable = (PolicyFixtures.files(in: "valid") + PolicyFixtures.files(in: "e2e") + PolicyFixtures.files(in: "tester")
        + PolicyFixtures.files(in: "examples")).filter { !$0.hasSuffix("test-deployment.yaml") }
    static let refused = PolicyFixtures.files(in: "invalid") + PolicyFixtures.files(in: "empty-authorities")

    @Test("valid, e2e, tester and example policies load, or are refused only for what cannot be evaluated here",
          arguments: acceptable)
    func validPolicies(_ file: String) {
        do {
            let set = try PolicySet.load(paths: [PolicyFixtures.path(file)])
            #expect(!set.policies.isEmpty)
        } catch {
            #expect(!error.problems.isEmpty)
            for problem in error.problems {
                // A TrustRoot that lives in another file of the cluster is named, not silently ignored.
                let allowed = problem.code.isUnsupportedFeature || problem.code == .trustRootMissing
                #expect(allowed, "\(problem)")
                #expect(problem.line > 0, "\(problem)")
                #expect(!problem.field.isEmpty, "\(problem)")
            }
        }
    }

    @Test("invalid policies are refused at the field policy-controller names", arguments: refused)
    func invalidPolicies(_ file: String) {
        do {
            _ = try PolicySet.load(paths: [PolicyFixtures.path(file)])
            Issue.record("\(file) loaded")
        } catch {
            let invalid = error.problems.filter { !$0.code.isUnsupportedFeature }
            #expect(!invalid.isEmpty, "\(error)")
            let expected = PolicyFixtures.expectedFields(file)
            if expected.isEmpty {
                // empty-authorities/: no comment; refused because a policy needs an authority.
                #expect(invalid.contains { $0.field == "spec.authorities" }, "\(error)")
            } else {
                // Our field and one named by policy-controller point at the same place (one contains the other).
                let hit = invalid.contains { problem in
                    let field = problem.field.lowercased()
                    return expected.map { $0.lowercased() }.contains {
                        field == $0 || field.hasSuffix("." + $0) || $0.hasPrefix(field + ".") || field.hasPrefix($0 + ".")
                    }
                }
                #expect(hit, "expected one of \(expected); got \(error)")
            }
        }
    }

    @Test("a CUE policy is refused with file, line and field")
    func cueNamed() throws {
        let file = PolicyFixtures.path("valid/valid-policy.yaml")
        let error = #expect(throws: PolicyFileError.self) {
            _ = try PolicySet.load(paths: [file])
        }
        #expect(error?.problems.contains {
            $0.code == .policyLanguageUnsupported && $0.file == file && $0.line == 46
                && $0.field == "spec.authorities[2].attestations[0].policy"
        } == true, "\(String(describing: error))")
    }

    @Test("a policy with keys, keyless identities, static and attestations loads with policy-controller's semantics")
    func loadsEvaluable() throws {
        let yaml = """
            apiVersion: policy.sigstore.dev/v1beta1
            kind: ClusterImagePolicy
            metadata:
              name: release
            spec:
              mode: warn
              images:
              - glob: "ghcr.io/org/**"
              authorities:
              - name: signed
                key:
                  data: |
                    -----BEGIN PUBLIC KEY-----
                    MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZxAfzrQG1EbWyCI8LiSB7YgSFXoI
                    FNGTyQGKHFc6/H8TQumT9VLS78pUwtv3w7EfKoyFZoP32KrO7nzUy2q6Cw==
                    -----END PUBLIC KEY-----
                ctlog:
                  url: https://rekor.sigstore.dev
              - keyless:
                  identities:
                  - issuer: https://token.actions.githubusercontent.com
                    subjectRegExp: "https://github.com/org/.*"
                attestations:
                - name: provenance
                  predicateType: https://slsa.dev/provenance/v1
            ---
            apiVersion: policy.sigstore.dev/v1alpha1
            kind: ClusterImagePolicy
            metadata:
              name: allow-busybox
            spec:
              images:
              - glob: "index.docker.io/library/busybox*"
              authorities:
              - static:
                  action: pass
            """
        let set = try PolicySet.load(files: [.init(path: "inline.yaml", bytes: Data(yaml.utf8))])
        #expect(set.policies.map(\.name) == ["release", "allow-busybox"])
        let release = set.policies[0]
        #expect(release.mode == .warn)
        #expect(release.authorities.map(\.name) == ["signed", "authority-1"])
        #expect(release.authorities[0].requiresTransparencyLog)
        #expect(release.authorities[1].requiresTransparencyLog)
        #expect(release.authorities[1].attestations == [AttestationRequirement(name: "provenance", predicateType: "https://slsa.dev/provenance/v1")])
        guard case .keyless(let keyless) = release.authorities[1].evidence else { Issue.record("not keyless"); return }
        #expect(keyless.identities.first?.subject.matches("https://github.com/org/app/.github/workflows/r.yml@refs/tags/v1") == true)
        #expect(keyless.identities.first?.subject.matches("https://github.com/other/app") == false)
        #expect(set.policies(for: "ghcr.io/org/team/app@sha256:" + String(repeating: "1", count: 64)).map(\.name) == ["release"])
        #expect(set.policies(for: "busybox:1.36").map(\.name) == ["allow-busybox"])
        #expect(set.policies(for: "quay.io/other/app:v1").isEmpty)
    }

    @Test("an unknown field is refused, never ignored (it may be a requirement)")
    func unknownField() {
        let yaml = """
            apiVersion: policy.sigstore.dev/v1beta1
            kind: ClusterImagePolicy
            metadata: {name: p}
            spec:
              images: [{glob: "**"}]
              authorities:
              - key: {data: "x"}
                requireTwoSignatures: true
            """
        let error = #expect(throws: PolicyFileError.self) {
            _ = try PolicySet.load(files: [.init(path: "p.yaml", bytes: Data(yaml.utf8))])
        }
        #expect(error?.problems.contains {
            $0.code == .fieldUnknown && $0.field == "spec.authorities[0].requireTwoSignatures" && $0.line == 8
        } == true, "\(String(describing: error))")
    }

    @Test("a TrustRoot with sigstoreKeys becomes a trusted root; a trustRootRef to a missing one is refused")
    func trustRoot() throws {
        let logKey = """
            -----BEGIN PUBLIC KEY-----
            MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZxAfzrQG1EbWyCI8LiSB7YgSFXoI
            FNGTyQGKHFc6/H8TQumT9VLS78pUwtv3w7EfKoyFZoP32KrO7nzUy2q6Cw==
            -----END PUBLIC KEY-----
            """
        let yaml = """
            apiVersion: policy.sigstore.dev/v1alpha1
            kind: TrustRoot
            metadata: {name: private}
            spec:
              sigstoreKeys:
                tLogs:
                - baseURL: https://rekor.example
                  hashAlgorithm: sha-256
                  publicKey: \(Data(logKey.utf8).base64EncodedString())
            ---
            apiVersion: policy.sigstore.dev/v1beta1
            kind: ClusterImagePolicy
            metadata: {name: p}
            spec:
              images: [{glob: "**"}]
              authorities:
              - key: {data: "\(logKey.replacingOccurrences(of: "\n", with: "\\n"))"}
                ctlog: {trustRootRef: private}
            """
        let set = try PolicySet.load(files: [.init(path: "t.yaml", bytes: Data(yaml.utf8))])
        #expect(set.trustRoots["private"]?.trustedRoot.transparencyLogs.count == 1)
        let missing = yaml.replacingOccurrences(of: "trustRootRef: private", with: "trustRootRef: other")
        #expect(throws: PolicyFileError.self) {
            _ = try PolicySet.load(files: [.init(path: "t.yaml", bytes: Data(missing.utf8))])
        }
    }
}
