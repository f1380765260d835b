import Foundation
import TestSupport
import Testing

/// End-to-end: `verify-image` against the real registries scripts/test.sh starts (plain HTTP, TLS with a private CA,
/// TLS + basic auth, token auth), on images pushed from testdata/images/layouts. Skipped without them.
/// Whether scripts/test.sh started the test registries (IV_REGISTRY_* set).
enum RegistryCLIEnvironment {
    static let available = ["IV_REGISTRY_HTTP", "IV_REGISTRY_TLS", "IV_REGISTRY_AUTH", "IV_REGISTRY_TOKEN", "IV_REGISTRY_CA"]
        .allSatisfy { !(ProcessInfo.processInfo.environment[$0] ?? "").isEmpty }
}

@Suite(.enabled(if: RegistryCLIEnvironment.available, "needs the test registries: run scripts/test.sh (it starts them and sets IV_REGISTRY_*)"))
struct RegistryCLITests {
    static let env = ProcessInfo.processInfo.environment
    static let root = VerifyImageCLI.packageRoot
    static let key = root.appendingPathComponent("testdata/images/keys/signer.pub").path

    /// The image digest a fixture layout holds.
    static func digest(_ layout: String) throws -> String {
        let data = try Data(contentsOf: root.appendingPathComponent("testdata/images/layouts/\(layout)/index.json"))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let entries = object?["manifests"] as? [[String: Any]] ?? []
        let entry = entries.first { (($0["annotations"] as? [String: String])?["kind"] ?? "").range(of: #"/image(Index)?$"#, options: .regularExpression) != nil }
            ?? entries.first { ($0["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"] == "latest" }
        return try #require(entry?["digest"] as? String)
    }

    /// Runs verify-image with a private cache folder (so every run talks to the registry) and no Docker config.
    static func run(_ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("iv-cli-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cache) }
        let result = try await VerifyImageCLI.run(arguments, environment: ["XDG_CACHE_HOME": cache.path,
                                                                    "DOCKER_CONFIG": cache.appendingPathComponent("docker").path])
        return (result.status, result.out, result.err)
    }

    /// The verdict's reason codes from `--output json`.
    static func reasons(_ json: String) -> [String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let subjects = object["subjects"] as? [[String: Any]] else { return [] }
        return subjects.flatMap { $0["reasons"] as? [String] ?? [] }
    }

    enum Kind: String, CaseIterable { case http, tls, auth, token }

    static func flags(_ kind: Kind) -> (host: String, flags: [String]) {
        let user = env["IV_REGISTRY_USER"] ?? "", password = env["IV_REGISTRY_PASSWORD"] ?? ""
        switch kind {
        case .http: return (env["IV_REGISTRY_HTTP"] ?? "", [])
        case .tls: return (env["IV_REGISTRY_TLS"] ?? "", ["--registry-cacert", env["IV_REGISTRY_CA"] ?? ""])
        case .auth: return (env["IV_REGISTRY_AUTH"] ?? "", ["--registry-cacert", env["IV_REGISTRY_CA"] ?? "",
                                                            "--registry-username", user, "--registry-password", password])
        case .token: return (env["IV_REGISTRY_TOKEN"] ?? "", ["--registry-username", user, "--registry-password", password])
        }
    }

    @Test(arguments: Kind.allCases)
    func cosignAndSkopeoSignedImagesPass(kind: Kind) async throws {
        let (host, flags) = Self.flags(kind)
        for layout in ["app-v1", "app-v2", "oci11"] {
            let image = "\(host)/demo/\(layout)@\(try Self.digest(layout))"
            let result = try await Self.run(["verify", image, "--key", Self.key, "--insecure-ignore-tlog", "--output", "json"] + flags)
            #expect(result.status == 0, "\(kind) \(layout): \(result.out) \(result.err)")
            #expect(result.out.contains(#""decision":"pass""#) || result.out.contains(#""decision" : "pass""#), "\(result.out)")
        }
    }

    @Test(arguments: [("unsigned", "no_signatures_found"), ("other", "no_matching_signature"),
                      ("replay", "no_matching_signature")])
    func badImagesFailWithTheirReason(layout: String, reason: String) async throws {
        for kind in [Kind.http, .tls, .auth] {
            let (host, flags) = Self.flags(kind)
            let image = "\(host)/demo/\(layout)@\(try Self.digest(layout))"
            let result = try await Self.run(["verify", image, "--key", Self.key, "--insecure-ignore-tlog", "--output", "json"] + flags)
            #expect(result.status == 1, "\(kind) \(layout): \(result.out) \(result.err)")
            #expect(Self.reasons(result.out).contains(reason), "\(kind) \(layout): \(result.out)")
        }
    }

    @Test func attestationsOverTheRegistry() async throws {
        let (host, flags) = Self.flags(.tls)
        let image = "\(host)/demo/app-v1@\(try Self.digest("app-v1"))"
        let result = try await Self.run(["verify", image, "--key", Self.key, "--insecure-ignore-tlog", "--attestations",
                                   "--type", "slsaprovenance"] + flags)
        #expect(result.status == 0, "\(result.out) \(result.err)")
    }

    @Test func aTagResolvesButFailsTheGateUnlessAllowed() async throws {
        let (host, flags) = Self.flags(.http)
        let base = ["verify", "\(host)/demo/app-v1:latest", "--key", Self.key, "--insecure-ignore-tlog", "--output", "json"] + flags
        let strict = try await Self.run(base)
        #expect(strict.status == 1)
        #expect(Self.reasons(strict.out).contains("not_digest_pinned"))
        #expect(strict.out.contains(try Self.digest("app-v1")))
        #expect(try await Self.run(base + ["--allow-tags"]).status == 0)
    }

    @Test func aStoppedRegistryIsIndeterminate() async throws {
        let host = Self.env["IV_REGISTRY_DOWN"] ?? "127.0.0.1:9"
        let result = try await Self.run(["verify", "\(host)/demo/app-v1@\(try Self.digest("app-v1"))", "--key", Self.key,
                                   "--insecure-ignore-tlog", "--output", "json"])
        #expect(result.status == 2, "\(result.out) \(result.err)")
        #expect(Self.reasons(result.out).contains("registry_unreachable"), "\(result.out)")
    }

    @Test func missingCredentialsAreIndeterminateAndNeverPrintTheSecret() async throws {
        let (host, _) = Self.flags(.auth)
        let image = "\(host)/demo/app-v1@\(try Self.digest("app-v1"))"
        let anonymous = try await Self.run(["verify", image, "--key", Self.key, "--insecure-ignore-tlog", "--output", "json",
                                      "--registry-cacert", Self.env["IV_REGISTRY_CA"] ?? ""])
        #expect(anonymous.status == 2)
        #expect(Self.reasons(anonymous.out).contains("registry_unauthorized"), "\(anonymous.out)")
        let secret = "s3cret-\(UUID().uuidString)"
        let wrong = try await Self.run(["verify", image, "--key", Self.key, "--insecure-ignore-tlog",
                                  "--registry-cacert", Self.env["IV_REGISTRY_CA"] ?? "",
                                  "--registry-username", "tester", "--registry-password", secret])
        #expect(wrong.status == 2)
        #expect(!(wrong.out + wrong.err).contains(secret))
    }

    @Test func untrustedTLSIsIndeterminateUnlessInsecureIsAllowed() async throws {
        let (host, _) = Self.flags(.tls)
        let image = "\(host)/demo/app-v1@\(try Self.digest("app-v1"))"
        let base = ["verify", image, "--key", Self.key, "--insecure-ignore-tlog"]
        #expect(try await Self.run(base).status == 2)
        #expect(try await Self.run(base + ["--allow-insecure-registry"]).status == 0)
    }
}
