import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import OCIImage

/// A ``ContentSource`` over the OCI distribution API (and Docker Registry HTTP API v2), on AsyncHTTPClient.
///
/// - Pull side: manifests by tag (`HEAD`, then by digest) and digest with an `Accept` header listing OCI and Docker
///   manifests and indexes; blobs, following redirects without forwarding `Authorization` to another host; tag
///   lists and referrers with `Link` pagination. Every manifest and blob is hashed and checked against the digest it
///   was asked for; a manifest fetched by tag is checked against the `Docker-Content-Digest` the registry sent.
/// - Referrers: the API when the registry answers 2xx; nil (the caller falls back to the `sha256-<hex>` tag) on
///   404, 400 or 406.
/// - Auth: anonymous, Basic, and the Docker token flow (anonymous or with credentials, identity tokens by OAuth2
///   POST), tokens reused per scope until they expire. Credentials come from ``Options/credentials`` or a
///   ``DockerCredentialStore``; they never appear in errors.
/// - TLS: system roots plus ``Options/caCertificateFiles`` and `certs.d/<host:port>/ca.crt`; verification can be
///   switched off (``Options/allowInsecureTLS``). Plain HTTP only with ``Options/allowHTTP`` or for loopback hosts,
///   and then only after HTTPS did not answer. `docker.io` is served by `registry-1.docker.io`.
/// - Robustness: a per-request timeout and one overall deadline (`timeout`), bounded retries with exponential
///   backoff and jitter on connection errors and 5xx, `Retry-After` on 429 (then `rate_limited`), a per-registry
///   concurrency limit and circuit breaker, and a content-addressed cache (``ContentCache``) keyed by digest.
public final class RemoteRegistry: ContentSource, Sendable {
    /// Everything that can be configured.
    public struct Options: Sendable {
        /// Credentials for every registry (`--registry-username/--registry-password`); nil: look in the store.
        public var credentials: RegistryCredentials?
        /// Where stored credentials come from; nil: anonymous unless ``credentials`` is set.
        public var credentialStore: DockerCredentialStore?
        /// Extra trusted CA certificates (PEM files), added to the system roots.
        public var caCertificateFiles: [String] = []
        /// Folders holding `<host:port>/ca.crt` (Docker's `certs.d` convention).
        public var certsDirectories: [String]
        /// Skip TLS certificate verification (`--allow-insecure-registry`).
        public var allowInsecureTLS = false
        /// Allow plain HTTP for every registry (`--allow-http-registry`); loopback hosts always may.
        public var allowHTTP = false
        /// The limit for one request, seconds.
        public var requestTimeout: Double = 30
        /// The limit for the HTTPS probe of a registry that may also answer plain HTTP (some plain-HTTP servers
        /// never answer a TLS handshake), seconds.
        public var probeTimeout: Double = 5
        /// The limit for everything this source does, seconds from its creation; nil: none.
        public var timeout: Double?
        /// Retries after a connection error or 5xx (so at most `maximumRetries + 1` attempts).
        public var maximumRetries = 3
        /// The first backoff delay, seconds; doubled each retry, with jitter.
        public var retryBaseDelay = 0.2
        /// The longest `Retry-After` honoured, seconds; a longer one is `rate_limited` at once.
        public var maximumRetryAfter = 10.0
        /// Requests in flight to one registry at once.
        public var maximumConcurrentRequests = 8
        /// Consecutive failures that open a registry's circuit breaker.
        public var circuitBreakerThreshold = 8
        /// How long an open breaker refuses requests, seconds.
        public var circuitBreakerCooldown = 30.0
        /// The cache of verified content; nil: none.
        public var cache: ContentCache?
        /// The largest manifest, tag list page or referrers page read.
        public var maximumManifestSize = Manifest.maximumSize
        /// The most pages followed for a tag list or referrers list.
        public var maximumPages = 100
        /// Tags asked for per page (`n`); the registry's `Link` header leads to the next page.
        public var tagPageSize = 1000

