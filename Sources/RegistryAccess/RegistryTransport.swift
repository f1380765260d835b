import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// One HTTP answer read in full (bounded).
struct RegistryResponse: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: [UInt8]
    /// The URL that answered (after redirects), for messages.
    let url: String

    func header(_ name: String) -> String? { headers.first(name: name) }
}

/// The process-wide HTTP client: redirects are followed by hand (so `Authorization` never crosses hosts), TLS is
/// set per request (per registry), no transparent decompression (digests are over the bytes served).
enum SharedHTTPClient {
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        configuration.connectionPool = .init(idleTimeout: .seconds(30))
        // As many connections per host as RemoteRegistry lets requests be in flight (Options.maximumConcurrentRequests
        // defaults to 16): a request never waits in the pool's queue behind a limit of its own.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 16
        // RemoteRegistry retries itself (bounded, with backoff, under its deadline and circuit breaker); the pool's
        // own retries would hold every refused connection until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}

/// The HTTP layer under ``RemoteRegistry``: which scheme a registry answers on, TLS per registry, one request with
/// bounded retries, backoff, `Retry-After`, redirects followed by hand, the per-request timeout and the overall
/// deadline, the per-registry concurrency limit and circuit breaker. It knows nothing of manifests or tokens.
final class RegistryTransport: Sendable {
    /// The options in force (timeouts, retries, TLS, limits).
    let options: RemoteRegistry.Options
    let hosts: RegistryHostTable
    let deadline: NIODeadline?
    let baseTLS: TLSConfiguration
    let extraRoots: [NIOSSLCertificate]

    /// Reads the CA files at once and starts the overall deadline.
    /// - Throws: ``RegistryError`` `tls_error` when a CA file cannot be read as PEM certificates.
    init(options: RemoteRegistry.Options) throws {
        self.options = options
        var roots: [NIOSSLCertificate] = []
        for file in options.caCertificateFiles {
            do {
                roots += try NIOSSLCertificate.fromPEMFile(file)
            } catch {
                throw RegistryError(.tlsError, "CA certificate file \(file) could not be read as PEM certificates: \(error)",
                                    location: file)
            }
        }
        extraRoots = roots
        var tls = TLSConfiguration.makeClientConfiguration()
        if options.allowInsecureTLS { tls.certificateVerification = .none }
        baseTLS = tls
        deadline = options.timeout.map { .now() + .nanoseconds(Int64(max(0, $0) * 1e9)) }
        let limit = options.maximumConcurrentRequests, threshold = options.circuitBreakerThreshold
        let cooldown = TimeAmount.nanoseconds(Int64(options.circuitBreakerCooldown * 1e9))
        hosts = RegistryHostTable { host in
            RegistryHostState(host: host, maximumConcurrency: limit, breakerThreshold: threshold, breakerCooldown: cooldown)
        }
    }

    /// The TLS configuration for `host`: base + extra roots + `certs.d/<host>/ca.crt` when present.
    func tlsConfiguration(for host: String) -> TLSConfiguration {
        var tls = baseTLS
        var roots = extraRoots
        for dir in options.certsDirectories {
            let file = dir + "/" + host + "/ca.crt"
            if FileManager.default.fileExists(atPath: file), let certs = try? NIOSSLCertificate.fromPEMFile(file) {
                roots += certs
            }
        }
        if !roots.isEmpty { tls.additionalTrustRoots = [.certificates(roots)] }
        return tls
    }

    /// The state for `domain`'s registry and its base URL (`scheme://host`), probed once for all callers: HTTPS
    /// first, then plain HTTP with ``RemoteRegistry/Options/allowHTTP``; plain HTTP first for a loopback host.
    func endpoint(_ domain: String) async throws -> (RegistryHostState, String) {
        let host = RemoteRegistry.apiHost(domain)
        let state = await hosts.state(for: host)
        let base = try await state.base { try await self.probe(state) }
        return (state, base)
    }

