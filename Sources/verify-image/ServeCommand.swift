import AdmissionServer
import ArgumentParser
import Foundation
import ImageGate
import Logging

/// `verify-image serve`: the gate at admission — a Kubernetes validating and mutating webhook and a Gatekeeper
/// external-data provider over HTTPS, deciding with the same verifier and flags as `verify`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the admission webhooks (POST /validate, /mutate, /externaldata) over HTTPS.",
        discussion: """
            Every image of an admitted Pod or workload must be pinned by digest and verify under the policy given by \
            the verification flags (as for `verify`). Endpoints: POST /validate, POST /mutate, POST /externaldata, \
            GET /metrics, GET /healthz, GET /readyz. The certificate, key and policy files are re-read when they \
            change. SIGTERM drains in-flight requests and exits.
            """
    )

    @Option(name: .customLong("policy"), help: "ClusterImagePolicy file or folder (policy-controller v1beta1/v1alpha1); repeatable. Without it, the verification flags are the policy.")
    var policies: [String] = []

    @Option(name: .customLong("no-match"), help: "With --policy: an image no policy matches is denied (deny), warned about (warn) or allowed (allow).")
    var noMatch = "deny"

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain of the server (leaf first); re-read when it changes.")
    var tlsCertificate: String

    @Option(name: .customLong("tls-key"), help: "PEM private key of the server; re-read when it changes.")
    var tlsKey: String

    @Option(name: .customLong("tls-client-ca"), help: "Require client certificates issued by this PEM CA (mutual TLS, as Gatekeeper uses).")
    var tlsClientCA: String?

    @Option(name: .customLong("listen"), help: "HOST:PORT to listen on.")
    var listen = "0.0.0.0:8443"

    @Option(name: .customLong("mode"), help: "enforce (deny failures) or warn (allow them with warnings).")
    var mode: ServeMode = .enforce

    @Option(name: .customLong("deadline"), help: "Answer every request within this many seconds (Kubernetes waits 10 by default).")
    var deadline: Double = 8

    @Option(name: .customLong("cache-ttl"), help: "Seconds a verdict is reused.")
    var cacheTTL: Double = 300

    @Option(name: .customLong("cache-size"), help: "Most verdicts kept.")
    var cacheSize = 10_000

    @Option(name: .customLong("reload-interval"), help: "Seconds between checks of the certificate, key and policy files.")
    var reloadInterval: Double = 10

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @OptionGroup(title: "Verification")
    var verification: VerificationOptions

    func validate() throws {
        _ = try listenAddress()
        guard deadline > 0 && deadline <= 30 else { throw ValidationError("--deadline \(deadline): give seconds between 0 and 30 (Kubernetes allows webhooks at most 30)") }
        guard cacheTTL >= 0 else { throw ValidationError("--cache-ttl \(cacheTTL): give seconds, 0 or more") }
        guard cacheSize > 0 else { throw ValidationError("--cache-size \(cacheSize): give a positive count") }
        guard reloadInterval > 0 else { throw ValidationError("--reload-interval \(reloadInterval): give positive seconds") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level \(logLevel): give trace, debug, info, notice, warning, error or critical") }
        if policies.isEmpty {
            try verification.validateForVerification()
        } else {
            guard GateOptions.NoMatch(rawValue: noMatch) != nil else { throw ValidationError("--no-match must be deny, warn or allow, not \(noMatch)") }
            try verification.source.validateSource()
        }
    }

    /// `--listen` split into host and port.
    func listenAddress() throws -> (host: String, port: Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65_535).contains(port) else {
            throw ValidationError("--listen \(listen): give HOST:PORT, e.g. 0.0.0.0:8443")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ValidationError("--listen \(listen): the host is missing; e.g. 0.0.0.0:8443") }
        return (host, port)
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = JSONLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "verify-image.serve")
        let (host, port) = try listenAddress()
        let loader = policyLoader()
        let decider: any ImageDecider
        do {
            decider = try await loader.load()
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("\(error)")
        }
        let tls = try usage { try ReloadableTLS(certificatePath: tlsCertificate, keyPath: tlsKey, clientCAPath: tlsClientCA) }
        var settings = AdmissionSettings()
        settings.deadline = .milliseconds(Int(deadline * 1000))
        settings.cacheTimeToLive = .milliseconds(Int(cacheTTL * 1000))
        settings.cacheCapacity = cacheSize
        let controller = AdmissionController(decider: decider, settings: settings, logger: logger)
        let server = AdmissionServer(controller: controller, tls: tls, policies: loader, host: host, port: port,
                                     reloadInterval: .milliseconds(Int(reloadInterval * 1000)), logger: logger)
        try await server.run { port in
            // One line on standard output, for scripts that started the server on port 0.
            FileHandle.standardOutput.write(Data("listening on \(host):\(port)\n".utf8))
        }
    }

    /// The policies: the ClusterImagePolicy files given with --policy (through `Gate`), else the verification flags;
    /// re-made when one of their files changes.
    func policyLoader() -> PolicyLoader {
        if !policies.isEmpty { return policyFileLoader() }
        let options = verification
        let files = options.keys + [options.trustedRoot, options.certificateChain].compactMap { $0 }
        let enforcement: Enforcement = mode == .warn ? .warn : .enforce
        let description = CommandLine.arguments.dropFirst().joined(separator: "\u{0}")
        let loader = PolicyLoader(files: files) { [files] in
            let verifier = try await options.makeVerifier()
            let digest = HashAlgorithm.sha256.hash(Array((description + "\u{0}" + PolicyLoader.contentDigest(of: files)).utf8)).hexString
            return VerifierDecider(verifier: verifier, policyDigest: digest, mode: enforcement, name: "flags")
        }
        return loader
    }
}

extension ServeCommand {
    /// ClusterImagePolicy files through `Gate`: the files (every YAML file of a folder) are watched.
    func policyFileLoader() -> PolicyLoader {
        let paths = policies
        let source = verification.source
        var options = GateOptions()
        options.noMatch = GateOptions.NoMatch(rawValue: noMatch) ?? .deny
        let files = paths.flatMap { path -> [String] in
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else { return [path] }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { "\(path)/\($0)" }
        }
        let gateOptions = options
        return PolicyLoader(files: files) {
            let set = try PolicySet.load(paths: paths)
            let gate = try Gate(policies: set, source: try source.makeSource(), options: gateOptions)
            let digest = HashAlgorithm.sha256.hash(Array((PolicyLoader.contentDigest(of: files) + "\u{0}no-match=\(gateOptions.noMatch.rawValue)").utf8)).hexString
            return GateDecider(gate: gate, policyDigest: digest)
        }
    }
}

/// `--mode` values.
enum ServeMode: String, ExpressibleByArgument, CaseIterable {
    case enforce, warn
}
