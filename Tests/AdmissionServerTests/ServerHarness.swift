import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import TestSupport
@testable import AdmissionFormats
@testable import AdmissionServer
@testable import ImageGate

/// Fixtures and a server on loopback for the end-to-end tests.
enum Fixtures {
    static let root = PackagePaths.root
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
    static let tls = "testdata/serve/tls"

    /// A review or provider request from testdata/serve/reviews with `$NAME` placeholders replaced.
    static func body(_ name: String, _ substitutions: [String: String]) throws -> [UInt8] {
        var text = try String(contentsOfFile: path("testdata/serve/reviews/\(name).json"), encoding: .utf8)
        for (key, value) in substitutions.sorted(by: { $0.key.count > $1.key.count }) {
            text = text.replacingOccurrences(of: "$" + key, with: value)
        }
        return Array(text.utf8)
    }

    /// The image digest a fixture layout under testdata/images/layouts holds.
    static func digest(_ layout: String) throws -> String {
        let data = try Data(contentsOf: root.appendingPathComponent("testdata/images/layouts/\(layout)/index.json"))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let entries = object?["manifests"] as? [[String: Any]] ?? []
        let entry = entries.first { (($0["annotations"] as? [String: String])?["kind"] ?? "").hasSuffix("/image") }
            ?? entries.first { ($0["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"] != nil }
        guard let digest = entry?["digest"] as? String else { throw AdmissionError(.malformedBody, "no image in \(layout)") }
        return digest
    }

    static let environment = ProcessInfo.processInfo.environment
    /// The plain-HTTP test registry of scripts/registries.sh.
    static let registry = environment["IV_REGISTRY_HTTP"] ?? ""
    static let registriesAvailable = !registry.isEmpty && !(environment["IV_REGISTRY_DOWN"] ?? "").isEmpty

    /// The real verifier over the test registry: the fixture signer's key, no transparency log (the fixtures are
    /// offline key-based signatures).
    static func verifierDecider(mode: Enforcement = .enforce, timeout: Double = 5) throws -> VerifierDecider {
        let key = try PublicKey(pem: String(contentsOfFile: path("testdata/images/keys/signer.pub"), encoding: .utf8))
        let policy = try VerificationPolicy(trust: .init(), signers: .keys([key]), insecureIgnoreTransparencyLog: true)
        var options = RemoteRegistry.Options()
        options.allowHTTP = true
        options.timeout = timeout
        options.requestTimeout = timeout
        let verifier = try ImageVerifier(source: try RemoteRegistry(options: options), policy: policy)
        return VerifierDecider(verifier: verifier, policyDigest: "test-\(mode.rawValue)", mode: mode, name: "test")
    }
}

/// A server started on 127.0.0.1 with a free port; stopped with `stop()`.
final class RunningServer: Sendable {
    let server: AdmissionServer
    let port: Int
    private let task: Task<Void, any Error>

    private init(server: AdmissionServer, port: Int, task: Task<Void, any Error>) {
        self.server = server
        self.port = port
        self.task = task
    }

    static func start(decider: any ImageDecider, settings: AdmissionSettings = AdmissionSettings(),
                      tls: ReloadableTLS? = nil, policies: PolicyLoader? = nil) async throws -> RunningServer {
        let tls = try tls ?? ReloadableTLS(certificatePath: Fixtures.path("\(Fixtures.tls)/server-a.crt"),
                                           keyPath: Fixtures.path("\(Fixtures.tls)/server-a.key"))
        var logger = Logger(label: "serve-test")
        logger.logLevel = .warning
        let controller = AdmissionController(decider: decider, settings: settings, logger: logger)
        let server = AdmissionServer(controller: controller, tls: tls, policies: policies, host: "127.0.0.1", port: 0,
                                     reloadInterval: .milliseconds(100), logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let task = Task { try await server.run(gracefulShutdownSignals: [], onRunning: { continuation.yield($0) }) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw AdmissionError(.listenAddressInvalid, "the server did not start") }
        return RunningServer(server: server, port: port, task: task)
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}

/// Runs `body` against a server started with `decider` and a fresh client, and stops both afterwards, also when
/// `body` throws.
func withServer(decider: any ImageDecider, settings: AdmissionSettings,
                _ body: (RunningServer, TestClient) async throws -> Void) async throws {
    let server = try await RunningServer.start(decider: decider, settings: settings)
    let client = try TestClient()
    do {
        try await body(server, client)
    } catch {
        await client.shutdown()
        await server.stop()
        throw error
    }
    await client.shutdown()
    await server.stop()
}

/// An HTTPS client trusting one of the test CAs (a new connection per client).
struct TestClient {
    let client: HTTPClient

    /// `connectTimeout` also bounds the wait for a pooled connection: short only where a handshake is meant to fail.
    init(trusting ca: String = "ca-a", certificate: String? = nil, connectTimeout: Int64 = 120) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(Fixtures.path("\(Fixtures.tls)/\(ca).crt")))
        if let certificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(Fixtures.path("\(Fixtures.tls)/\(certificate).crt")).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: Fixtures.path("\(Fixtures.tls)/\(certificate).key"), format: .pem))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.connectionPool.idleTimeout = .seconds(1)
        configuration.timeout.connect = .seconds(connectTimeout)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func send(_ method: HTTPMethod = .POST, port: Int, path: String, body: [UInt8]? = nil) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)\(path)")
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json")
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(request, timeout: .seconds(600))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), String(buffer: bytes))
    }

    func shutdown() async { try? await client.shutdown() }
}

/// The `response` of an AdmissionReview answer.
struct ReviewAnswer {
    var uid: String
    var allowed: Bool
    var message: String
    var warnings: [String]
    var patch: [[String: String]]

    init(_ text: String) throws {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        guard object?["apiVersion"] as? String == "admission.k8s.io/v1", object?["kind"] as? String == "AdmissionReview",
              let response = object?["response"] as? [String: Any] else {
            throw AdmissionError(.malformedBody, "not an AdmissionReview answer: \(text)")
        }
        uid = response["uid"] as? String ?? ""
        allowed = response["allowed"] as? Bool ?? false
        message = (response["status"] as? [String: Any])?["message"] as? String ?? ""
        warnings = response["warnings"] as? [String] ?? []
        if let encoded = response["patch"] as? String, let data = Data(base64Encoded: encoded) {
            patch = (try JSONSerialization.jsonObject(with: data) as? [[String: String]]) ?? []
        } else {
            patch = []
        }
    }
}

/// A counter's value from the Prometheus text.
func metricValue(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double {
    var total = 0.0
    for line in text.split(separator: "\n") where line.hasPrefix(name) && !line.hasPrefix("#") {
        let matches = labels.allSatisfy { line.contains("\($0.key)=\"\($0.value)\"") }
        let afterName = line.dropFirst(name.count)
        guard matches, afterName.first == "{" || afterName.first == " " else { continue }
        total += Double(line.split(separator: " ").last ?? "") ?? 0
    }
    return total
}
