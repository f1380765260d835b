import AsyncHTTPClient
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import AdmissionServer
@testable import ImageGate

/// A registry that stops while the server runs and then comes back: a real docker-registry process (CNCF
/// distribution, on PATH from scripts/test.sh) serving the plain-HTTP test registry's storage on a port of its own,
/// killed and started again on the same port.
@Suite(.serialized, .enabled(if: RecoveryFixtures.available,
                             "needs docker-registry on PATH and the test registries' storage: run scripts/test.sh"))
struct RegistryRecoveryTests {

    @Test func aRegistryThatStopsDeniesWithItsReasonAndIsUsedAgainWhenItReturns() async throws {
        let registry = try LocalRegistry(binary: RecoveryFixtures.binary!, storage: RecoveryFixtures.storage)
        defer { registry.stop() }
        try await registry.start()
        // No retries and a breaker that never opens: each request sees the registry as it is at that moment.
        let key = try PublicKey(pem: String(contentsOfFile: Fixtures.path("testdata/images/keys/signer.pub"), encoding: .utf8))
        let policy = try VerificationPolicy(trust: .init(), signers: .keys([key]), insecureIgnoreTransparencyLog: true)
        var options = RemoteRegistry.Options()
        options.allowHTTP = true
        options.maximumRetries = 0
        options.circuitBreakerThreshold = 1000
        options.requestTimeout = 30
        let verifier = try ImageVerifier(source: try RemoteRegistry(options: options), policy: policy)
        let decider = VerifierDecider(verifier: verifier, policyDigest: "recovery", mode: .enforce, name: "recovery")
        var settings = AdmissionSettings()
        settings.deadline = .seconds(600)
        try await withServer(decider: decider, settings: settings) { server, client in
            try await exercise(registry, server, client)
        }
    }

    func exercise(_ registry: LocalRegistry, _ server: RunningServer, _ client: TestClient) async throws {
        let image = { (layout: String) in "\(registry.host)/demo/\(layout)@\(try Fixtures.digest(layout))" }
        func review(_ layout: String) async throws -> ReviewAnswer {
            let body = try Fixtures.body("pod", ["IMAGE": try image(layout), "INIT_IMAGE": try image(layout)])
            let answer = try await client.send(port: server.port, path: "/validate", body: body)
            #expect(answer.status == 200, "\(answer.body)")
            return try ReviewAnswer(answer.body)
        }

        // Up: allowed (and its verdict cached).
        #expect(try await review("app-v1").allowed)
        // Down: an image not yet decided is denied with the registry's reason; the cached verdict still serves.
        registry.stop()
        let down = try await review("app-v2")
        #expect(!down.allowed)
        #expect(down.message.hasPrefix("[registry_unreachable] Container "), "\(down.message)")
        #expect(try await review("app-v1").allowed, "a cached pass needs no registry")
        let metrics = try await client.send(.GET, port: server.port, path: "/metrics").body
        #expect(metricValue(metrics, "verify_image_registry_errors_total", ["reason": "registry_unreachable"]) >= 1, "\(metrics)")
        // Back: the same image is verified and allowed (an unreachable registry's answer was never cached).
        try await registry.start()
        let back = try await review("app-v2")
        #expect(back.allowed, "\(back.message)")
    }
}

enum RecoveryFixtures {
    /// The plain-HTTP test registry's storage folder (scripts/registries.sh).
    static let storage = Fixtures.environment["IV_REGISTRY_HTTP_STORAGE"] ?? ""
    static let binary = (Fixtures.environment["PATH"] ?? "").split(separator: ":")
        .map { "\($0)/docker-registry" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    static var available: Bool { Fixtures.registriesAvailable && !storage.isEmpty && binary != nil }
}

/// A docker-registry process on 127.0.0.1 over an existing storage folder, startable again on the same port.
final class LocalRegistry: @unchecked Sendable {
    let binary: String
    let host: String
    private let config: URL
    private var process: Process?

    init(binary: String, storage: String) throws {
        self.binary = binary
        host = "127.0.0.1:\(try LocalRegistry.freePort())"
        config = FileManager.default.temporaryDirectory.appendingPathComponent("iv-recovery-\(UUID().uuidString).yml")
        let yaml = """
            version: 0.1
            log: {level: error, accesslog: {disabled: true}}
            storage: {filesystem: {rootdirectory: \(storage)}, delete: {enabled: false}}
            http: {addr: \(host)}

            """
        try Data(yaml.utf8).write(to: config)
    }

    /// Starts the process and waits until `GET /v2/` answers.
    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", config.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        for _ in 0..<200 {
            var request = HTTPClientRequest(url: "http://\(host)/v2/")
            request.method = .GET
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)), response.status.code == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw AdmissionError(.listenAddressInvalid, "docker-registry did not answer on \(host)")
    }

    /// Kills the process and waits for it to exit (its port is then refused).
    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: config)
    }

    /// A port the kernel just handed out on 127.0.0.1.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw AdmissionError(.listenAddressInvalid, "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else { throw AdmissionError(.listenAddressInvalid, "no free port on 127.0.0.1") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
