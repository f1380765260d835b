import Foundation
import TestSupport
import Testing

/// End to end: `verify-image trust update` against a TUF repository served on loopback (python3's http.server over
/// testdata/tuf/e2e, made by scripts/make-tuf-fixtures.py with python-tuf), then `verify-bundle` with no
/// `--trusted-root` uses the refreshed root. The served trusted root first lacks the Rekor v1 log that logged a real
/// sigstore-python bundle (so it fails), then gains it in the repository's next version (so it passes).
@Suite(.serialized) struct TrustCLITests {
    static let e2e = PackagePaths.testdata("tuf/e2e")

    struct ServerDidNotStart: Error { let output: String }

    /// A python3 http.server on 127.0.0.1 (any free port) serving `directory`; stopped by `stop()`.
    final class LoopbackServer {
        let process = Process()
        let port: Int

        init(directory: URL) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", directory.path]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            var text = ""
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline, !text.contains("port ") || !text.contains("(") {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            guard let range = text.range(of: #"port (\d+)"#, options: .regularExpression),
                  let port = Int(text[range].dropFirst(5)) else {
                process.terminate()
                throw ServerDidNotStart(output: text)
            }
            self.port = port
        }

        /// Sends SIGKILL (idempotent): a child spawned from a test thread inherits its blocked SIGTERM. Not waited for
        /// (Foundation's `waitUntilExit` can miss the exit), and nothing here depends on the moment it ends.
        func stop() {
            kill(process.processIdentifier, SIGKILL)
        }
    }

    static func run(_ arguments: [String], cache: URL) async throws -> VerifyImageCLI.Run {
        try await VerifyImageCLI.run(arguments, environment: ["XDG_CACHE_HOME": cache.path])
    }

    /// A real bundle logged in Rekor v1 (rekor.sigstore.dev) and the arguments that verify it.
    static let verifyBundle = [
        "verify-bundle", "--bundle", VerifyBundleCLITests.s("sigstore-python/bundle_v3_github.whl.sigstore"),
        "--certificate-identity", VerifyBundleCLITests.githubIdentity,
        "--certificate-oidc-issuer", VerifyBundleCLITests.defaultIssuer,
        VerifyBundleCLITests.s("sigstore-python/bundle_v3_github.whl"),
    ]

    @Test func refreshedTrustedRootIsWhatVerificationUses() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("trust-e2e-\(UUID().uuidString)")
        let cache = work.appendingPathComponent("cache")
        let served = work.appendingPathComponent("served")
        try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let repository = served.appendingPathComponent("repo")
        try FileManager.default.createSymbolicLink(at: repository, withDestinationURL: Self.e2e.appendingPathComponent("state1"))
        let server = try LoopbackServer(directory: served)
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/repo"

        // Nothing fetched yet: the built-in root, and verification says so.
        let before = try await Self.run(["trust", "show"], cache: cache)
        #expect(before.status == 0)
        #expect(before.out.contains("no trusted root was ever fetched"))
        let embedded = try await Self.run(Self.verifyBundle, cache: cache)
        #expect(embedded.status == 0, "\(embedded.out)\(embedded.err)")
        #expect(embedded.err.contains("using the one built into this binary"))

        // State 1: the served trusted root has no Rekor v1 log, so the bundle's log entry has no trusted key.
        let first = try await Self.run(["trust", "update", "--tuf-url", url, "--tuf-root", Self.e2e.appendingPathComponent("root.json").path], cache: cache)
        #expect(first.status == 0, "\(first.out)\(first.err)")
        #expect(first.out.contains("TUF root:     version 1"))
        let refused = try await Self.run(Self.verifyBundle, cache: cache)
        #expect(refused.status == 1, "\(refused.out)\(refused.err)")
        #expect(!refused.err.contains("built into"))

        // State 2: root v2 (timestamp key rotated) and targets v2 add the Rekor v1 log back; the update needs no flags.
        try FileManager.default.removeItem(at: repository)
        try FileManager.default.createSymbolicLink(at: repository, withDestinationURL: Self.e2e.appendingPathComponent("state2"))
        let second = try await Self.run(["trust", "update"], cache: cache)
        #expect(second.status == 0, "\(second.out)\(second.err)")
        #expect(second.out.contains("TUF root:     version 2"))
        let passed = try await Self.run(Self.verifyBundle, cache: cache)
        #expect(passed.status == 0, "\(passed.out)\(passed.err)")
        let shown = try await Self.run(["trust", "show", "--output", "json"], cache: cache)
        #expect(shown.out.contains("\"rootVersion\" : 2"))

        // The repository goes away and the cache's metadata expires: indeterminate (exit 2), never a silent pass.
        try FileManager.default.removeItem(at: repository)
        let stateFile = cache.appendingPathComponent("image-verifier/trust/state.json")
        var state = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: stateFile)) as? [String: Any])
        state["fetchedAt"] = "2020-01-01T00:00:00Z"
        state["expires"] = "2020-01-02T00:00:00Z"
        try JSONSerialization.data(withJSONObject: state).write(to: stateFile)
        let expired = try await Self.run(Self.verifyBundle + ["--output", "json"], cache: cache)
        #expect(expired.status == 2, "\(expired.out)\(expired.err)")
        #expect(expired.out.contains("trusted_root_expired"))
    }

    @Test func updateOfAPrivateRepositoryNeedsItsRoot() async throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("trust-usage-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cache) }
        let result = try await Self.run(["trust", "update", "--tuf-url", "http://127.0.0.1:9/repo"], cache: cache)
        #expect(result.status == 64)
        #expect(result.err.contains("--tuf-root"))
    }
}
