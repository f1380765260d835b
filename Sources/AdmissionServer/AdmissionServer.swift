// AdmissionServer: `verify-image serve` — Kubernetes admission webhooks and a Gatekeeper external-data provider.
@_exported import AdmissionFormats
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import ImageGate
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals
import Synchronization

/// Loads the policies in force and names the files they come from, so the server re-loads them when one changes.
public struct PolicyLoader: Sendable {
    /// The files whose content decides (policy files, keys, trusted roots).
    public var files: [String]
    /// Builds the decider from the files as they are now.
    public var load: @Sendable () async throws -> any ImageDecider

    /// Creates a loader.
    public init(files: [String], load: @escaping @Sendable () async throws -> any ImageDecider) {
        self.files = files
        self.load = load
    }

    /// SHA-256 over the files' names and contents, as they are now.
    public var contentDigest: String { Self.contentDigest(of: files) }

    /// SHA-256 over files' names and contents (unreadable files count as empty).
    public static func contentDigest(of files: [String]) -> String {
        var bytes: [UInt8] = []
        for file in files {
            bytes += Array(file.utf8) + [0]
            bytes += HashAlgorithm.sha256.hash(FileManager.default.contents(atPath: file) ?? Data())
        }
        return HashAlgorithm.sha256.hash(bytes).hexString
    }
}

/// `verify-image serve`: HTTPS endpoints `POST /validate`, `POST /mutate`, `POST /externaldata`, `GET /metrics`,
/// `GET /healthz`, `GET /readyz` on Hummingbird 2, with TLS and policies reloaded when their files change and a
/// graceful shutdown on SIGTERM (in-flight requests are answered; `/readyz` turns 503 first).
public final class AdmissionServer: Sendable {
    /// The webhooks' logic.
    public let controller: AdmissionController
    /// The TLS material.
    public let tls: ReloadableTLS
    /// Where policies come from (nil: the decider given to the controller stays).
    public let policies: PolicyLoader?
    /// Address and port (0 picks a free port; see `onRunning`).
    public let host: String
    public let port: Int
    /// How often certificate, key and policy files are checked for changes.
    public let reloadInterval: Duration
    let logger: Logger
    private let ready = Atomic<Bool>(false)
    private let policyFingerprint: Mutex<String>

    /// Creates a server.
    public init(controller: AdmissionController, tls: ReloadableTLS, policies: PolicyLoader? = nil, host: String = "0.0.0.0",
                port: Int = 8443, reloadInterval: Duration = .seconds(10), logger: Logger) {
        self.controller = controller
        self.tls = tls
        self.policies = policies
        self.host = host
        self.port = port
        self.reloadInterval = reloadInterval
        self.logger = logger
        policyFingerprint = Mutex(policies?.contentDigest ?? "")
    }

    /// Whether `/readyz` answers 200.
    public var isReady: Bool { ready.load(ordering: .relaxed) }