    /// `GET /v2/` over each allowed scheme until one answers; the answer's challenge says how to authenticate.
    /// When no scheme answers, the error says what each one did (so its attempt count and time limit are true).
    ///
    /// A loopback host is asked in plain HTTP first: traffic that never leaves the machine gains nothing from TLS,
    /// and the usual local registry (plain HTTP) is then found without a TLS handshake that must fail and without
    /// building a TLS context (which reads and parses the system's CA bundle). A TLS server asked in plain HTTP answers
    /// 400 or drops the connection, and HTTPS is asked next. Any other host is asked in HTTPS first, so that
    /// `--allow-http-registry` never downgrades a registry that speaks TLS.
    func probe(_ state: RegistryHostState) async throws -> (String, AuthChallenge) {
        let host = state.host
        let schemes = RemoteRegistry.isLoopback(host) ? ["http", "https"] : options.allowHTTP ? ["https", "http"] : ["https"]
        var failures: [RegistryError] = []
        for scheme in schemes {
            let base = "\(scheme)://\(host)"
            let response: RegistryResponse
            do {
                let probing = scheme == schemes.first && schemes.count > 1
                response = try await send(state, url: base + "/v2/", method: .GET, headers: [:], maxBody: 64 << 10,
                                          what: "the API root of \(host)",
                                          timeout: probing ? min(options.probeTimeout, options.requestTimeout) : nil,
                                          retries: probing ? 0 : nil)
            } catch let error as RegistryError where error.code == .unreachable || error.code == .tlsError {
                failures.append(error)
                continue
            }
            // A TLS server asked in plain HTTP answers 400: ask it in HTTPS next, or, when HTTPS was asked first and
            // failed, that failure is the one to report.
            if scheme == "http", response.status == 400 {
                if scheme != schemes.last { continue }
                if let first = failures.first { throw first }
            }
            var challenge = AuthChallenge.none
            if response.status == 401 {
                challenge = response.header("WWW-Authenticate").flatMap(AuthChallenge.parse) ?? .none
            }
            return (base, challenge)
        }
        guard let first = failures.first else { throw RegistryError(.unreachable, "registry \(host) did not answer") }
        if failures.count == 1 { throw first }
        let each = zip(schemes, failures).map { scheme, error in "\(scheme == "https" ? "HTTPS" : "plain HTTP"): \(error.message)" }
        throw RegistryError(first.code, "registry \(host) did not answer over any allowed scheme; " + each.joined(separator: "; then "),
                            location: first.location)
    }

    /// Checks the overall deadline.
    func checkDeadline(_ what: String) throws {
        if let deadline, NIODeadline.now() >= deadline {
            throw RegistryError(.timeout, "the overall timeout (\(options.timeout ?? 0) s) ran out while fetching \(what); raise --timeout or check the registry")
        }
    }

    /// "1 attempt", "3 attempts".
    static func attempts(_ count: Int) -> String { count == 1 ? "1 attempt" : "\(count) attempts" }

    /// One request with retries (connection errors, 5xx), `Retry-After` on 429, the circuit breaker and the
    /// concurrency limit, following redirects. Returns any final status; the body is read up to `maxBody` bytes.
    ///
    /// Each attempt takes at most the per-request timeout (`timeout`, else ``RemoteRegistry/Options/requestTimeout``)
    /// and everything at most the overall deadline. An attempt that got no answer in its time is not repeated: it
    /// already took the whole limit, and a registry that accepts connections and never answers would otherwise
    /// cost the limit once per retry.
    func send(_ state: RegistryHostState, url: String, method: HTTPMethod, headers: HTTPHeaders, body: [UInt8]? = nil,
              maxBody: Int, what: String, timeout: Double? = nil, retries: Int? = nil) async throws -> RegistryResponse {
        let maximumRetries = retries ?? options.maximumRetries
        var attempt = 0
        while true {
            try checkDeadline(what)
            try await state.checkBreaker()
            let outcome: Result<RegistryResponse, RegistryError>
            var unanswered = false
            await state.acquire()
            do {
                outcome = .success(try await executeFollowingRedirects(state, url: url, method: method, headers: headers,
                                                                       body: body, maxBody: maxBody, what: what,
                                                                       timeout: timeout))
            } catch let error as RegistryError {
                outcome = .failure(error)
            } catch let error as NoAnswer {
                outcome = .failure(error.error)
                unanswered = true
            } catch {
                outcome = .failure(RegistryError(.unreachable, "\(what): \(error)"))
            }
            await state.release()
            var retryAfter: Double?
            switch outcome {
            case .success(let response) where response.status >= 500:
                await state.recordFailure()
                if attempt >= maximumRetries {
                    throw RegistryError(.serverError, "registry \(state.host) answered HTTP \(response.status) for \(what) \(attempt + 1) times\(Self.errorSuffix(response.body)); try again later",
                                        location: Self.redact(response.url))
                }
            case .success(let response) where response.status == 429:
                await state.recordSuccess()
                let wait = response.header("Retry-After").flatMap(Double.init) ?? options.retryBaseDelay * pow(2, Double(attempt))
                guard attempt < maximumRetries, wait <= options.maximumRetryAfter else {
                    throw RegistryError(.rateLimited, "registry \(state.host) is rate-limiting requests (HTTP 429 for \(what)\(response.header("Retry-After").map { ", Retry-After \($0) s" } ?? ""), \(Self.attempts(attempt + 1)))\(Self.errorSuffix(response.body)); try again later or authenticate",
                                        location: Self.redact(response.url))
                }
                retryAfter = wait
            case .success(let response):
                await state.recordSuccess()
                return response
            case .failure(let error):
                guard error.code == .unreachable else { throw error }
                await state.recordFailure()
                if unanswered {
                    throw RegistryError(.unreachable, "\(error.message) (\(Self.attempts(attempt + 1)); an attempt that got no answer is not repeated)",
                                        location: error.location)
                }
                if attempt >= maximumRetries {
                    throw RegistryError(.unreachable, "\(error.message) (\(Self.attempts(attempt + 1)))", location: error.location)
                }
            }
            let delay = retryAfter ?? options.retryBaseDelay * pow(2, Double(attempt)) * Double.random(in: 0.5...1.0)
            if let deadline, NIODeadline.now() + .nanoseconds(Int64(delay * 1e9)) >= deadline {
                throw RegistryError(.timeout, "the overall timeout (\(options.timeout ?? 0) s) would run out before retrying \(what) (after \(Self.attempts(attempt + 1))); raise --timeout or check the registry")
            }
            try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            attempt += 1
        }
    }

