import Foundation
import Testing
@testable import AdmissionFormats
@testable import AdmissionServer
@testable import ImageGate

/// The server on loopback with TLS, driven with real AdmissionReview and ProviderRequest bodies, verifying with the
/// real verifier against the test registry (scripts/test.sh starts it and sets IV_REGISTRY_*).
@Suite(.serialized, .enabled(if: Fixtures.registriesAvailable, "needs the test registries: run scripts/test.sh (it starts them and sets IV_REGISTRY_*)"))
struct EndToEndTests {
    static func image(_ layout: String) throws -> String { "\(Fixtures.registry)/demo/\(layout)@\(try Fixtures.digest(layout))" }

    /// Deadlines far beyond any verification: on a 2-core machine other suites (CPU-bound mutation tests) can hold
    /// the cooperative threads for minutes, and a deadline answer here would be right but not what is tested. The
    /// deadline logic has tests of its own (VerdictCacheTests).
    static var settings: AdmissionSettings {
        var settings = AdmissionSettings()
        settings.deadline = .seconds(600)
        return settings
    }

    func withServer(mode: Enforcement = .enforce, settings: AdmissionSettings = EndToEndTests.settings,
                    _ body: (RunningServer, TestClient) async throws -> Void) async throws {
        try await AdmissionServerTests.withServer(decider: try Fixtures.verifierDecider(mode: mode, timeout: 300), settings: settings, body)
    }

    func review(_ client: TestClient, _ server: RunningServer, _ fixture: String, _ substitutions: [String: String],
                path: String = "/validate") async throws -> ReviewAnswer {
        let answer = try await client.send(port: server.port, path: path, body: try Fixtures.body(fixture, substitutions))
        #expect(answer.status == 200, "\(answer.body)")
        return try ReviewAnswer(answer.body)
    }

    @Test func signedPinnedPodIsAllowed() async throws {
        try await withServer { server, client in
            let answer = try await review(client, server, "pod", ["IMAGE": try Self.image("app-v1"), "INIT_IMAGE": try Self.image("app-v2")])
            #expect(answer.allowed, "\(answer.message)")
            #expect(answer.uid == "705ab4f5-6393-11e8-b7cc-42010a800002")
            #expect(answer.warnings.isEmpty)
        }
    }

