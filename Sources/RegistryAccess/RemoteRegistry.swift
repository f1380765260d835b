import Foundation
import NIOHTTP1
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
///   switched off (``Options/allowInsecureTLS``). Plain HTTP only with ``Options/allowHTTP`` (and then only after
///   HTTPS did not answer) or for loopback hosts (asked in plain HTTP first, then HTTPS). `docker.io` is served by
///   `registry-1.docker.io`.
/// - Robustness: a per-request timeout and one overall deadline (`timeout`), bounded retries with exponential
///   backoff and jitter on connection errors and 5xx, `Retry-After` on 429 (then `rate_limited`), a per-registry
///   concurrency limit and circuit breaker, and a content-addressed cache (``ContentCache``) keyed by digest.
///
/// Three layers, one file each: `RegistryTransport` (HTTP, TLS, schemes, retries, timeouts, limits),
/// `RegistryAuthenticator` (challenges, credentials, tokens) and this type, the distribution API.
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
        /// The limit for the first of two schemes asked (HTTPS before plain HTTP with ``allowHTTP``: some
        /// plain-HTTP servers never answer a TLS handshake; plain HTTP before HTTPS for a loopback host), seconds.
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
        public var maximumConcurrentRequests = 16
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
    /// ``Options/cache``, or a memory-only cache for this source's lifetime (so nothing is fetched twice).
    let cache: ContentCache
    /// HTTP: schemes, TLS, retries, timeouts, limits.
    let transport: RegistryTransport
    /// Challenges, credentials and tokens.
    let authenticator: RegistryAuthenticator

    /// A short description for messages.
    public var sourceDescription: String { "registry" }

    /// The `Accept` header for manifests: OCI and Docker, image manifests and indexes.
    public static let manifestAccept = [MediaType.ociManifest, .ociIndex, .dockerManifest, .dockerManifestList]
        .map(\.rawValue).joined(separator: ", ")

    /// Creates a source. Reads the CA files at once.
    /// - Throws: ``RegistryError`` `tls_error` when a CA file cannot be read as PEM certificates.
    public init(options: Options = Options()) throws {
        self.options = options
        self.cache = options.cache ?? ContentCache(directory: nil)
        let transport = try RegistryTransport(options: options)
        self.transport = transport
        authenticator = RegistryAuthenticator(transport: transport, explicitCredentials: options.credentials,
                                              credentialStore: options.credentialStore)
    }

    // MARK: - Hosts

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
            return RegistryError(code, "\(what) not found (HTTP 404)\(suffix)", digest: digest, location: RegistryTransport.redact(response.url))
        }
        return RegistryError(.invalidResponse, "\(what): the registry answered HTTP \(response.status)\(suffix)",
                             digest: digest, location: RegistryTransport.redact(response.url))
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
        // HEAD saves a transfer when the manifest is likely cached on disk; otherwise one GET by tag is cheaper.
        if cache.directory != nil {
            let head = try await authenticator.request(reference, path: path, method: .HEAD, accept: Self.manifestAccept,
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
        }
        // No usable HEAD answer: fetch by tag and hash what came.
        let response = try await authenticator.request(reference, path: path, accept: Self.manifestAccept,
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
                                digest: claimed, location: RegistryTransport.redact(response.url))
        }
        let fetched = try decodeManifest(response.body, digest: computed, contentType: response.header("Content-Type"),
                                         hint: nil, location: response.url)
        await cache.put(computed, response.body)
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
            throw RegistryError(.manifestInvalid, "manifest \(digest) from \(RegistryTransport.redact(location)) is invalid: \(e) [\(e.code.rawValue)]",
                                digest: digest, location: RegistryTransport.redact(location))
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
        if let cached = await cache.get(digest, maxSize: limit) {
            try ContentVerifier.verify(cached, digest: digest, expectedSize: expectedSize, location: "the cache")
            return try decodeManifest(cached, digest: digest, contentType: nil, hint: mediaType, location: "the cache")
        }
        let what = "manifest \(repository.name)@\(digest)"
        let response = try await authenticator.request(repository, path: "/v2/\(repository.path)/manifests/\(digest)",
                                     accept: Self.manifestAccept, maxBody: limit, what: what)
        guard response.status == 200 else { throw failure(response, what: what, notFound: .manifestUnknown, digest: digest) }
        try ContentVerifier.verify(response.body, digest: digest, expectedSize: expectedSize, location: RegistryTransport.redact(response.url))
        let fetched = try decodeManifest(response.body, digest: digest, contentType: response.header("Content-Type"),
                                         hint: mediaType, location: response.url)
        await cache.put(digest, response.body)
        return fetched
    }

    /// The blob with `digest`, from the cache or the registry (following redirects), verified.
    public func blob(_ repository: ImageReference, digest: Digest, expectedSize: Int64?,
                     maxSize: Int) async throws -> [UInt8] {
        _ = try ContentVerifier.hashAlgorithm(for: digest)
        if let expectedSize, expectedSize > Int64(maxSize) {
            throw RegistryError(.tooLarge, "blob \(digest) is \(expectedSize) bytes by its descriptor; the limit is \(maxSize)", digest: digest)
        }
        if let cached = await cache.get(digest, maxSize: maxSize) {
            try ContentVerifier.verify(cached, digest: digest, expectedSize: expectedSize, location: "the cache")
            return cached
        }
        let what = "blob \(repository.name)@\(digest)"
        let response = try await authenticator.request(repository, path: "/v2/\(repository.path)/blobs/\(digest)", maxBody: maxSize, what: what)
        guard response.status == 200 else { throw failure(response, what: what, notFound: .blobUnknown, digest: digest) }
        try ContentVerifier.verify(response.body, digest: digest, expectedSize: expectedSize, location: RegistryTransport.redact(response.url))
        await cache.put(digest, response.body)
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
        let (_, base) = try await transport.endpoint(repository.domain)
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
            guard RegistryTransport.origin(of: current) == RegistryTransport.origin(of: base) else {
                throw RegistryError(.invalidResponse, "\(what): a Link header points to another host")
            }
            let response = try await authenticator.request(repository, path: "", maxBody: options.maximumManifestSize, what: what,
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
        let (state, base) = try await transport.endpoint(repository.domain)
        // A registry with the API never answers 404; one that answered so has none, so it is not asked again.
        if await state.lacksReferrersAPI { return nil }
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
            guard RegistryTransport.origin(of: current) == RegistryTransport.origin(of: base) else {
                throw RegistryError(.invalidResponse, "\(what): a Link header points to another host")
            }
            let response = try await authenticator.request(repository, path: "", accept: MediaType.ociIndex.rawValue,
                                         maxBody: options.maximumManifestSize, what: what, absoluteURL: current)
            if pages == 1, [404, 400, 406].contains(response.status) {
                if response.status == 404 { await state.markLacksReferrersAPI() }
                return nil
            }
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
