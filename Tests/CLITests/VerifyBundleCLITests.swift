import Foundation
import TestSupport
import Testing

/// End-to-end tests of `verify-image verify-bundle`: the built binary, run exactly as the sigstore-conformance suite
/// runs a client, over the 70 `bundle-verify` cases in both PATH and DIGEST mode, plus the other real bundles.
@Suite struct VerifyBundleCLITests {
    static let sigstore = PackagePaths.testdata("sigstore")
    static let conformance = sigstore.appendingPathComponent("conformance/bundle-verify")
    static let defaultIdentity =
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
    static let defaultIssuer = "https://token.actions.githubusercontent.com"

    static var cases: [String] { PackagePaths.subdirectories(of: conformance) }

    static func run(_ arguments: [String]) async throws -> VerifyImageCLI.Run { try await VerifyImageCLI.run(arguments) }

    /// The arguments the conformance suite passes for a case (test/client.py `BundleMaterials.from_dir`).
    static func conformanceArguments(_ name: String, digestMode: Bool) async throws -> [String] {
        let folder = conformance.appendingPathComponent(name)
        func file(_ leaf: String) -> String? {
            let path = folder.appendingPathComponent(leaf).path
            return FileManager.default.fileExists(atPath: path) ? path : nil
        }
        func text(_ leaf: String) throws -> String? {
            try file(leaf).map { try String(contentsOfFile: $0, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        let artifact = file("artifact") ?? conformance.appendingPathComponent("a.txt").path
        var arguments = ["verify-bundle", "--bundle", folder.appendingPathComponent("bundle.sigstore.json").path]
        if let key = file("key.pub") {
            arguments += ["--key", key]
        } else {
            arguments += ["--certificate-identity", try text("identity") ?? defaultIdentity,
                          "--certificate-oidc-issuer", try text("issuer") ?? defaultIssuer]
        }
        if let root = file("trusted_root.json") { arguments += ["--trusted-root", root] }
        if digestMode {
            arguments.append(try await sha256Digest(of: artifact))
        } else {
            arguments.append(artifact)
        }
        return arguments
    }

    /// `sha256:<hex>` of a file, from the CLI's own `digest` command.
    static func sha256Digest(of path: String) async throws -> String {
        let result = try await run(["digest", path])
        guard result.status == 0, let digest = result.out.split(separator: " ").first, digest.hasPrefix("sha256:") else {
            throw CLIError(message: "verify-image digest \(path) failed: \(result.err)")
        }
        return String(digest)
    }

    struct CLIError: Error { let message: String }

    @Test(arguments: cases, [false, true])
    func conformanceCase(_ name: String, digestMode: Bool) async throws {
        let result = try await Self.run(await Self.conformanceArguments(name, digestMode: digestMode))
        let mode = digestMode ? "DIGEST" : "PATH"
        if name.hasSuffix("fail") {
            #expect(result.status != 0, "[\(mode)-\(name)] must fail but exited 0:\n\(result.out)")
            #expect(result.status == 1 || result.status == 64, "[\(mode)-\(name)] exit \(result.status)\n\(result.err)")
        } else {
            #expect(result.status == 0, "[\(mode)-\(name)] must pass but exited \(result.status):\n\(result.out)\(result.err)")
        }
    }

    @Test func conformanceCaseCount() {
        #expect(Self.cases.count == 70)
        #expect(Self.cases.filter { $0.hasSuffix("fail") }.count == 49)
    }

    // MARK: Other real bundles

    static let githubIdentity = "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let arguments: [String]
        let passes: Bool
        var testDescription: String { name }
    }

    static func s(_ relative: String) -> String { sigstore.appendingPathComponent(relative).path }

    /// The scaffolding Rekor of sigstore-go's othername bundle, and the name it signs its checkpoints as (Rekor's
    /// `rekor_server.hostname`, which defaults to its machine's — here a pod's — name).
    static let scaffoldingCheckpointName =
        "http://rekor.rekor-system.172.18.255.1.sslip.io=rekor-00001-deployment-56bf7777c9-jds5x"

    static let realBundles: [Case] = [
        Case(name: "python github wheel (production)", arguments: ["--bundle", s("sigstore-python/bundle_v3_github.whl.sigstore"),
             "--certificate-identity", githubIdentity, "--certificate-oidc-issuer", defaultIssuer,
             s("sigstore-python/bundle_v3_github.whl")], passes: true),
        Case(name: "python github wheel, regexp identity", arguments: ["--bundle", s("sigstore-python/bundle_v3_github.whl.sigstore"),
             "--certificate-identity-regexp", "https://github\\.com/trailofbits/rfc8785\\.py/.*",
             "--certificate-oidc-issuer-regexp", "https://token\\.actions\\.githubusercontent\\.com",
             s("sigstore-python/bundle_v3_github.whl")], passes: true),
        Case(name: "python github wheel, unanchored regexp prefix", arguments: ["--bundle", s("sigstore-python/bundle_v3_github.whl.sigstore"),
             "--certificate-identity-regexp", "https://github\\.com/trailofbits/", "--certificate-oidc-issuer", defaultIssuer,
             s("sigstore-python/bundle_v3_github.whl")], passes: false),
        Case(name: "python github wheel, staging root", arguments: ["--staging", "--bundle", s("sigstore-python/bundle_v3_github.whl.sigstore"),
             "--certificate-identity", githubIdentity, "--certificate-oidc-issuer", defaultIssuer,
             s("sigstore-python/bundle_v3_github.whl")], passes: false),
        Case(name: "python github wheel, wrong identity", arguments: ["--bundle", s("sigstore-python/bundle_v3_github.whl.sigstore"),
             "--certificate-identity", githubIdentity + "x", "--certificate-oidc-issuer", defaultIssuer,
             s("sigstore-python/bundle_v3_github.whl")], passes: false),
        Case(name: "python github wheel, wrong issuer", arguments: ["--bundle", s("sigstore-python/bundle_v3_github.whl.sigstore"),
             "--certificate-identity", githubIdentity, "--certificate-oidc-issuer", "https://accounts.google.com",
             s("sigstore-python/bundle_v3_github.whl")], passes: false),
        Case(name: "python github wheel, tampered artifact", arguments: ["--bundle", s("sigstore-python/bundle_v3_github.whl.sigstore"),
             "--certificate-identity", githubIdentity, "--certificate-oidc-issuer", defaultIssuer,
             s("sigstore-python/bundle_v3.txt")], passes: false),
        Case(name: "python bundle.txt (P-384 + SHA-256)", arguments: ["--staging", "--bundle", s("sigstore-python/bundle.txt.sigstore"),
             "--certificate-identity", "a@tny.town", "--certificate-oidc-issuer", "https://github.com/login/oauth",
             s("sigstore-python/bundle.txt")], passes: true),
        Case(name: "python bundle_v3", arguments: ["--staging", "--bundle", s("sigstore-python/bundle_v3.txt.sigstore"),
             "--certificate-identity", "william@yossarian.net", "--certificate-oidc-issuer", "https://github.com/login/oauth",
             s("sigstore-python/bundle_v3.txt")], passes: true),
        Case(name: "python bundle_v3_alt", arguments: ["--staging", "--bundle", s("sigstore-python/bundle_v3_alt.txt.sigstore"),
             "--certificate-identity", "william@yossarian.net", "--certificate-oidc-issuer", "https://github.com/login/oauth",
             s("sigstore-python/bundle_v3_alt.txt")], passes: true),
        Case(name: "python staging rekor v2", arguments: ["--staging", "--bundle", s("sigstore-python/staging-rekor-v2.txt.sigstore.json"),
             "--certificate-identity", "jku@goto.fi", "--certificate-oidc-issuer", "https://github.com/login/oauth",
             s("sigstore-python/staging-rekor-v2.txt")], passes: true),
        Case(name: "python CVE-2022-36056", arguments: ["--staging", "--bundle", s("sigstore-python/bundle_cve_2022_36056.txt.sigstore"),
             "--certificate-identity", "william@yossarian.net", "--certificate-oidc-issuer", "https://github.com/login/oauth",
             s("sigstore-python/bundle_cve_2022_36056.txt")], passes: false),
        Case(name: "python no log entry", arguments: ["--staging", "--bundle", s("sigstore-python/bundle_no_log_entry.txt.sigstore"),
             "--certificate-identity", "william@yossarian.net", "--certificate-oidc-issuer", "https://github.com/login/oauth",
             s("sigstore-python/bundle_v3.txt")], passes: false),
        Case(name: "python no signed time", arguments: ["--bundle", s("sigstore-python/bundle_v3_no_signed_time.txt.sigstore.json"),
             "--certificate-identity", "william@yossarian.net", "--certificate-oidc-issuer", "https://github.com/login/oauth",
             s("sigstore-python/bundle_v3_no_signed_time.txt")], passes: false),
        Case(name: "python dsse rekor v2, artifact is not a subject", arguments: ["--staging", "--bundle",
             s("sigstore-python/a.dsse.staging-rekor-v2.txt.sigstore.json"), "--certificate-identity", defaultIdentity,
             "--certificate-oidc-issuer", defaultIssuer, s("sigstore-python/a.dsse.staging-rekor-v2.txt")], passes: false),
        Case(name: "python tsa bundle (tlog + TSA)", arguments: ["--trusted-root", s("sigstore-python/tsa/trusted_root.json"), "--bundle",
             s("sigstore-python/tsa/bundle.txt.sigstore"), "--certificate-identity", "alexis.challande@trailofbits.com",
             "--certificate-oidc-issuer", "https://accounts.google.com", s("sigstore-python/tsa/bundle.txt")], passes: true),
        Case(name: "python tsa late timestamp", arguments: ["--trusted-root", s("sigstore-python/tsa/trusted_root.json"), "--bundle",
             s("sigstore-python/tsa/bundle.txt.late_timestamp.sigstore"), "--certificate-identity-regexp", ".*",
             "--certificate-oidc-issuer-regexp", ".*", s("sigstore-python/tsa/bundle.txt")], passes: false),
        Case(name: "sigstore-go sigstore.js provenance", arguments: ["--trusted-root", s("sigstore-go/public-good.json"), "--bundle",
             s("sigstore-go/sigstore.js@2.0.0-provenance.sigstore.json"), "--certificate-identity",
             "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main", "--certificate-oidc-issuer", defaultIssuer,
             "sha512:46d4e2f74c4877316640000a6fdf8a8b59f1e0847667973e9859f774dd31b8f1e0937813b777fb66a2ac67d50540fe34640966eee9fc2ccca387082b4c85cd3c"],
             passes: true),
        Case(name: "sigstore-go sigstore.js provenance, wrong issuer", arguments: ["--trusted-root", s("sigstore-go/public-good.json"), "--bundle",
             s("sigstore-go/sigstore.js@2.0.0-provenance.sigstore.json"), "--certificate-identity-regexp",
             "https://github.com/sigstore/sigstore-js/.*", "--certificate-oidc-issuer", "https://token.actions.example.com",
             "sha512:46d4e2f74c4877316640000a6fdf8a8b59f1e0847667973e9859f774dd31b8f1e0937813b777fb66a2ac67d50540fe34640966eee9fc2ccca387082b4c85cd3c"],
             passes: false),
        Case(name: "sigstore-go dsse with 2 signatures", arguments: ["--trusted-root", s("sigstore-go/public-good.json"), "--bundle",
             s("sigstore-go/dsse-2sigs.sigstore.json"), "--certificate-identity", "brian@dehamer.com",
             "--certificate-oidc-issuer", "https://github.com/login/oauth",
             "sha256:0000000000000000000000000000000000000000000000000000000000000000"], passes: false),
        // sigstore-go's scaffolding Rekor signs its checkpoints as its pod name, not as the host of the URL its
        // trusted root gives: with the log's name the bundle passes, without it the checkpoint reads as another log's.
        Case(name: "sigstore-go othername SAN", arguments: ["--trusted-root", s("sigstore-go/scaffolding.json"), "--bundle",
             s("sigstore-go/othername.sigstore.json"), "--certificate-identity", "foo!oidc.local",
             "--certificate-oidc-issuer", "http://oidc.local:8080", "--tlog-checkpoint-name", scaffoldingCheckpointName,
             "sha256:bc103b4a84971ef6459b294a2b98568a2bfb72cded09d4acd1e16366a401f95b"], passes: true),
        Case(name: "sigstore-go othername SAN, checkpoint under another log's name", arguments: ["--trusted-root",
             s("sigstore-go/scaffolding.json"), "--bundle", s("sigstore-go/othername.sigstore.json"),
             "--certificate-identity", "foo!oidc.local", "--certificate-oidc-issuer", "http://oidc.local:8080",
             "sha256:bc103b4a84971ef6459b294a2b98568a2bfb72cded09d4acd1e16366a401f95b"], passes: false),
        Case(name: "sigstore-go othername SAN, wrong identity", arguments: ["--trusted-root", s("sigstore-go/scaffolding.json"), "--bundle",
             s("sigstore-go/othername.sigstore.json"), "--tlog-checkpoint-name", scaffoldingCheckpointName,
             "--certificate-identity", "foo@oidc.local",
             "--certificate-oidc-issuer", "http://oidc.local:8080",
             "sha256:bc103b4a84971ef6459b294a2b98568a2bfb72cded09d4acd1e16366a401f95b"], passes: false),
        Case(name: "sigstore-go public key + TSA", arguments: ["--trusted-root", s("sigstore-go/public-key-validity.json"), "--bundle",
             s("sigstore-go/public-key-validity.sigstore.json"), "--key", s("sigstore-go/public-key-validity.pem"),
             // The artifact is the 12 bytes "test content" (upstream test).
             "sha256:6ae8a75555209fd6c44157c0aed8016e763ff435a19cf186f76863140143ff72"], passes: true),
        Case(name: "sigstore-go npm provenance v0.1", arguments: ["--bundle", s("sigstore-go/bundle-provenance.json"),
             "--certificate-identity", "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
             "--certificate-oidc-issuer", defaultIssuer,
             "sha512:76176ffa33808b54602c7c35de5c6e9a4deb96066dba6533f50ac234f4f1f4c6b3527515dc17c06fbe2860030f410eee69ea20079bd3a2c6f3dcf3b329b10751"],
             passes: true),
        Case(name: "sigstore-go npm publish attestation (key)", arguments: ["--bundle", s("sigstore-go/bundle-publish.json"),
             "--key", s("sigstore-go/publish_key.pub"),
             "sha512:76176ffa33808b54602c7c35de5c6e9a4deb96066dba6533f50ac234f4f1f4c6b3527515dc17c06fbe2860030f410eee69ea20079bd3a2c6f3dcf3b329b10751"],
             passes: true),
        Case(name: "cosign OCI attestation", arguments: ["--trusted-root", s("cosign/trusted_root_pgi.json"), "--bundle",
             s("cosign/oci-attestation.sigstore.json"), "--certificate-identity", "cody@soyland.com",
             "--certificate-oidc-issuer", "https://github.com/login/oauth",
             "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4"], passes: true),
        Case(name: "cosign OCI attestation, production root", arguments: ["--bundle", s("cosign/oci-attestation.sigstore.json"),
             "--certificate-identity", "cody@soyland.com", "--certificate-oidc-issuer", "https://github.com/login/oauth",
             "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4"], passes: true),
        Case(name: "cosign OCI attestation, other digest", arguments: ["--bundle", s("cosign/oci-attestation.sigstore.json"),
             "--certificate-identity", "cody@soyland.com", "--certificate-oidc-issuer", "https://github.com/login/oauth",
             "sha256:832112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4"], passes: false),
    ]

    @Test(arguments: realBundles)
    func realBundle(_ testCase: Case) async throws {
        let result = try await Self.run(["verify-bundle"] + testCase.arguments)
        if testCase.passes {
            #expect(result.status == 0, "\(testCase.name): exit \(result.status)\n\(result.out)\(result.err)")
        } else {
            #expect(result.status == 1, "\(testCase.name): exit \(result.status)\n\(result.out)\(result.err)")
        }
    }

    @Test func aCheckpointSignedUnderAnotherNameFailsNamingTheFix() async throws {
        let arguments = ["verify-bundle", "--output", "json", "--trusted-root", Self.s("sigstore-go/scaffolding.json"),
                         "--bundle", Self.s("sigstore-go/othername.sigstore.json"), "--certificate-identity", "foo!oidc.local",
                         "--certificate-oidc-issuer", "http://oidc.local:8080",
                         "sha256:bc103b4a84971ef6459b294a2b98568a2bfb72cded09d4acd1e16366a401f95b"]
        let refused = try await Self.run(arguments)
        #expect(refused.status == 1, "\(refused.out)\(refused.err)")
        #expect(refused.out.contains("checkpoint_invalid") && refused.out.contains("--tlog-checkpoint-name"), "\(refused.out)")
        let unknownLog = try await Self.run(arguments.dropLast() + ["--tlog-checkpoint-name", "https://rekor.example.test=name",
                                                               arguments.last!])
        #expect(unknownLog.status == 64, "\(unknownLog.out)\(unknownLog.err)")
        #expect((unknownLog.out + unknownLog.err).contains("not a transparency log of the trusted root"),
                "\(unknownLog.out)\(unknownLog.err)")
    }

    // MARK: Output contract

    @Test func jsonOutputOfAPass() async throws {
        let result = try await Self.run(["verify-bundle", "--output", "json", "--bundle",
                                   Self.s("sigstore-python/bundle_v3_github.whl.sigstore"), "--certificate-identity",
                                   Self.githubIdentity, "--certificate-oidc-issuer", Self.defaultIssuer,
                                   Self.s("sigstore-python/bundle_v3_github.whl")])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        #expect(object["schemaVersion"] as? Int == 1)
        #expect(object["decision"] as? String == "pass")
        let subject = try #require((object["subjects"] as? [[String: Any]])?.first)
        let signature = try #require((subject["signatures"] as? [[String: Any]])?.first)
        #expect(signature["certificateIdentity"] as? String == Self.githubIdentity)
        #expect(signature["certificateIssuer"] as? String == Self.defaultIssuer)
        let extensions = try #require(signature["certificateExtensions"] as? [String: String])
        #expect(extensions["sourceRepositoryURI"] == "https://github.com/trailofbits/rfc8785.py")
        #expect(extensions["githubWorkflowRef"] == "refs/tags/v0.1.2")
        #expect(signature["tlogIndex"] != nil)
        let checks = try #require(signature["checks"] as? [[String: Any]])
        let names = Set(checks.compactMap { $0["name"] as? String })
        for required in ["signature", "tlog.set", "tlog.inclusion_proof", "certificate.chain", "certificate.sct", "certificate.identity"] {
            #expect(names.contains(required), "missing check \(required)")
        }
    }

    @Test func jsonOutputOfAFailureNamesCheckAndReason() async throws {
        let result = try await Self.run(["verify-bundle", "--output", "json", "--bundle",
                                   Self.s("sigstore-python/bundle_v3_github.whl.sigstore"), "--certificate-identity",
                                   "https://example.com/other", "--certificate-oidc-issuer", Self.defaultIssuer,
                                   Self.s("sigstore-python/bundle_v3_github.whl")])
        #expect(result.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        #expect(object["decision"] as? String == "fail")
        let subject = try #require((object["subjects"] as? [[String: Any]])?.first)
        #expect(subject["reasons"] as? [String] == ["identity_mismatch"])
        let failed = try #require((subject["signatures"] as? [[String: Any]])?.first?["checks"] as? [[String: Any]])
        #expect(failed.last?["name"] as? String == "certificate.identity")
        #expect(failed.last?["reason"] as? String == "identity_mismatch")
    }

    @Test func textOutputOfAFailure() async throws {
        let result = try await Self.run(["verify-bundle", "--bundle", Self.s("sigstore-python/bundle_v3_github.whl.sigstore"),
                                   "--certificate-identity", Self.githubIdentity, "--certificate-oidc-issuer", "https://accounts.google.com",
                                   Self.s("sigstore-python/bundle_v3_github.whl")])
        #expect(result.status == 1)
        #expect(result.out.contains("issuer_mismatch"))
        #expect(result.out.contains("FAILED"))
    }

    @Test(arguments: [
        ["verify-bundle", "--bundle", "x.json", "a.txt"],                                             // no identity, no key
        ["verify-bundle", "--bundle", "x.json", "--key", "k.pem", "--certificate-identity", "i", "a.txt"],
        ["verify-bundle", "--bundle", "x.json", "--certificate-identity", "i", "a.txt"],             // no issuer
        ["verify-bundle", "--bundle", "x.json", "--certificate-identity", "i", "--certificate-oidc-issuer", "u", "--output", "yaml", "a.txt"],
        ["verify-bundle", "--certificate-identity", "i", "--certificate-oidc-issuer", "u", "a.txt"],  // no bundle
    ])
    func usageErrors(_ arguments: [String]) async throws {
        #expect(try await Self.run(arguments).status == 64)
    }

    @Test func missingArtifactIsAUsageError() async throws {
        let result = try await Self.run(["verify-bundle", "--bundle", Self.s("sigstore-python/bundle_v3_github.whl.sigstore"),
                                   "--certificate-identity", Self.githubIdentity, "--certificate-oidc-issuer", Self.defaultIssuer,
                                   "/nonexistent/file"])
        #expect(result.status == 64)
    }

    @Test func missingBundleIsAUsageError() async throws {
        let result = try await Self.run(["verify-bundle", "--bundle", "/nonexistent/bundle.sigstore.json",
                                   "--certificate-identity", Self.githubIdentity, "--certificate-oidc-issuer", Self.defaultIssuer,
                                   Self.s("sigstore-python/bundle_v3_github.whl.sigstore")])
        #expect(result.status == 64)
        #expect(result.err.contains("--bundle /nonexistent/bundle.sigstore.json: no such readable file"))
    }
}