    @Test(arguments: [("unsigned", "no_signatures_found"), ("other", "no_matching_signature"), ("replay", "no_matching_signature")])
    func badlySignedImagesAreDeniedWithTheirReason(layout: String, reason: String) async throws {
        try await withServer { server, client in
            let image = try Self.image(layout)
            let answer = try await review(client, server, "deployment", ["IMAGE": image, "SIDECAR_IMAGE": try Self.image("app-v1")])
            #expect(!answer.allowed)
            #expect(answer.message.hasPrefix("[\(reason)"), "\(answer.message)")
            #expect(answer.message.contains("Container nginx (spec.template.spec.containers[0]) of Deployment shop/nginx is not allowed: image \(image)"),
                    "\(answer.message)")
            #expect(!answer.message.contains("sidecar"), "the signed sidecar is not named: \(answer.message)")
        }
    }

    @Test func unpinnedImageIsDeniedLikeGatekeeperWouldWithTheFix() async throws {
        try await withServer { server, client in
            let answer = try await review(client, server, "pod", ["IMAGE": "nginx:latest", "INIT_IMAGE": try Self.image("app-v1")])
            #expect(!answer.allowed)
            #expect(answer.message.hasPrefix("[not_digest_pinned] Container app (spec.containers[0]) of Pod default/web must use an image digest: image nginx:latest"),
                    "\(answer.message)")
            #expect(answer.message.contains("NAME@sha256:"))
        }
    }

    @Test func fakeDigestIsDenied() async throws {
        try await withServer { server, client in
            let fake = "\(Fixtures.registry)/demo/app-v1@sha256:" + "3d4b6343a304e1f2b5c6d7e8f90112233445566778899aabbccddeeff00112f9"
            let answer = try await review(client, server, "rollout", ["IMAGE": fake])
            #expect(!answer.allowed)
            #expect(answer.message.hasPrefix("[image_not_found] Container checkout (spec.template.spec.containers[0]) of Rollout shop/checkout"),
                    "\(answer.message)")
            let placeholder = try await review(client, server, "cronjob", ["IMAGE": "nginx@sha256:" + String(repeating: "a", count: 64)])
            #expect(!placeholder.allowed)
            #expect(placeholder.message.hasPrefix("[invalid_reference] Container report"), "\(placeholder.message)")
        }
    }

    @Test func warnModeAllowsWithWarnings() async throws {
        try await withServer(mode: .warn) { server, client in
            let answer = try await review(client, server, "pod", ["IMAGE": try Self.image("unsigned"), "INIT_IMAGE": "busybox"])
            #expect(answer.allowed)
            #expect(answer.warnings.count == 2, "\(answer.warnings)")
            #expect(answer.warnings.contains { $0.hasPrefix("[no_signatures_found] Container app") }, "\(answer.warnings)")
            #expect(answer.warnings.contains { $0.hasPrefix("[not_digest_pinned] Init container init") }, "\(answer.warnings)")
        }
    }

    @Test func mutationPinsTagsToTheirDigest() async throws {
        try await withServer { server, client in
            let tagged = "\(Fixtures.registry)/demo/app-v1:latest"
            let answer = try await review(client, server, "deployment", ["IMAGE": tagged, "SIDECAR_IMAGE": try Self.image("app-v2")],
                                          path: "/mutate")
            #expect(answer.allowed)
            #expect(answer.patch == [["op": "replace", "path": "/spec/template/spec/containers/0/image",
                                      "value": "\(tagged)@\(try Fixtures.digest("app-v1"))"]])
            // A tag that does not exist cannot be pinned: denied, fail closed.
            let missing = try await review(client, server, "pod", ["IMAGE": "\(Fixtures.registry)/demo/app-v1:no-such-tag", "INIT_IMAGE": try Self.image("app-v1")],
                                           path: "/mutate")
            #expect(!missing.allowed)
            #expect(missing.message.hasPrefix("[image_not_found] Container app"), "\(missing.message)")
        }
    }

    @Test func gatekeeperProviderAnswersPerKey() async throws {
        try await withServer { server, client in
            let signed = try Self.image("app-v1"), unsigned = try Self.image("unsigned")
            let body = try Fixtures.body("provider-request", ["IMAGE": signed, "SIDECAR_IMAGE": unsigned])
            let first = try await client.send(port: server.port, path: "/externaldata", body: body)
            let second = try await client.send(port: server.port, path: "/externaldata", body: body)
            #expect(first.status == 200)
            #expect(first.body == second.body, "idempotent")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(first.body.utf8)) as? [String: Any])
            #expect(object["kind"] as? String == "ProviderResponse")
            #expect(object["apiVersion"] as? String == "externaldata.gatekeeper.sh/v1beta1")
            let response = try #require(object["response"] as? [String: Any])
            #expect(response["idempotent"] as? Bool == true)
            let items = try #require(response["items"] as? [[String: Any]])
            #expect(items.map { $0["key"] as? String } == [signed, unsigned])
            #expect(items[0]["error"] == nil)
            #expect((items[0]["value"] as? [String: Any])?["decision"] as? String == "pass")
            #expect((items[1]["error"] as? String)?.hasPrefix("no_signatures_found: ") == true, "\(items[1])")
            // Unusable requests: a systemError, never an item that passes.
            let bad = try await client.send(port: server.port, path: "/externaldata", body: Array(#"{"kind":"ProviderRequest"}"#.utf8))
            #expect(bad.body.contains(#""systemError":"expected kind ProviderRequest"#), "\(bad.body)")
        }
    }

    @Test func aStoppedRegistryDeniesWithItsReason() async throws {
        try await withServer { server, client in
            let down = Fixtures.environment["IV_REGISTRY_DOWN"]!
            let image = "\(down)/demo/app-v1@\(try Fixtures.digest("app-v1"))"
            let answer = try await review(client, server, "pod", ["IMAGE": image, "INIT_IMAGE": try Self.image("app-v1")])
            #expect(!answer.allowed)
            #expect(answer.message.hasPrefix("[registry_unreachable] Container app"), "\(answer.message)")
            let metrics = try await client.send(.GET, port: server.port, path: "/metrics")
            #expect(metricValue(metrics.body, "verify_image_registry_errors_total", ["reason": "registry_unreachable"]) >= 1, "\(metrics.body)")
        }
    }

    @Test func aHundredConcurrentRequestsForANewImageVerifyItOnce() async throws {
        try await withServer { server, client in
            let body = try Fixtures.body("pod", ["IMAGE": try Self.image("app-v2"), "INIT_IMAGE": try Self.image("oci11")])
            let statuses = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<100 {
                    group.addTask { try ReviewAnswer(try await client.send(port: server.port, path: "/validate", body: body).body).allowed }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(statuses.count == 100 && statuses.allSatisfy { $0 })
            let metrics = try await client.send(.GET, port: server.port, path: "/metrics").body
            #expect(metricValue(metrics, "verify_image_verifications_total") == 2, "one per image: \(metrics)")
            #expect(metricValue(metrics, "verify_image_admission_requests_total", ["endpoint": "validate", "decision": "allowed"]) == 100)
            #expect(metricValue(metrics, "verify_image_admission_request_duration_seconds_count", ["endpoint": "validate"]) == 100, "\(metrics)")
        }
    }

    @Test func malformedBodiesGetA400AndTheServerKeepsServing() async throws {
        var settings = Self.settings
        settings.maxBodyBytes = 64 << 10
        try await withServer(settings: settings) { server, client in
            for (body, code) in [("not json", "malformed_body"), (#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}"#, "unsupported_api_version"),
                                 (String(repeating: " ", count: 70_000), "body_too_large")] {
                let answer = try await client.send(port: server.port, path: "/validate", body: Array(body.utf8))
                #expect(answer.status == (code == "body_too_large" ? 413 : 400), "\(answer)")
                #expect(answer.body.contains(#""code":"\#(code)""#), "\(answer.body)")
            }
            let health = try await client.send(.GET, port: server.port, path: "/healthz")
            #expect(health.status == 200)
            let ready = try await client.send(.GET, port: server.port, path: "/readyz")
            #expect(ready.status == 200)
            let answer = try await review(client, server, "pod", ["IMAGE": try Self.image("app-v1"), "INIT_IMAGE": try Self.image("app-v1")])
            #expect(answer.allowed)
        }
    }
}
