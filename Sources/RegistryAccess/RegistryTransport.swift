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

    /// The state for `domain`'s registry, pinged once: HTTPS first, plain HTTP only where allowed.
    func endpoint(_ domain: String) async throws -> (RegistryHostState, String) {
        let host = RemoteRegistry.apiHost(domain)
        let state = await hosts.state(for: host)
        if let base = await state.baseURL { return (state, base) }
        let schemes = options.allowHTTP || RemoteRegistry.isLoopback(host) ? ["https", "http"] : ["https"]
        var firstError: RegistryError?
        for scheme in schemes {
            let base = "\(scheme)://\(host)"
            do {
                let probing = scheme == "https" && schemes.count > 1
                let response = try await send(state, url: base + "/v2/", method: .GET, headers: [:], maxBody: 64 << 10,
                                              what: "the API root of \(host)",
                                              timeout: probing ? min(options.probeTimeout, options.requestTimeout) : nil,
                                              retries: probing ? 0 : nil)
                if scheme == "http", response.status == 400, let firstError { throw firstError }
                var challenge = AuthChallenge.none
                if response.status == 401 {
                    challenge = response.header("WWW-Authenticate").flatMap(AuthChallenge.parse) ?? .none
                }
                await state.setBase(base, challenge: challenge)
                return (state, base)
            } catch let error as RegistryError where error.code == .unreachable || error.code == .tlsError {
                if firstError == nil { firstError = error }
            }
        }
        throw firstError ?? RegistryError(.unreachable, "registry \(host) did not answer")
    }


    /// Checks the overall deadline.
    func checkDeadline(_ what: String) throws {
        if let deadline, NIODeadline.now() >= deadline {
            throw RegistryError(.timeout, "the overall timeout (\(options.timeout ?? 0) s) ran out while fetching \(what); raise --timeout or check the registry")
        }
    }

    /// One request with retries (connection errors, 5xx), `Retry-After` on 429, the circuit breaker and the
    /// concurrency limit, following redirects. Returns any final status; the body is read up to `maxBody` bytes.
    func send(_ state: RegistryHostState, url: String, method: HTTPMethod, headers: HTTPHeaders, maxBody: Int,
              what: String, timeout: Double? = nil, retries: Int? = nil) async throws -> RegistryResponse {
        let maximumRetries = retries ?? options.maximumRetries
        var attempt = 0
        while true {
            try checkDeadline(what)
            try await state.checkBreaker()
            let outcome: Result<RegistryResponse, RegistryError>
            await state.acquire()
            do {
                outcome = .success(try await executeFollowingRedirects(state, url: url, method: method, headers: headers,
                                                                       maxBody: maxBody, what: what, timeout: timeout))
            } catch let error as RegistryError {
                outcome = .failure(error)
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
                    throw RegistryError(.rateLimited, "registry \(state.host) is rate-limiting requests (HTTP 429 for \(what)\(response.header("Retry-After").map { ", Retry-After \($0) s" } ?? ""))\(Self.errorSuffix(response.body)); try again later or authenticate",
                                        location: Self.redact(response.url))
                }
                retryAfter = wait
            case .success(let response):
                await state.recordSuccess()
                return response
            case .failure(let error):
                guard error.code == .unreachable else { throw error }
                await state.recordFailure()
                if attempt >= maximumRetries {
                    throw RegistryError(.unreachable, "\(error.message) (after \(attempt + 1) attempts)", location: error.location)
                }
            }
            let delay = retryAfter ?? options.retryBaseDelay * pow(2, Double(attempt)) * Double.random(in: 0.5...1.0)
            if let deadline, NIODeadline.now() + .nanoseconds(Int64(delay * 1e9)) >= deadline {
                throw RegistryError(.timeout, "the overall timeout (\(options.timeout ?? 0) s) would run out before retrying \(what); raise --timeout or check the registry")
            }
            try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            attempt += 1
        }
    }

    /// Executes a request, following up to 5 redirects by hand; `Authorization` is dropped when a redirect leaves
    /// the registry's scheme, host and port.
    func executeFollowingRedirects(_ state: RegistryHostState, url: String, method: HTTPMethod, headers: HTTPHeaders,
                                   maxBody: Int, what: String, timeout: Double? = nil) async throws -> RegistryResponse {
        var current = url
        var headers = headers
        let origin = Self.origin(of: url)
        for _ in 0...5 {
            let response = try await execute(current, method: method, headers: headers, maxBody: maxBody, what: what,
                                             timeout: timeout)
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

    /// One HTTP exchange; connection, TLS and timeout failures become ``RegistryError``.
    func execute(_ url: String, method: HTTPMethod, headers: HTTPHeaders, maxBody: Int,
                 what: String, timeout: Double? = nil) async throws -> RegistryResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers = headers
        request.headers.replaceOrAdd(name: "User-Agent", value: "image-verifier")
        if let host = URLComponents(string: url).flatMap({ u in u.host.map { h in u.port.map { "\(h):\($0)" } ?? h } }) {
            request.tlsConfiguration = tlsConfiguration(for: host)
        }
        let limit = timeout ?? options.requestTimeout
        var requestDeadline = NIODeadline.now() + .nanoseconds(Int64(limit * 1e9))
        if let deadline, deadline < requestDeadline { requestDeadline = deadline }
        let shown = Self.redact(url)
        do {
            let response = try await SharedHTTPClient.client.execute(request, deadline: requestDeadline)
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
            var body: [UInt8] = []
            do {
                let buffer = try await response.body.collect(upTo: bodyLimit)
                body = Array(buffer.readableBytesView)
            } catch is NIOTooManyBytesError {
                if !(200..<300).contains(status) { return RegistryResponse(status: status, headers: response.headers, body: [], url: url) }
                throw RegistryError(.tooLarge, "\(what) is larger than the limit of \(maxBody) bytes", location: shown)
            }
            return RegistryResponse(status: status, headers: response.headers, body: body, url: url)
        } catch let error as RegistryError {
            throw error
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout
                    || error == .connectTimeout || error == .tlsHandshakeTimeout {
            if let deadline, NIODeadline.now() >= deadline {
                throw RegistryError(.timeout, "the overall timeout (\(options.timeout ?? 0) s) ran out while fetching \(what) from \(shown); raise --timeout or check the registry",
                                    location: shown)
            }
            throw RegistryError(.unreachable, "\(what): \(shown) did not answer within \(limit) s",
                                location: shown)
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

    /// ` (registry said: CODE: message)` when the body is the registry's error document.
    static func errorSuffix(_ body: [UInt8]) -> String {
        RegistryErrorBody(body).map { " (registry said: \($0.summary))" } ?? ""
    }


    /// A form POST (the OAuth2 identity-token exchange), no retries beyond the transport's.
    func post(_ url: String, form: String, what: String) async throws -> RegistryResponse {
        try checkDeadline(what)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: form))
        if let host = URLComponents(string: url).flatMap({ u in u.host.map { h in u.port.map { "\(h):\($0)" } ?? h } }) {
            request.tlsConfiguration = tlsConfiguration(for: host)
        }
        do {
            let response = try await SharedHTTPClient.client.execute(request, timeout: .seconds(Int64(options.requestTimeout)))
            let body = try await response.body.collect(upTo: 1 << 20)
            return RegistryResponse(status: Int(response.status.code), headers: response.headers,
                                    body: Array(body.readableBytesView), url: url)
        } catch {
            throw RegistryError(.unreachable, "\(what): \(error)")
        }
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
