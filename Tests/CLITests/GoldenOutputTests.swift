import Foundation
import SnapshotTesting
import TestSupport
import Testing

/// Golden files of what the CLI prints on the main fixtures — `verify` (pass, fail, indeterminate, usage),
/// `verify-bundle` (pass, fail), `scan` and `gate`, as text and JSON — so that a changed message is a diff a reviewer
/// reads. Each golden file holds the command, its exit status, stdout and stderr, with the volatile parts made stable
/// (the current time, the package's path). They live in `Tests/CLITests/__Snapshots__/GoldenOutputTests/`.
///
/// A missing or different golden file fails: the record mode is `never` unless `SNAPSHOT_TESTING_RECORD` says
/// otherwise. To accept a change on purpose: `SNAPSHOT_TESTING_RECORD=failed swift test --skip-build --filter
/// GoldenOutputTests`, then review and commit the files it wrote.
@Suite struct GoldenOutputTests {
    struct Golden: Sendable, CustomTestStringConvertible {
        /// The golden file's name.
        let name: String
        let arguments: [String]
        let status: Int32
        var testDescription: String { name }
    }

    static let layouts = "testdata/images/layouts"
    static let signerKey = "testdata/images/keys/signer.pub"
    static let registry = "127.0.0.1:5077/demo"
    static let appV1 = "sha256:87c3f0200da9d05c2077d2b0d29e61dc3239974f1d826cc51c3bc43ae3e414a9"
    static let other = "sha256:d275e51a2c7e01c3c53e8e5a2b44eeb83b1871c0fc8b6ccff34749aa0d0ece84"
    static let unsigned = "sha256:b8eab716ea3cd1574dff1a7afbe53c541dca5b9f582c590d91a3f2eba8bb21e2"
    static let pki = "sha256:e5ad95ee998125d42d89bb9e20ee583936fb67eb5dc184910768f4d9688d182c"
    static let conformance = "testdata/sigstore/conformance/bundle-verify"
    static let productionRoot = "keys/sigstore-production-trusted_root.json"
    static let maestro = "examples/maestro"

    /// `verify` with the fixture signer's key over one of the image layouts.
    static func verifyKey(_ layout: String, _ digest: String, _ extra: [String] = []) -> [String] {
        ["verify", "--layout", "\(layouts)/\(layout)", "--key", signerKey, "--insecure-ignore-tlog"] + extra
            + ["\(registry)/\(layout)@\(digest)"]
    }

    /// `verify-bundle` of a conformance case with its identity.
    static func verifyBundle(_ name: String, artifact: String, _ extra: [String] = []) -> [String] {
        ["verify-bundle", "--bundle", "\(conformance)/\(name)/bundle.sigstore.json",
         "--certificate-identity",
         "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
         "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com"] + extra + [artifact]
    }

    static func gate(_ release: String, _ extra: [String] = []) -> [String] {
        ["gate", "--policy", "\(maestro)/policy", "--layout", "\(maestro)/layout", "--trusted-root", productionRoot]
            + extra + ["\(maestro)/\(release)"]
    }

