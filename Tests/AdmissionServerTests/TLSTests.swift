import AsyncHTTPClient
import Foundation
import Testing
@testable import AdmissionFormats
@testable import AdmissionServer

/// TLS from files: reloaded when they change, a broken pair refused while the old one keeps serving, mutual TLS.
@Suite(.serialized)
struct TLSTests {
    static let tls = Fixtures.path(Fixtures.tls)

    /// Copies a server certificate and key into a fresh folder (the test rewrites them there).
    func workingCopy(_ name: String) throws -> (folder: URL, certificate: String, key: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("serve-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let certificate = folder.appendingPathComponent("tls.crt").path, key = folder.appendingPathComponent("tls.key").path
        try FileManager.default.copyItem(atPath: "\(Self.tls)/\(name).crt", toPath: certificate)
        try FileManager.default.copyItem(atPath: "\(Self.tls)/\(name).key", toPath: key)
        return (folder, certificate, key)
    }

    func healthz(_ port: Int, trusting ca: String, certificate: String? = nil) async -> Int? {
        guard let client = try? TestClient(trusting: ca, certificate: certificate, connectTimeout: 5) else { return nil }
        defer { Task { await client.shutdown() } }
        return try? await client.send(.GET, port: port, path: "/healthz").status
    }

    @Test func aRotatedCertificateIsServedWithoutARestart() async throws {
        let files = try workingCopy("server-a")
        defer { try? FileManager.default.removeItem(at: files.folder) }
        let tls = try ReloadableTLS(certificatePath: files.certificate, keyPath: files.key)
        let server = try await RunningServer.start(decider: RefusingDecider(), tls: tls)
        #expect(await healthz(server.port, trusting: "ca-a") == 200)
        #expect(await healthz(server.port, trusting: "ca-b") == nil)
        // cert-manager writes the new pair; the next connections get it.
        try Data(contentsOf: URL(fileURLWithPath: "\(Self.tls)/server-b.key")).write(to: URL(fileURLWithPath: files.key))
        try Data(contentsOf: URL(fileURLWithPath: "\(Self.tls)/server-b.crt")).write(to: URL(fileURLWithPath: files.certificate))
        var served: Int?
        let givingUp = ContinuousClock.now + .seconds(300)  // the reload runs every 100 ms; this only bounds a stall
        while served == nil && ContinuousClock.now < givingUp {
            try await Task.sleep(for: .milliseconds(100))
            served = await healthz(server.port, trusting: "ca-b")
        }
        #expect(served == 200)
        #expect(await healthz(server.port, trusting: "ca-a") == nil)
        let metrics = try await {
            let client = try TestClient(trusting: "ca-b")
            defer { Task { await client.shutdown() } }
            return try await client.send(.GET, port: server.port, path: "/metrics").body
        }()
        #expect(metricValue(metrics, "verify_image_reloads_total", ["what": "tls", "result": "ok"]) == 1, "\(metrics)")
        await server.stop()
    }

    @Test func aKeyThatDoesNotMatchIsRefusedAndTheOldPairKeepsServing() async throws {
        let files = try workingCopy("server-a")
        defer { try? FileManager.default.removeItem(at: files.folder) }
        let tls = try ReloadableTLS(certificatePath: files.certificate, keyPath: files.key)
        try Data(contentsOf: URL(fileURLWithPath: "\(Self.tls)/stray.key")).write(to: URL(fileURLWithPath: files.key))
        #expect(throws: AdmissionError.self) { try tls.reloadIfChanged() }
        let server = try await RunningServer.start(decider: RefusingDecider(), tls: tls)
        #expect(await healthz(server.port, trusting: "ca-a") == 200)
        await server.stop()
        #expect(throws: AdmissionError.self) {
            try ReloadableTLS(certificatePath: files.certificate, keyPath: files.key)
        }
    }

    @Test func mutualTLSRequiresAClientCertificateFromTheClientCA() async throws {
        let tls = try ReloadableTLS(certificatePath: "\(Self.tls)/server-a.crt", keyPath: "\(Self.tls)/server-a.key",
                                    clientCAPath: "\(Self.tls)/client-ca.crt")
        let server = try await RunningServer.start(decider: RefusingDecider(), tls: tls)
        #expect(await healthz(server.port, trusting: "ca-a") == nil)
        #expect(await healthz(server.port, trusting: "ca-a", certificate: "gatekeeper") == 200)
        #expect(await healthz(server.port, trusting: "ca-a", certificate: "server-b") == nil)
        await server.stop()
    }
}