    /// Executes a request, following up to 5 redirects by hand; `Authorization` is dropped when a redirect leaves
    /// the registry's scheme, host and port.
    func executeFollowingRedirects(_ state: RegistryHostState, url: String, method: HTTPMethod, headers: HTTPHeaders,
                                   body: [UInt8]?, maxBody: Int, what: String,
                                   timeout: Double? = nil) async throws -> RegistryResponse {
        var current = url
        var headers = headers
        let origin = Self.origin(of: url)
        for _ in 0...5 {
            let response = try await execute(current, method: method, headers: headers, body: body, maxBody: maxBody,
                                             what: what, timeout: timeout)
            guard [301, 302, 303, 307, 308].contains(response.status), let location = response.header("Location") else {
                return response
            }
            guard let next = URL(string: location, relativeTo: URL(string: current))?.absoluteString,
                  next.hasPrefix("https://") || next.hasPrefix("http://") else {
                throw RegistryError(.invalidResponse, "\(what): the registry redirected to an invalid location")
            }
            if next.hasPrefix("http://") && current.hasPrefix("https://") {
                throw RegistryError(.invalidResponse, "\(what): the registry redirected from HTTPS to plain HTTP; refusing")
            }
            if Self.origin(of: next) != origin { headers.remove(name: "Authorization") }
            current = next
        }
        throw RegistryError(.invalidResponse, "\(what): more than 5 redirects")
    }

    /// `scheme://host:port` of a URL.
    static func origin(of url: String) -> String {
        guard let u = URLComponents(string: url) else { return url }
        return "\(u.scheme ?? "")://\(u.host ?? ""):\(u.port.map(String.init) ?? "")"
    }

    /// A URL without its query (signed redirect URLs carry credentials in the query).
    static func redact(_ url: String) -> String {
        url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
    }

    /// An attempt that got no answer within its time limit (connection, TLS handshake, response head or body).
    struct NoAnswer: Error {
        let error: RegistryError
    }

