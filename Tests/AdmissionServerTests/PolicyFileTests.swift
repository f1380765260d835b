import Foundation
import Testing
@testable import AdmissionServer
@testable import ImageGate

/// `serve --policy`: ClusterImagePolicy files decide through `Gate`, over the test registry.
@Suite(.serialized, .enabled(if: Fixtures.registriesAvailable, "needs the test registries: run scripts/test.sh (it starts them and sets IV_REGISTRY_*)"))
struct PolicyFileTests {
    static func policy(mode: String) throws -> String {
        let key = try String(contentsOfFile: Fixtures.path("testdata/images/keys/signer.pub"), encoding: .utf8)
        return """
        apiVersion: policy.sigstore.dev/v1beta1
        kind: ClusterImagePolicy
        metadata: {name: demo-signed}
        spec:
          mode: \(mode)
          images: [{glob: "\(Fixtures.registry)/demo/**"}]
          authorities:
            - name: fixture-key
              key:
                data: |
        \(key.split(separator: "\n").map { "              " + $0 }.joined(separator: "\n"))
        """
    }

    func decider(mode: String) throws -> GateDecider {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("serve-policy-\(UUID().uuidString).yaml")
        try Self.policy(mode: mode).write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        var options = RemoteRegistry.Options()
        options.allowHTTP = true
        options.timeout = 300
        let gate = try Gate(policies: try PolicySet.load(paths: [file.path]), source: try RemoteRegistry(options: options))
        return GateDecider(gate: gate, policyDigest: PolicyLoader.contentDigest(of: [file.path]) + mode)
    }

    @Test func enforcedPolicyAllowsSignedAndDeniesUnsignedAndUnmatched() async throws {
        let server = try await RunningServer.start(decider: try decider(mode: "enforce"), settings: EndToEndTests.settings)
        let client = try TestClient()
        let signed = "\(Fixtures.registry)/demo/app-v1@\(try Fixtures.digest("app-v1"))"
        let unsigned = "\(Fixtures.registry)/demo/unsigned@\(try Fixtures.digest("unsigned"))"
        let allowed = try ReviewAnswer(try await client.send(port: server.port, path: "/validate",
                                                             body: try Fixtures.body("pod", ["IMAGE": signed, "INIT_IMAGE": signed])).body)
        #expect(allowed.allowed, "\(allowed.message)")
        let denied = try ReviewAnswer(try await client.send(port: server.port, path: "/validate",
                                                            body: try Fixtures.body("pod", ["IMAGE": unsigned, "INIT_IMAGE": signed])).body)
        #expect(!denied.allowed)
        #expect(denied.message.contains("unsigned") && denied.message.contains("(policy demo-signed)"), "\(denied.message)")
        // No policy matches another registry's image: denied by default (--no-match deny).
        let other = "registry.example/app@\(try Fixtures.digest("app-v1"))"
        let unmatched = try ReviewAnswer(try await client.send(port: server.port, path: "/validate",
                                                               body: try Fixtures.body("pod", ["IMAGE": other, "INIT_IMAGE": signed])).body)
        #expect(!unmatched.allowed, "\(unmatched.message)")
        await client.shutdown()
        await server.stop()
    }

    @Test func warnPolicyAllowsWithWarnings() async throws {
        let server = try await RunningServer.start(decider: try decider(mode: "warn"), settings: EndToEndTests.settings)
        let client = try TestClient()
        let unsigned = "\(Fixtures.registry)/demo/unsigned@\(try Fixtures.digest("unsigned"))"
        let answer = try ReviewAnswer(try await client.send(port: server.port, path: "/validate",
                                                            body: try Fixtures.body("pod", ["IMAGE": unsigned, "INIT_IMAGE": unsigned])).body)
        #expect(answer.allowed, "\(answer.message)")
        #expect(!answer.warnings.isEmpty)
        #expect(answer.warnings.allSatisfy { $0.contains("unsigned") }, "\(answer.warnings)")
        await client.shutdown()
        await server.stop()
    }
}