        /// Defaults: anonymous, system roots + Docker's certs.d folders, no cache.
        public init() {
            let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
            certsDirectories = ["/etc/docker/certs.d", "/etc/containers/certs.d", home + "/.docker/certs.d"]
        }
    }

    /// The options in force.
    public let options: Options
    let hosts: RegistryHostTable
    let deadline: NIODeadline?
    let baseTLS: TLSConfiguration
    let extraRoots: [NIOSSLCertificate]

    /// A short description for messages.
    public var sourceDescription: String { "registry" }

    /// The `Accept` header for manifests: OCI and Docker, image manifests and indexes.
    public static let manifestAccept = [MediaType.ociManifest, .ociIndex, .dockerManifest, .dockerManifestList]
        .map(\.rawValue).joined(separator: ", ")

    /// Creates a source. Reads the CA files at once.
    /// - Throws: ``RegistryError`` `tls_error` when a CA file cannot be read as PEM certificates.
    public init(options: Options = Options()) throws {
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

    // MARK: - Hosts, TLS, schemes

    /// The host that serves `domain`'s API (`docker.io` → `registry-1.docker.io`).
    public static func apiHost(_ domain: String) -> String {
        domain == "docker.io" || domain == "index.docker.io" ? "registry-1.docker.io" : domain
    }

    /// Whether `host` (with optional port) is a loopback name or address.
    public static func isLoopback(_ host: String) -> Bool {
        var name = host
        if name.hasPrefix("["), let end = name.firstIndex(of: "]") {
            name = String(name[name.index(after: name.startIndex)..<end])
        } else if let colon = name.lastIndex(of: ":"), name.filter({ $0 == ":" }).count == 1 {
            name = String(name[..<colon])
        }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        let isIPv4Loopback = octets.count == 4 && octets[0] == "127"
            && octets.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && UInt8($0) != nil }
        return name == "localhost" || name.hasSuffix(".localhost") || name == "::1" || isIPv4Loopback
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
    func hostState(_ domain: String) async throws -> (RegistryHostState, String) {
        let host = Self.apiHost(domain)
        let state = await hosts.state(for: host)
        if let base = await state.baseURL { return (state, base) }
        let schemes = options.allowHTTP || Self.isLoopback(host) ? ["https", "http"] : ["https"]
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

    // MARK: - Requests

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

    // MARK: - Authentication

    /// The credentials for `host`: the explicit ones, else the store's.
    func credentials(for domain: String) throws -> RegistryCredentials? {
        if let explicit = options.credentials { return explicit }
        return try options.credentialStore?.credentials(for: domain)
    }

    /// The `Authorization` value for a pull of `repository` under the host's current challenge (nil: none).
    func authorization(_ state: RegistryHostState, domain: String, repository: String,
                       scopeOverride: String? = nil, refresh: Bool = false) async throws -> String? {
        switch await state.challenge {
        case .none: return nil
        case .basic: return try credentials(for: domain)?.basicAuthorization
        case .bearer(let realm, let service, _):
            let scope = scopeOverride ?? "repository:\(repository):pull"
            if !refresh, let token = await state.token(scope: scope) { return "Bearer " + token }
            let token = try await fetchToken(state, domain: domain, realm: realm, service: service, scope: scope)
            return "Bearer " + token
        }
    }

    /// Fetches a token from the realm (GET with Basic credentials or anonymous; POST for identity tokens).
    func fetchToken(_ state: RegistryHostState, domain: String, realm: String, service: String?,
                    scope: String) async throws -> String {
        guard var components = URLComponents(string: realm), let scheme = components.scheme,
              scheme == "https" || scheme == "http" else {
            throw RegistryError(.invalidResponse, "registry \(state.host) named an invalid token realm")
        }
        let credentials = try credentials(for: domain)
        var headers = HTTPHeaders()
        var method = HTTPMethod.GET
        var items = components.queryItems ?? []
        if let service { items.append(URLQueryItem(name: "service", value: service)) }
        items.append(URLQueryItem(name: "scope", value: scope))
        if let credentials, !credentials.isIdentityToken {
            headers.add(name: "Authorization", value: credentials.basicAuthorization)
            items.append(URLQueryItem(name: "account", value: credentials.username))
        }
        if credentials?.isIdentityToken == true { method = .POST }
        components.queryItems = items
        guard let url = components.string else {
            throw RegistryError(.invalidResponse, "registry \(state.host) named an invalid token realm")
        }
        let response: RegistryResponse
        if method == .POST, let credentials {
            var form = URLComponents()
            form.queryItems = [URLQueryItem(name: "grant_type", value: "refresh_token"),
                               URLQueryItem(name: "refresh_token", value: credentials.secret),
                               URLQueryItem(name: "service", value: service ?? ""),
                               URLQueryItem(name: "scope", value: scope),
                               URLQueryItem(name: "client_id", value: "image-verifier")]
            response = try await post(realm, form: form.percentEncodedQuery ?? "", what: "a token from \(Self.redact(realm))")
        } else {
            response = try await send(state, url: url, method: .GET, headers: headers, maxBody: 1 << 20,
                                      what: "a token from \(Self.redact(realm))")
        }
        guard response.status == 200 else {
            let code: RegistryError.Code = response.status == 429 ? .rateLimited : .unauthorized
            throw RegistryError(code, "the token service \(Self.redact(realm)) refused a token for \(scope) with HTTP \(response.status)\(Self.errorSuffix(response.body)); \(credentials == nil ? "give --registry-username/--registry-password or docker login" : "check the credentials for \(domain)")")
        }
        struct TokenResponse: Decodable {
            let token: String?
            let access_token: String?
            let expires_in: Int?
        }
        guard let decoded = try? JSONDecoder().decode(TokenResponse.self, from: Data(response.body)),
              let token = decoded.token ?? decoded.access_token, !token.isEmpty else {
            throw RegistryError(.invalidResponse, "the token service \(Self.redact(realm)) answered without a token")
        }
        let lifetime = max(60, decoded.expires_in ?? 60) - 10
        await state.storeToken(token, scope: scope, expires: .now() + .seconds(Int64(lifetime)))
        return token
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

    /// A request to `path` under `repository`'s registry with auth: on 401 the challenge is (re)read, a token
    /// fetched, and the request retried once.
    func get(_ repository: ImageReference, path: String, method: HTTPMethod = .GET, accept: String? = nil,
             maxBody: Int, what: String, absoluteURL: String? = nil) async throws -> RegistryResponse {
        let (state, base) = try await hostState(repository.domain)
        var headers = HTTPHeaders()
        if let accept { headers.add(name: "Accept", value: accept) }
        let url = absoluteURL ?? base + path
        var authorized = headers
        if let value = try await authorization(state, domain: repository.domain, repository: repository.path) {
            authorized.add(name: "Authorization", value: value)
        }
        var response = try await send(state, url: url, method: method, headers: authorized, maxBody: maxBody, what: what)
        if response.status == 401 {
            let challenge = response.header("WWW-Authenticate").flatMap(AuthChallenge.parse)
            if let challenge, challenge != .none {
                await state.setChallenge(challenge)
                var scope: String?
                if case .bearer(_, _, let s) = challenge, let s, s.hasPrefix("repository:") { scope = s }
                var retried = headers
                if let value = try await authorization(state, domain: repository.domain, repository: repository.path,
                                                       scopeOverride: scope, refresh: true) {
                    retried.add(name: "Authorization", value: value)
                    response = try await send(state, url: url, method: method, headers: retried, maxBody: maxBody, what: what)
                }
            }
            if response.status == 401 {
                let hasCredentials = (try? credentials(for: repository.domain)) != nil
                throw RegistryError(.unauthorized, "registry \(state.host) refused \(what) (HTTP 401)\(Self.errorSuffix(response.body)); \(hasCredentials ? "the credentials for \(repository.domain) were not accepted" : "give --registry-username/--registry-password or docker login \(repository.domain)")",
                                    location: Self.redact(url))
            }
        }
        if response.status == 403 {
            throw RegistryError(.unauthorized, "registry \(state.host) denied \(what) (HTTP 403)\(Self.errorSuffix(response.body)); the credentials lack pull access to \(repository.path)",
                                location: Self.redact(url))
        }
        return response
    }

    /// Maps a non-2xx answer to a ``RegistryError`` (404 by the registry's error code, else `notFound`).
    func failure(_ response: RegistryResponse, what: String, notFound: RegistryError.Code,
                 digest: Digest? = nil) -> RegistryError {
        let body = RegistryErrorBody(response.body)
        let suffix = body.map { " (registry said: \($0.summary))" } ?? ""
        if response.status == 404 {
            var code = notFound
            if body?.codes.contains("NAME_UNKNOWN") == true { code = .nameUnknown }
            else if body?.codes.contains("BLOB_UNKNOWN") == true { code = .blobUnknown }
            else if body?.codes.contains("MANIFEST_UNKNOWN") == true { code = .manifestUnknown }
            return RegistryError(code, "\(what) not found (HTTP 404)\(suffix)", digest: digest, location: Self.redact(response.url))
        }
        return RegistryError(.invalidResponse, "\(what): the registry answered HTTP \(response.status)\(suffix)",
                             digest: digest, location: Self.redact(response.url))
    }

    /// The media type of a `Content-Type` value without parameters.
    static func mediaType(_ contentType: String?) -> String? {
        guard let contentType else { return nil }
        let bare = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) }
        return bare?.isEmpty == false ? bare : nil
    }

    // MARK: - ContentSource

    /// Resolves a digest reference (one GET, verified and cached) or a tag (`HEAD` for the digest, else a GET by
    /// tag whose bytes are hashed and checked against `Docker-Content-Digest`).
    public func resolve(_ reference: ImageReference) async throws -> Descriptor {
        if let digest = reference.digest {
            return try await manifest(reference.repository, digest: digest, expectedSize: nil, mediaType: nil).descriptor
        }
        let tag = reference.tag ?? ImageReference.defaultTag
        let what = "manifest \(reference.repository.name):\(tag)"
        let path = "/v2/\(reference.path)/manifests/\(tag)"
        let head = try await get(reference, path: path, method: .HEAD, accept: Self.manifestAccept,
                                 maxBody: 0, what: what)
        if head.status == 404 { throw failure(head, what: what, notFound: .manifestUnknown) }
        if head.status == 200, let header = head.header("Docker-Content-Digest"),
           let digest = try? Digest(validating: header),
           let type = Self.mediaType(head.header("Content-Type")) {
            let size = head.header("Content-Length").flatMap(Int64.init)
            if let size, size > Int64(options.maximumManifestSize) {
                throw RegistryError(.tooLarge, "\(what) is \(size) bytes; the limit is \(options.maximumManifestSize)", digest: digest)
            }
            if let size { return Descriptor(mediaType: MediaType(rawValue: type), digest: digest, size: size) }
        }
        // No usable HEAD answer: fetch by tag and hash what came.
        let response = try await get(reference, path: path, accept: Self.manifestAccept,
                                     maxBody: options.maximumManifestSize, what: what)
        guard response.status == 200 else { throw failure(response, what: what, notFound: .manifestUnknown) }
        let algorithm: DigestAlgorithm
        let claimed = try response.header("Docker-Content-Digest").map { header in
            do { return try Digest(validating: header) } catch {
                throw RegistryError(.invalidResponse, "\(what): the registry sent an invalid Docker-Content-Digest")
            }
        }
        algorithm = claimed?.knownAlgorithm ?? .sha256
        let computed = ContentVerifier.digest(of: response.body, algorithm: algorithm)
        if let claimed, claimed != computed {
            throw RegistryError(.digestMismatch, "\(what) hashes to \(computed), but the registry said \(claimed) (Docker-Content-Digest); the content was modified in transit or by the registry",
                                digest: claimed, location: Self.redact(response.url))
        }
        let fetched = try decodeManifest(response.body, digest: computed, contentType: response.header("Content-Type"),
                                         hint: nil, location: response.url)
        await options.cache?.put(computed, response.body)
        return fetched.descriptor
    }

    /// Decodes verified manifest bytes.
    func decodeManifest(_ bytes: [UInt8], digest: Digest, contentType: String?, hint: MediaType?,
                        location: String) throws -> FetchedManifest {
        let type = Self.mediaType(contentType).flatMap { MediaType(rawValue: $0).isManifest ? $0 : nil }
            ?? hint.flatMap { $0.isManifest ? $0.rawValue : nil }
        do {
            return FetchedManifest(digest: digest, manifest: try Manifest.decode(bytes, contentType: type, onConflict: .preferContent))
        } catch let e as OCIError {
            throw RegistryError(.manifestInvalid, "manifest \(digest) from \(Self.redact(location)) is invalid: \(e) [\(e.code.rawValue)]",
                                digest: digest, location: Self.redact(location))
        }
    }

    /// The manifest with `digest`, from the cache or the registry, verified against the digest and size.
    public func manifest(_ repository: ImageReference, digest: Digest, expectedSize: Int64?,
                         mediaType: MediaType?) async throws -> FetchedManifest {
        _ = try ContentVerifier.hashAlgorithm(for: digest)
        let limit = options.maximumManifestSize
        if let expectedSize, expectedSize > Int64(limit) {
            throw RegistryError(.tooLarge, "manifest \(digest) is \(expectedSize) bytes by its descriptor; the limit is \(limit)", digest: digest)
        }
        if let cached = await options.cache?.get(digest, maxSize: limit) {
            try ContentVerifier.verify(cached, digest: digest, expectedSize: expectedSize, location: "the cache")
            return try decodeManifest(cached, digest: digest, contentType: nil, hint: mediaType, location: "the cache")
        }
        let what = "manifest \(repository.name)@\(digest)"
        let response = try await get(repository, path: "/v2/\(repository.path)/manifests/\(digest)",
                                     accept: Self.manifestAccept, maxBody: limit, what: what)
        guard response.status == 200 else { throw failure(response, what: what, notFound: .manifestUnknown, digest: digest) }
        try ContentVerifier.verify(response.body, digest: digest, expectedSize: expectedSize, location: Self.redact(response.url))
        let fetched = try decodeManifest(response.body, digest: digest, contentType: response.header("Content-Type"),
                                         hint: mediaType, location: response.url)
        await options.cache?.put(digest, response.body)
        return fetched
    }

    /// The blob with `digest`, from the cache or the registry (following redirects), verified.
    public func blob(_ repository: ImageReference, digest: Digest, expectedSize: Int64?,
                     maxSize: Int) async throws -> [UInt8] {
        _ = try ContentVerifier.hashAlgorithm(for: digest)
        if let expectedSize, expectedSize > Int64(maxSize) {
            throw RegistryError(.tooLarge, "blob \(digest) is \(expectedSize) bytes by its descriptor; the limit is \(maxSize)", digest: digest)
        }
        if let cached = await options.cache?.get(digest, maxSize: maxSize) {
            try ContentVerifier.verify(cached, digest: digest, expectedSize: expectedSize, location: "the cache")
            return cached
        }
        let what = "blob \(repository.name)@\(digest)"
        let response = try await get(repository, path: "/v2/\(repository.path)/blobs/\(digest)", maxBody: maxSize, what: what)
        guard response.status == 200 else { throw failure(response, what: what, notFound: .blobUnknown, digest: digest) }
        try ContentVerifier.verify(response.body, digest: digest, expectedSize: expectedSize, location: Self.redact(response.url))
        await options.cache?.put(digest, response.body)
        return response.body
    }

    /// The next page's URL from a `Link: <url>; rel="next"` header, resolved against `base`.
    static func nextLink(_ header: String?, base: String) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ",") {
            guard part.contains("rel=\"next\"") || part.contains("rel=next"),
                  let open = part.firstIndex(of: "<"), let close = part.firstIndex(of: ">"), open < close else { continue }
            let target = String(part[part.index(after: open)..<close])
            guard let url = URL(string: target, relativeTo: URL(string: base))?.absoluteString else { return nil }
            return url
        }
        return nil
    }

    /// The tags of `repository`, following `Link` pages, sorted.
    public func tags(_ repository: ImageReference) async throws -> [String] {
        let (_, base) = try await hostState(repository.domain)
        var url: String? = base + "/v2/\(repository.path)/tags/list?n=\(max(1, options.tagPageSize))"
        var tags: [String] = []
        var pages = 0
        struct TagList: Decodable { let tags: [String]? }
        while let current = url {
            pages += 1
            guard pages <= max(options.maximumPages, 1) else {
                throw RegistryError(.tooLarge, "the tag list of \(repository.name) has more than \(options.maximumPages) pages")
            }
            let what = "the tags of \(repository.name)"
            guard Self.origin(of: current) == Self.origin(of: base) else {
                throw RegistryError(.invalidResponse, "\(what): a Link header points to another host")
            }
            let response = try await get(repository, path: "", maxBody: options.maximumManifestSize, what: what,
                                         absoluteURL: current)
            guard response.status == 200 else { throw failure(response, what: what, notFound: .nameUnknown) }
            guard let list = try? JSONDecoder().decode(TagList.self, from: Data(response.body)) else {
                throw RegistryError(.invalidResponse, "\(what): the answer is not a tag list {\"name\",\"tags\"}")
            }
            tags += list.tags ?? []
            url = Self.nextLink(response.header("Link"), base: current)
        }
        return Array(Set(tags)).sorted()
    }

    /// The referrers of `subject` from the referrers API (all pages, filtered client-side when the registry did
    /// not filter); nil when the registry has no referrers API (404, 400, 406).
    public func referrers(_ repository: ImageReference, subject: Digest,
                          artifactType: String?) async throws -> ImageIndex? {
        let (_, base) = try await hostState(repository.domain)
        var first = base + "/v2/\(repository.path)/referrers/\(subject)"
        if let artifactType, let encoded = artifactType.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))) {
            first += "?artifactType=" + encoded
        }
        var url: String? = first
        var manifests: [Descriptor] = []
        var filtered = true
        var pages = 0
        while let current = url {
            pages += 1
            guard pages <= options.maximumPages else {
                throw RegistryError(.tooLarge, "the referrers of \(subject) span more than \(options.maximumPages) pages")
            }
            let what = "the referrers of \(repository.name)@\(subject)"
            guard Self.origin(of: current) == Self.origin(of: base) else {
                throw RegistryError(.invalidResponse, "\(what): a Link header points to another host")
            }
            let response = try await get(repository, path: "", accept: MediaType.ociIndex.rawValue,
                                         maxBody: options.maximumManifestSize, what: what, absoluteURL: current)
            if pages == 1, [404, 400, 406].contains(response.status) { return nil }
            guard (200..<300).contains(response.status) else {
                throw failure(response, what: what, notFound: .manifestUnknown, digest: subject)
            }
            let decoded: Manifest
            do {
                decoded = try Manifest.decode(response.body, contentType: MediaType.ociIndex.rawValue, onConflict: .preferContent)
            } catch {
                throw RegistryError(.invalidResponse, "\(what): the answer is not an OCI image index: \(error)", digest: subject)
            }
            guard case .index(let index) = decoded else {
                throw RegistryError(.invalidResponse, "\(what): the answer is an image manifest, not an index", digest: subject)
            }
            manifests += index.manifests
            if response.header("OCI-Filters-Applied")?.contains("artifactType") != true { filtered = false }
            url = Self.nextLink(response.header("Link"), base: current)
        }
        if let artifactType, !filtered { manifests = manifests.filter { $0.artifactType == artifactType } }
        return ImageIndex(manifests: manifests)
    }
}