    /// One HTTP exchange, the body included, within the per-request time limit and the overall deadline.
    /// Connection and TLS failures become ``RegistryError``; no answer in time is ``NoAnswer`` (or `timeout` when
    /// the overall deadline is what ran out).
    func execute(_ url: String, method: HTTPMethod, headers: HTTPHeaders, body: [UInt8]? = nil, maxBody: Int,
                 what: String, timeout: Double? = nil) async throws -> RegistryResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers = headers
        request.headers.replaceOrAdd(name: "User-Agent", value: "image-verifier")
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        if let host = URLComponents(string: url).flatMap({ u in u.host.map { h in u.port.map { "\(h):\($0)" } ?? h } }) {
            request.tlsConfiguration = tlsConfiguration(for: host)
        }
        let limit = timeout ?? options.requestTimeout
        let ownDeadline = NIODeadline.now() + .nanoseconds(Int64(limit * 1e9))
        let requestDeadline = deadline.map { min($0, ownDeadline) } ?? ownDeadline
        let shown = Self.redact(url)
        let prepared = request
        do {
            // AsyncHTTPClient's deadline ends with the response head; the race bounds the body as well.
            return try await Self.race(requestDeadline) {
                let response = try await SharedHTTPClient.client.execute(prepared, deadline: requestDeadline)
                let status = Int(response.status.code)
                if method == .HEAD {
                    return RegistryResponse(status: status, headers: response.headers, body: [], url: url)
                }
                if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > maxBody,
                   (200..<300).contains(status) {
                    throw RegistryError(.tooLarge, "\(what) is \(length) bytes by its Content-Length; the limit is \(maxBody)",
                                        location: shown)
                }
                // Error bodies are read only up to 64 KiB (enough for the error document).
                let bodyLimit = (200..<300).contains(status) ? maxBody : min(maxBody, 64 << 10)
                do {
                    let buffer = try await response.body.collect(upTo: bodyLimit)
                    return RegistryResponse(status: status, headers: response.headers,
                                            body: Array(buffer.readableBytesView), url: url)
                } catch is NIOTooManyBytesError {
                    if !(200..<300).contains(status) { return RegistryResponse(status: status, headers: response.headers, body: [], url: url) }
                    throw RegistryError(.tooLarge, "\(what) is larger than the limit of \(maxBody) bytes", location: shown)
                }
            }
        } catch let error as RegistryError {
            throw error
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout
                    || error == .connectTimeout || error == .tlsHandshakeTimeout {
            if let deadline, NIODeadline.now() >= deadline {
                throw RegistryError(.timeout, "the overall timeout (\(options.timeout ?? 0) s) ran out while fetching \(what) from \(shown); raise --timeout or check the registry",
                                    location: shown)
            }
            throw NoAnswer(error: RegistryError(.unreachable, "\(what): \(shown) did not answer within \(limit) s",
                                                location: shown))
        } catch let error as NIOSSLError {
            throw RegistryError(.tlsError, "\(what): TLS with \(shown) failed (\(error)); give the registry's CA with --registry-cacert or certs.d/<host:port>/ca.crt, or --allow-insecure-registry",
                                location: shown)
        } catch let error as BoringSSLError {
            throw RegistryError(.tlsError, "\(what): TLS with \(shown) failed (\(error)); give the registry's CA with --registry-cacert or certs.d/<host:port>/ca.crt, or --allow-insecure-registry",
                                location: shown)
        } catch is CancellationError {
            throw RegistryError(.timeout, "\(what): cancelled", location: shown)
        } catch {
            throw RegistryError(.unreachable, "\(what): could not reach \(shown): \(error)", location: shown)
        }
    }

    /// `operation`'s result, or `HTTPClientError.deadlineExceeded` once `deadline` passes (the operation is then
    /// cancelled).
    static func race<T: Sendable>(_ deadline: NIODeadline,
                                  _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                let wait = (deadline - .now()).nanoseconds
                if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait)) }
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw HTTPClientError.deadlineExceeded }
            return value
        }
    }

    /// ` (registry said: CODE: message)` when the body is the registry's error document.
    static func errorSuffix(_ body: [UInt8]) -> String {
        RegistryErrorBody(body).map { " (registry said: \($0.summary))" } ?? ""
    }
}

/// The registry's error document `{"errors":[{"code","message","detail"}]}`, summarized for messages.
struct RegistryErrorBody {
    let codes: [String]
    let summary: String

    init?(_ body: [UInt8]) {
        struct Doc: Decodable {
            struct Entry: Decodable { let code: String?; let message: String? }
            let errors: [Entry]?
        }
        guard !body.isEmpty, body.count < 64 << 10,
              let doc = try? JSONDecoder().decode(Doc.self, from: Data(body)), let errors = doc.errors, !errors.isEmpty
        else { return nil }
        codes = errors.compactMap(\.code)
        summary = errors.prefix(3).map { e in
            [e.code, e.message].compactMap { $0 }.joined(separator: ": ")
        }.joined(separator: "; ")
    }
}