    /// Runs until SIGTERM or SIGINT (or `gracefulShutdownSignals` overridden), then drains and returns.
    /// `onRunning` receives the bound port.
    public func run(gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint],
                    onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let application = try makeApplication(onRunning: onRunning)
        let group = ServiceGroup(configuration: .init(services: [application, ReloadService(server: self)],
                                                      gracefulShutdownSignals: gracefulShutdownSignals,
                                                      logger: logger))
        try await group.run()
    }

    func makeApplication(onRunning: @escaping @Sendable (Int) async -> Void) throws -> some ApplicationProtocol {
        let router = Router()
        let controller = self.controller
        let maxBody = controller.settings.maxBodyBytes
        router.post("/validate") { request, _ -> Response in
            let body = try await Self.collect(request, limit: maxBody)
            guard let body else { return Self.response(controller.refuse(Self.tooLarge(maxBody), endpoint: "validate", started: .now)) }
            return Self.response(await controller.validate(body: body, timeoutParameter: request.uri.queryParameters.get("timeout")))
        }
        router.post("/mutate") { request, _ -> Response in
            let body = try await Self.collect(request, limit: maxBody)
            guard let body else { return Self.response(controller.refuse(Self.tooLarge(maxBody), endpoint: "mutate", started: .now)) }
            return Self.response(await controller.mutate(body: body, timeoutParameter: request.uri.queryParameters.get("timeout")))
        }
        router.post("/externaldata") { request, _ -> Response in
            let body = try await Self.collect(request, limit: maxBody)
            guard let body else { return Self.response(controller.refuse(Self.tooLarge(maxBody), endpoint: "externaldata", started: .now)) }
            return Self.response(await controller.externalData(body: body))
        }
        router.get("/metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: controller.metrics.render())))
        }
        router.get("/healthz") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/readyz") { [self] _, _ -> Response in
            let ready = isReady
            return Response(status: ready ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain"],
                            body: .init(byteBuffer: ByteBuffer(string: ready ? "ready\n" : "not ready\n")))
        }
        let server = try HTTPServerBuilder.tls(.http1(), tlsConfiguration: tls.serverConfiguration())
        return Application(router: router, server: server,
                           configuration: .init(address: .hostname(host, port: port), serverName: "verify-image"),
                           onServerRunning: { [self] channel in
                               ready.store(true, ordering: .relaxed)
                               let port = channel.localAddress?.port ?? self.port
                               logger.info("serving", metadata: ["address": "\(host):\(port)"])
                               await onRunning(port)
                           },
                           logger: logger)
    }

    /// The body, or nil when it is larger than `limit`.
    static func collect(_ request: Request, limit: Int) async throws -> [UInt8]? {
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            return nil
        }
    }

    static func tooLarge(_ limit: Int) -> AdmissionError {
        AdmissionError(.bodyTooLarge, "the body is larger than \(limit) bytes, the most this server accepts")
    }

    static func response(_ answer: HTTPAnswer) -> Response {
        Response(status: .init(code: answer.status), headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    // MARK: - Reloading

    /// Re-reads TLS material and policies when their files changed; failures keep what is in use and are logged and
    /// counted.
    public func reloadIfChanged() async {
        do {
            if try tls.reloadIfChanged() {
                controller.metrics.reload(what: "tls", succeeded: true)
                logger.info("reloaded the TLS certificate", metadata: ["certificate": "\(tls.certificatePath)"])
            }
        } catch {
            controller.metrics.reload(what: "tls", succeeded: false)
            logger.error("kept the TLS certificate in use", metadata: ["error": "\(error)"])
        }
        guard let policies else { return }
        let fingerprint = policies.contentDigest
        guard fingerprint != policyFingerprint.withLock({ $0 }) else { return }
        do {
            let decider = try await policies.load()
            controller.replaceDecider(decider)
            policyFingerprint.withLock { $0 = fingerprint }
            controller.metrics.reload(what: "policies", succeeded: true)
            logger.info("reloaded the policies", metadata: ["policyDigest": "\(decider.policyDigest)"])
        } catch {
            // Remember the broken content so it is not re-parsed (and re-logged) every interval.
            policyFingerprint.withLock { $0 = fingerprint }
            controller.metrics.reload(what: "policies", succeeded: false)
            logger.error("kept the policies in use", metadata: ["error": "\(error)"])
        }
    }

    /// Marks the server not ready (the first step of a graceful shutdown).
    func stopBeingReady() { ready.store(false, ordering: .relaxed) }
}

/// Polls the TLS and policy files; on graceful shutdown turns `/readyz` to 503 first.
struct ReloadService: Service {
    let server: AdmissionServer

    func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: server.reloadInterval) }
                } catch {
                    break
                }
                await server.reloadIfChanged()
            }
        } onGracefulShutdown: {
            server.stopBeingReady()
        }
    }
}