    static let goldens: [Golden] = [
        // verify: pass, fail (another key; no signature), indeterminate (registry unreachable), usage.
        Golden(name: "verify-pass", arguments: verifyKey("app-v1", appV1), status: 0),
        Golden(name: "verify-pass-json", arguments: verifyKey("app-v1", appV1, ["--output", "json"]), status: 0),
        Golden(name: "verify-attestation-pass", arguments: verifyKey("app-v1", appV1, ["--attestations", "--type", "slsaprovenance"]),
               status: 0),
        Golden(name: "verify-private-ca-pass",
               arguments: ["verify", "--layout", "\(layouts)/pki", "--certificate-chain", "testdata/images/keys/pki-chain.pem",
                           "--certificate-identity", "release@example.com", "--insecure-ignore-tlog",
                           "\(registry)/pki@\(pki)"], status: 0),
        Golden(name: "verify-fail-other-key", arguments: verifyKey("other", other), status: 1),
        Golden(name: "verify-fail-other-key-json", arguments: verifyKey("other", other, ["--output", "json"]), status: 1),
        Golden(name: "verify-fail-unsigned", arguments: verifyKey("unsigned", unsigned), status: 1),
        Golden(name: "verify-fail-annotation", arguments: verifyKey("app-v1", appV1, ["-a", "release=v9"]), status: 1),
        Golden(name: "verify-indeterminate",
               arguments: ["verify", "--key", signerKey, "--insecure-ignore-tlog", "--timeout", "5", "127.0.0.1:1/demo/app-v1@\(appV1)"],
               status: 2),
        Golden(name: "verify-indeterminate-json",
               arguments: ["verify", "--key", signerKey, "--insecure-ignore-tlog", "--timeout", "5", "--output", "json",
                           "127.0.0.1:1/demo/app-v1@\(appV1)"], status: 2),
        Golden(name: "verify-usage-annotation-with-attestations",
               arguments: verifyKey("app-v1", appV1, ["--attestations", "-a", "release=v1"]), status: 64),
        // verify-bundle: pass (Rekor v1 with the production root; Rekor v2 with its own), fail (another artifact).
        Golden(name: "verify-bundle-pass",
               arguments: verifyBundle("happy-path-v0.1", artifact: "\(conformance)/a.txt", ["--trusted-root", productionRoot]),
               status: 0),
        Golden(name: "verify-bundle-rekor2-pass-json",
               arguments: verifyBundle("rekor2-happy-path", artifact: "\(conformance)/a.txt",
                                       ["--trusted-root", "\(conformance)/rekor2-happy-path/trusted_root.json", "--output", "json"]),
               status: 0),
        Golden(name: "verify-bundle-fail",
               arguments: verifyBundle("happy-path-v0.1", artifact: "sha256:" + String(repeating: "0f", count: 32),
                                       ["--trusted-root", productionRoot]), status: 1),
        Golden(name: "verify-bundle-fail-json",
               arguments: verifyBundle("happy-path-v0.1", artifact: "sha256:" + String(repeating: "0f", count: 32),
                                       ["--trusted-root", productionRoot, "--output", "json"]), status: 1),
        // scan: text and JSON over the malformed-digest cases and a kustomization.
        Golden(name: "scan", arguments: ["scan", "testdata/scan/cases/malformed-digests.yaml"], status: 1),
        Golden(name: "scan-json", arguments: ["scan", "--output", "json", "testdata/scan/cases/kustomization.yaml"], status: 1),
        Golden(name: "scan-pinned", arguments: ["scan", "testdata/scan/pinned/pinned-only.yaml"], status: 0),
        // gate on the maestro example: the release as submitted fails, the pinned one passes.
        Golden(name: "gate-fail", arguments: gate("release"), status: 1),
        Golden(name: "gate-pass", arguments: gate("release-pinned"), status: 0),
        Golden(name: "gate-fail-json", arguments: gate("release", ["--output", "json"]), status: 1),
    ]

    @Test(arguments: goldens)
    func output(_ golden: Golden) async throws {
        let run = try await VerifyImageCLI.run(golden.arguments)
        #expect(run.status == golden.status, "\(golden.name): exit \(run.status)\n\(run.out)\(run.err)")
        let text = """
            $ verify-image \(golden.arguments.joined(separator: " "))
            exit \(run.status)
            --- stdout
            \(Self.stable(run.out))
            --- stderr
            \(Self.stable(run.err))
            """
        let failure = verifySnapshot(of: text, as: .lines, named: golden.name, record: Self.recordMode,
                                     snapshotDirectory: Self.directory, testName: "GoldenOutputTests")
        if let failure { Issue.record(Comment(rawValue: failure)) }
    }

    /// Where the golden files are (found from the package root, as every test finds its files).
    static var directory: String {
        PackagePaths.root.appendingPathComponent("Tests/CLITests/__Snapshots__/GoldenOutputTests").path
    }

    /// `never` (a missing golden file fails; CI must not write them), unless `SNAPSHOT_TESTING_RECORD` asks to record.
    static var recordMode: SnapshotTestingConfiguration.Record {
        ProcessInfo.processInfo.environment["SNAPSHOT_TESTING_RECORD"].flatMap(SnapshotTestingConfiguration.Record.init(rawValue:))
            ?? .never
    }

    /// The output with what changes from run to run replaced: RFC 3339 times within a day of now (the current time
    /// a key-signed signature is checked at, a gate's `verifiedAt`) become `<now>`, the package's path `<root>`.
    static func stable(_ output: String) -> String {
        var text = output.replacingOccurrences(of: PackagePaths.root.path, with: "<root>")
        let pattern = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/
        let now = Date()
        let formatter = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        text = text.replacing(pattern) { match in
            let value = String(match.output)
            guard let date = formatter.date(from: value) ?? fractional.date(from: value),
                  abs(date.timeIntervalSince(now)) < 86_400 else { return value }
            return "<now>"
        }
        return text
    }
}
