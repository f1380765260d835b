import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OCIImage
import Testing
@testable import RegistryAccess

/// The registries scripts/registries.sh starts (scripts/test.sh always does); tests that need them are skipped with
/// this reason when the variables are absent, so `swift test` alone still works.
enum TestRegistries {
    static let env = ProcessInfo.processInfo.environment
    static let http = env["IV_REGISTRY_HTTP"] ?? ""
    static let tls = env["IV_REGISTRY_TLS"] ?? ""
    static let auth = env["IV_REGISTRY_AUTH"] ?? ""
    static let token = env["IV_REGISTRY_TOKEN"] ?? ""
    static let tokenIssuer = env["IV_REGISTRY_TOKEN_ISSUER"] ?? ""
    static let down = env["IV_REGISTRY_DOWN"] ?? ""
    static let ca = env["IV_REGISTRY_CA"] ?? ""
    static let user = env["IV_REGISTRY_USER"] ?? ""
    static let password = env["IV_REGISTRY_PASSWORD"] ?? ""
    static let available = !http.isEmpty && !tls.isEmpty && !auth.isEmpty && !token.isEmpty && !ca.isEmpty
    static let skipReason: Comment = "needs the test registries: run scripts/test.sh (it starts them and sets IV_REGISTRY_*)"

    /// The image digest a fixture layout holds (the cosign `image`/`imageIndex` entry, else the `latest` entry).
    static func imageDigest(_ layout: String) throws -> Digest {
        let data = try Data(contentsOf: LayoutFixtures.packageRoot.appendingPathComponent("testdata/images/layouts/\(layout)/index.json"))
        struct Index: Decodable { struct Entry: Decodable { let digest: String; let annotations: [String: String]? }; let manifests: [Entry] }
        let index = try JSONDecoder().decode(Index.self, from: data)
        let entry = index.manifests.first { ($0.annotations?["kind"] ?? "").hasSuffix("/image") || ($0.annotations?["kind"] ?? "").hasSuffix("/imageIndex") }
            ?? index.manifests.first { $0.annotations?["org.opencontainers.image.ref.name"] == "latest" }
        return try Digest(validating: try #require(entry).digest)
    }

    static func reference(_ host: String, _ repository: String, tag: String? = nil, digest: Digest? = nil) throws -> ImageReference {
        var text = "\(host)/\(repository)"
        if let tag { text += ":" + tag }
        if let digest { text += "@" + digest.string }
        return try ImageReference(normalizing: text)
    }

    static func options(_ configure: (inout RemoteRegistry.Options) -> Void = { _ in }) -> RemoteRegistry.Options {
        var options = RemoteRegistry.Options()
        options.certsDirectories = []
        options.retryBaseDelay = 0.05
        options.timeout = 60
        // The whole suite runs in parallel on a busy machine: a TLS handshake may wait seconds for a thread.
        options.probeTimeout = 30
        configure(&options)
        return options
    }
}

@Suite(.enabled(if: TestRegistries.available, TestRegistries.skipReason))
struct RemoteRegistryIntegrationTests {
    let layouts = ["app-v1", "app-v2", "unsigned", "other", "replay", "multi", "pki", "oci11"]

    @Test func resolvesTagsAndFetchesVerifiedContentOverHTTP() async throws {
        let source = try RemoteRegistry(options: TestRegistries.options())
        for layout in layouts {
            let expected = try TestRegistries.imageDigest(layout)
            let tagged = try TestRegistries.reference(TestRegistries.http, "demo/\(layout)", tag: "latest")
            let descriptor = try await source.resolve(tagged)
            #expect(descriptor.digest == expected, "\(layout)")
            let fetched = try await source.manifest(tagged.repository, descriptor: descriptor)
            #expect(fetched.digest == expected)
            #expect(ContentVerifier.digest(of: fetched.bytes) == expected)
            if case .image(let manifest) = fetched.manifest {
                let config = try await source.blob(tagged.repository, descriptor: manifest.config, maxSize: 1 << 20)
                #expect(ContentVerifier.digest(of: config) == manifest.config.digest)
            }
            // A digest reference resolves to the same descriptor.
            let pinned = try await source.resolve(try TestRegistries.reference(TestRegistries.http, "demo/\(layout)", digest: expected))
            #expect(pinned.digest == expected && pinned.size == descriptor.size)
        }
    }

    @Test func listsTagsAcrossLinkPages() async throws {
        let source = try RemoteRegistry(options: TestRegistries.options())
        let repository = try TestRegistries.reference(TestRegistries.http, "demo/app-v1")
        let digest = try TestRegistries.imageDigest("app-v1")
        let all = try await source.tags(repository)
        #expect(all == ["latest", digest.cosignTag(suffix: "att"), digest.cosignTag(suffix: "sig")].sorted())
        let paged = try RemoteRegistry(options: TestRegistries.options { $0.tagPageSize = 1 })
        #expect(try await paged.tags(repository) == all)
    }

    @Test func referrersFallBackToTheTagOnDistribution() async throws {
        let source = try RemoteRegistry(options: TestRegistries.options())
        let repository = try TestRegistries.reference(TestRegistries.http, "demo/oci11")
        let digest = try TestRegistries.imageDigest("oci11")
        // distribution 2.8 has no referrers API: nil, so callers use the sha256-<hex> tag.
        #expect(try await source.referrers(repository, subject: digest, artifactType: nil) == nil)
        let index = try await source.referrersWithFallback(repository, subject: digest)
        #expect(index.manifests.count == 1)
        let signature = try await source.manifest(repository, descriptor: try #require(index.manifests.first))
        #expect(signature.manifest.subject?.digest == digest)
        // An image without referrers: an empty list, not an error.
        let unsigned = try TestRegistries.reference(TestRegistries.http, "demo/unsigned")
        #expect(try await source.referrersWithFallback(unsigned, subject: try TestRegistries.imageDigest("unsigned")).manifests.isEmpty)
    }

    @Test func missingContentIsNotFound() async throws {
        let source = try RemoteRegistry(options: TestRegistries.options())
        let repository = try TestRegistries.reference(TestRegistries.http, "demo/app-v1")
        let absent = try Digest(validating: "sha256:" + String(repeating: "ab", count: 32))
        let manifestError = await registryError { try await source.manifest(repository, digest: absent) }
        #expect(manifestError?.code == .manifestUnknown)
        let blobError = await registryError { try await source.blob(repository, digest: absent, expectedSize: nil, maxSize: 1 << 20) }
        #expect(blobError?.code == .blobUnknown)
        let tagError = await registryError { try await source.resolve(try repository.withTag("no-such-tag")) }
        #expect(tagError?.category == .notFound)
        #expect(try await source.manifest(repository, tag: "no-such-tag") == nil)
    }

    @Test func contentTamperedInTheRegistryIsADigestMismatch() async throws {
        let storage = try #require(TestRegistries.env["IV_REGISTRY_HTTP_STORAGE"])
        // A blob of its own (so no other test sees the damage), uploaded monolithically.
        let content = [UInt8]("image-verifier tamper test \(UUID().uuidString)\n".utf8)
        let digest = ContentVerifier.digest(of: content)
        let session = URLSession(configuration: .ephemeral)
        var start = URLRequest(url: try #require(URL(string: "http://\(TestRegistries.http)/v2/demo/tamper/blobs/uploads/")))
        start.httpMethod = "POST"
        let (_, started) = try await session.upload(for: start, from: Data())
        let location = try #require((started as? HTTPURLResponse)?.value(forHTTPHeaderField: "Location"))
        let base = location.hasPrefix("http") ? location : "http://\(TestRegistries.http)" + location
        var put = URLRequest(url: try #require(URL(string: base + (base.contains("?") ? "&" : "?") + "digest=" + digest.string)))
        put.httpMethod = "PUT"
        put.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
        let (_, stored) = try await session.upload(for: put, from: Data(content))
        #expect((stored as? HTTPURLResponse)?.statusCode == 201)
        let source = try RemoteRegistry(options: TestRegistries.options())
        let repository = try TestRegistries.reference(TestRegistries.http, "demo/tamper")
        #expect(try await source.blob(repository, digest: digest, expectedSize: Int64(content.count), maxSize: 1 << 20) == content)
        // Flip one byte in the registry's storage: same size, other hash.
        let file = "\(storage)/docker/registry/v2/blobs/sha256/\(digest.encoded.prefix(2))/\(digest.encoded)/data"
        var bytes = try #require(FileManager.default.contents(atPath: file))
        bytes[0] ^= 0x20
        try bytes.write(to: URL(fileURLWithPath: file))
        let fresh = try RemoteRegistry(options: TestRegistries.options())
        let error = await registryError { try await fresh.blob(repository, digest: digest, expectedSize: Int64(content.count), maxSize: 1 << 20) }
        #expect(error?.code == .digestMismatch)
        #expect(error?.category == .integrity)
        // Truncated: a size mismatch.
        try Data(bytes.dropLast()).write(to: URL(fileURLWithPath: file))
        let truncated = await registryError { try await fresh.blob(repository, digest: digest, expectedSize: Int64(content.count), maxSize: 1 << 20) }
        #expect(truncated?.code == .sizeMismatch)
    }

    @Test func sizeLimitsAndSizeMismatchesAreRefused() async throws {
        let source = try RemoteRegistry(options: TestRegistries.options())
        let repository = try TestRegistries.reference(TestRegistries.http, "demo/app-v1")
        let digest = try TestRegistries.imageDigest("app-v1")
        let descriptor = try await source.resolve(repository.withDigest(digest))
        let wrongSize = await registryError {
            try await source.manifest(repository, digest: digest, expectedSize: descriptor.size + 1, mediaType: nil)
        }
        #expect(wrongSize?.code == .sizeMismatch)
        let fetched = try await source.manifest(repository, descriptor: descriptor)
        guard case .image(let manifest) = fetched.manifest else { Issue.record("not an image"); return }
        let layer = try #require(manifest.layers.first)
        let tooLarge = await registryError {
            try await source.blob(repository, digest: layer.digest, expectedSize: nil, maxSize: Int(layer.size) - 1)
        }
        #expect(tooLarge?.code == .tooLarge)
    }

    @Test func tlsWithThePrivateCA() async throws {
        let digest = try TestRegistries.imageDigest("app-v1")
        let reference = try TestRegistries.reference(TestRegistries.tls, "demo/app-v1", digest: digest)
        // --registry-cacert
        let withCA = try RemoteRegistry(options: TestRegistries.options { $0.caCertificateFiles = [TestRegistries.ca] })
        #expect(try await withCA.resolve(reference).digest == digest)
        // certs.d/<host:port>/ca.crt
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("certs.d-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent(TestRegistries.tls), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestRegistries.ca, toPath: dir.appendingPathComponent(TestRegistries.tls + "/ca.crt").path)
        let withCertsD = try RemoteRegistry(options: TestRegistries.options { $0.certsDirectories = [dir.path] })
        #expect(try await withCertsD.resolve(reference).digest == digest)
        // Insecure: no verification.
        let insecure = try RemoteRegistry(options: TestRegistries.options { $0.allowInsecureTLS = true })
        #expect(try await insecure.resolve(reference).digest == digest)
        // No CA: the certificate is not trusted, and plain HTTP is not silently used instead.
        let untrusted = try RemoteRegistry(options: TestRegistries.options())
        let error = await registryError { try await untrusted.resolve(reference) }
        #expect(error?.code == .tlsError)
        #expect(error?.isIndeterminate == true)
    }

    @Test func basicAuth() async throws {
        let digest = try TestRegistries.imageDigest("app-v2")
        let reference = try TestRegistries.reference(TestRegistries.auth, "demo/app-v2", digest: digest)
        let good = try RemoteRegistry(options: TestRegistries.options {
            $0.caCertificateFiles = [TestRegistries.ca]
            $0.credentials = RegistryCredentials(username: TestRegistries.user, password: TestRegistries.password)
        })
        #expect(try await good.resolve(reference).digest == digest)
        let anonymous = try RemoteRegistry(options: TestRegistries.options { $0.caCertificateFiles = [TestRegistries.ca] })
        let denied = await registryError { try await anonymous.resolve(reference) }
        #expect(denied?.code == .unauthorized)
        let wrongSecret = "wrong-\(UUID().uuidString)"
        let wrong = try RemoteRegistry(options: TestRegistries.options {
            $0.caCertificateFiles = [TestRegistries.ca]
            $0.credentials = RegistryCredentials(username: TestRegistries.user, password: wrongSecret)
        })
        let refused = await registryError { try await wrong.resolve(reference) }
        #expect(refused?.code == .unauthorized)
        #expect(refused?.message.contains(wrongSecret) == false)
    }

    @Test func credentialsFromADockerConfig() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("docker-config-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let auth = Data("\(TestRegistries.user):\(TestRegistries.password)".utf8).base64EncodedString()
        let config = #"{"auths": {"https://\#(TestRegistries.auth)/v1/": {"auth": "\#(auth)"}}}"#
        try Data(config.utf8).write(to: dir.appendingPathComponent("config.json"))
        let digest = try TestRegistries.imageDigest("app-v2")
        let source = try RemoteRegistry(options: TestRegistries.options {
            $0.caCertificateFiles = [TestRegistries.ca]
            $0.credentialStore = DockerCredentialStore(directory: dir.path)
        })
        #expect(try await source.resolve(try TestRegistries.reference(TestRegistries.auth, "demo/app-v2", digest: digest)).digest == digest)
    }

    /// A Docker config in a fresh folder, with `docker-credential-ivtest` there answering `answer` for `host`.
    static func dockerConfig(_ config: String, helperFor host: String? = nil, username: String = "", secret: String = "") throws -> (DockerCredentialStore, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("docker-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(config.utf8).write(to: dir.appendingPathComponent("config.json"))
        var store = DockerCredentialStore(directory: dir.path)
        if let host {
            // The credential-helper protocol: `get`, the server on stdin, {"ServerURL","Username","Secret"} on stdout.
            let script = """
                #!/bin/sh
                [ "$1" = get ] || exit 2
                read -r server
                if [ "$server" = "\(host)" ]; then
                  printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "$server" '\(username)' '\(secret)'
                else
                  echo "credentials not found in native keychain"; exit 1
                fi

                """
            let helper = dir.appendingPathComponent("docker-credential-ivtest")
            try Data(script.utf8).write(to: helper)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: helper.path)
            store.helperDirectories = [dir.path]
        }
        return (store, dir)
    }

    /// A credential helper is waited for on a thread of its own: with more slow helpers running than the cooperative
    /// pool has threads, other work of the process still runs at once (it waited for the helpers before).
    @Test func aSlowCredentialHelperHoldsNoThreadOfTheCooperativePool() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("docker-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(#"{"credsStore": "ivslow"}"#.utf8).write(to: dir.appendingPathComponent("config.json"))
        let helper = dir.appendingPathComponent("docker-credential-ivslow")
        try Data("#!/bin/sh\nread -r server\nsleep 2\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"u\",\"Secret\":\"s\"}' \"$server\"\n".utf8)
            .write(to: helper)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: helper.path)
        var store = DockerCredentialStore(directory: dir.path)
        store.helperDirectories = [dir.path]
        let source = try RemoteRegistry(options: TestRegistries.options { $0.credentialStore = store })
        let hosts = (0...ProcessInfo.processInfo.activeProcessorCount).map { "slow\($0).example:5000" }
        let clock = ContinuousClock()
        let start = clock.now
        async let lookedUp = withThrowingTaskGroup(of: RegistryCredentials?.self) { group in
            for host in hosts {
                group.addTask {
                    let state = await source.transport.hosts.state(for: host)
                    return try await source.authenticator.credentials(state, for: host)
                }
            }
            return try await group.reduce(into: [RegistryCredentials?]()) { $0.append($1) }
        }
        try await Task.sleep(for: .milliseconds(300))   // resumes on the pool: needs a free thread
        let waited = clock.now - start
        let found = try await lookedUp
        #expect(waited < .seconds(1.5), "a 0.3 s sleep took \(waited) while \(hosts.count) helpers ran")
        #expect(found.count == hosts.count && found.allSatisfy { $0?.username == "u" })
        #expect(clock.now - start >= .seconds(2))
    }

    @Test func credentialHelpers() async throws {
        let digest = try TestRegistries.imageDigest("app-v2")
        // credHelpers[host] with a username and password, against the TLS + basic-auth registry.
        let (basicStore, dir1) = try Self.dockerConfig(#"{"credHelpers": {"\#(TestRegistries.auth)": "ivtest"}}"#,
                                                        helperFor: TestRegistries.auth, username: TestRegistries.user,
                                                        secret: TestRegistries.password)
        defer { try? FileManager.default.removeItem(at: dir1) }
        let basic = try RemoteRegistry(options: TestRegistries.options {
            $0.caCertificateFiles = [TestRegistries.ca]
            $0.credentialStore = basicStore
        })
        #expect(try await basic.resolve(try TestRegistries.reference(TestRegistries.auth, "demo/app-v2", digest: digest)).digest == digest)
        // credsStore answering an identity token (<token>), exchanged by OAuth2 POST at the token realm.
        let identity = try #require(TestRegistries.env["IV_REGISTRY_IDENTITY_TOKEN"])
        let (tokenStore, dir2) = try Self.dockerConfig(#"{"credsStore": "ivtest"}"#, helperFor: TestRegistries.token,
                                                        username: "<token>", secret: identity)
        defer { try? FileManager.default.removeItem(at: dir2) }
        let viaHelper = try RemoteRegistry(options: TestRegistries.options { $0.credentialStore = tokenStore })
        #expect(try await viaHelper.resolve(try TestRegistries.reference(TestRegistries.token, "demo/app-v2", digest: digest)).digest == digest)
        // identitytoken in auths, same exchange; a wrong identity token is refused.
        let (authsStore, dir3) = try Self.dockerConfig(#"{"auths": {"\#(TestRegistries.token)": {"identitytoken": "\#(identity)"}}}"#)
        defer { try? FileManager.default.removeItem(at: dir3) }
        let viaAuths = try RemoteRegistry(options: TestRegistries.options { $0.credentialStore = authsStore })
        #expect(try await viaAuths.resolve(try TestRegistries.reference(TestRegistries.token, "demo/app-v2", digest: digest)).digest == digest)
        let wrong = try RemoteRegistry(options: TestRegistries.options { $0.credentials = RegistryCredentials(identityToken: "not-it") })
        let refused = await registryError { try await wrong.resolve(try TestRegistries.reference(TestRegistries.token, "demo/app-v2", digest: digest)) }
        #expect(refused?.code == .unauthorized)
        // A helper with nothing for the host: anonymous, so the basic-auth registry refuses.
        let (emptyStore, dir4) = try Self.dockerConfig(#"{"credsStore": "ivtest"}"#, helperFor: "elsewhere.example")
        defer { try? FileManager.default.removeItem(at: dir4) }
        let none = try RemoteRegistry(options: TestRegistries.options {
            $0.caCertificateFiles = [TestRegistries.ca]
            $0.credentialStore = emptyStore
        })
        let denied = await registryError { try await none.resolve(try TestRegistries.reference(TestRegistries.auth, "demo/app-v2", digest: digest)) }
        #expect(denied?.code == .unauthorized)
    }

    @Test func tokenAuthWithCredentialsAnonymouslyAndTokenReuse() async throws {
        // demo/pki in the token registry is used by this test only, so the count of its tokens is this test's.
        let digest = try TestRegistries.imageDigest("pki")
        let scope = "repository:demo/pki:pull"
        let before = try await issued(scope)
        let source = try RemoteRegistry(options: TestRegistries.options {
            $0.credentials = RegistryCredentials(username: TestRegistries.user, password: TestRegistries.password)
        })
        let repository = try TestRegistries.reference(TestRegistries.token, "demo/pki")
        let fetched = try await source.manifest(repository, digest: digest)
        guard case .image(let manifest) = fetched.manifest else { Issue.record("not an image"); return }
        _ = try await source.blob(repository, descriptor: manifest.config, maxSize: 1 << 20)
        for layer in manifest.layers { _ = try await source.blob(repository, descriptor: layer, maxSize: 16 << 20) }
        #expect(try await source.tags(repository).contains("latest"))
        // One token for the repository's pull scope, reused for every request.
        #expect(try await issued(scope) - before == 1)

        // Anonymous tokens pull public/ repositories, and nothing else.
        let anonymous = try RemoteRegistry(options: TestRegistries.options())
        let publicRef = try TestRegistries.reference(TestRegistries.token, "public/pki", digest: digest)
        #expect(try await anonymous.resolve(publicRef).digest == digest)
        // (A fresh source: content already verified by digest would come from the memory cache of `anonymous`.)
        let anonymousElsewhere = try RemoteRegistry(options: TestRegistries.options())
        let denied = await registryError { try await anonymousElsewhere.resolve(repository.withDigest(digest)) }
        #expect(denied?.code == .unauthorized)
        // Wrong credentials: the token service refuses them.
        let wrong = try RemoteRegistry(options: TestRegistries.options {
            $0.credentials = RegistryCredentials(username: TestRegistries.user, password: "not-the-password")
        })
        let refused = await registryError { try await wrong.resolve(repository.withDigest(digest)) }
        #expect(refused?.code == .unauthorized)
        #expect(refused?.message.contains("not-the-password") == false)
    }

    /// How many tokens the issuer has issued for `scope`.
    func issued(_ scope: String) async throws -> Int {
        let (data, _) = try await URLSession.shared.data(from: try #require(URL(string: TestRegistries.tokenIssuer + "/stats")))
        struct Stats: Decodable { let scopes: [String: Int] }
        return try JSONDecoder().decode(Stats.self, from: data).scopes[scope] ?? 0
    }

    @Test func aStoppedRegistryIsIndeterminate() async throws {
        let source = try RemoteRegistry(options: TestRegistries.options { $0.maximumRetries = 2 })
        let reference = try TestRegistries.reference(TestRegistries.down, "demo/app-v1", digest: try TestRegistries.imageDigest("app-v1"))
        let error = await registryError { try await source.resolve(reference) }
        // unreachable, not timeout: the bounded retries gave up before the 60 s deadline (no hang).
        #expect(error?.code == .unreachable)
        #expect(error?.isIndeterminate == true)
        // After enough consecutive failures the circuit breaker refuses at once, without touching the network.
        let breaker = try RemoteRegistry(options: TestRegistries.options {
            $0.maximumRetries = 1
            $0.circuitBreakerThreshold = 2
        })
        _ = await registryError { try await breaker.resolve(reference) }
        let refused = await registryError { try await breaker.resolve(reference) }
        #expect(refused?.code == .unreachable)
        #expect(refused?.message.contains("circuit breaker") == true)
    }

    @Test func theOverallDeadlineIsDeadlineExceeded() async throws {
        let source = try RemoteRegistry(options: TestRegistries.options { $0.timeout = 0.000_001 })
        let reference = try TestRegistries.reference(TestRegistries.http, "demo/app-v1", digest: try TestRegistries.imageDigest("app-v1"))
        try await Task.sleep(nanoseconds: 1_000_000)
        let error = await registryError { try await source.resolve(reference) }
        #expect(error?.code == .timeout)
        #expect(error?.isIndeterminate == true)
    }

    @Test func theCacheServesVerifiedContentByDigest() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("iv-cache-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let digest = try TestRegistries.imageDigest("app-v1")
        let online = try RemoteRegistry(options: TestRegistries.options { $0.cache = ContentCache(directory: dir) })
        let repository = try TestRegistries.reference(TestRegistries.http, "demo/app-v1")
        let fetched = try await online.manifest(repository, digest: digest)
        // A new process (new memory cache) with the registry gone still has the manifest by digest.
        let offline = try RemoteRegistry(options: TestRegistries.options {
            $0.cache = ContentCache(directory: dir)
            $0.maximumRetries = 0
        })
        let gone = try TestRegistries.reference(TestRegistries.down, "demo/app-v1")
        #expect(try await offline.manifest(gone, digest: digest).bytes == fetched.bytes)
        // A tampered cache file is discarded, never trusted: the fetch goes to the (stopped) registry.
        let file = dir + "/blobs/sha256/" + digest.encoded
        var bytes = try #require(FileManager.default.contents(atPath: file))
        bytes[bytes.count / 2] ^= 1
        try bytes.write(to: URL(fileURLWithPath: file))
        let tampered = try RemoteRegistry(options: TestRegistries.options {
            $0.cache = ContentCache(directory: dir)
            $0.maximumRetries = 0
        })
        let error = await registryError { try await tampered.manifest(gone, digest: digest) }
        #expect(error?.code == .unreachable)
        #expect(!FileManager.default.fileExists(atPath: file))
    }
}

/// Parsing that needs no network.
struct RemoteRegistryParsingTests {
    @Test(arguments: [
        (#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push""#,
         AuthChallenge.bearer(realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:samalba/my-app:pull,push")),
        (#"Basic realm="test-registry""#, AuthChallenge.basic),
        (#"bearer realm=http://127.0.0.1:5001/token, service="a,b""#,
         AuthChallenge.bearer(realm: "http://127.0.0.1:5001/token", service: "a,b", scope: nil)),
    ])
    func challenges(header: String, expected: AuthChallenge) {
        #expect(AuthChallenge.parse(header) == expected)
    }

    @Test(arguments: ["Negotiate abc", "Bearer service=\"x\"", ""])
    func unusableChallenges(header: String) {
        #expect(AuthChallenge.parse(header) == nil)
    }

    @Test func linkHeaders() {
        #expect(RemoteRegistry.nextLink(#"</v2/a/tags/list?last=b&n=1>; rel="next""#, base: "http://h:1/v2/a/tags/list?n=1")
                == "http://h:1/v2/a/tags/list?last=b&n=1")
        #expect(RemoteRegistry.nextLink(#"<https://h/x>; rel="prev""#, base: "https://h/") == nil)
        #expect(RemoteRegistry.nextLink(nil, base: "https://h/") == nil)
    }

    @Test func hostsAndSchemes() {
        #expect(RemoteRegistry.apiHost("docker.io") == "registry-1.docker.io")
        #expect(RemoteRegistry.apiHost("ghcr.io") == "ghcr.io")
        #expect(RemoteRegistry.isLoopback("127.0.0.1:5000"))
        #expect(RemoteRegistry.isLoopback("localhost"))
        #expect(RemoteRegistry.isLoopback("[::1]:5000"))
        #expect(!RemoteRegistry.isLoopback("ghcr.io"))
        #expect(!RemoteRegistry.isLoopback("127.example.com"))
        #expect(RegistryTransport.redact("https://s3/x?X-Amz-Signature=secret") == "https://s3/x")
    }

    @Test func dockerConfigKeysAndCredentials() throws {
        #expect(DockerCredentialStore.normalize("https://index.docker.io/v1/") == "docker.io")
        #expect(DockerCredentialStore.normalize("http://localhost:5000/v2/") == "localhost:5000")
        #expect(DockerCredentialStore.normalize("Quay.io") == "quay.io")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("docker-config-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = #"{"auths": {"https://index.docker.io/v1/": {"auth": "\#(Data("me:pa:ss\u{0}".utf8).base64EncodedString())"}, "ghcr.io": {"identitytoken": "refresh-me"}}}"#
        try Data(config.utf8).write(to: dir.appendingPathComponent("config.json"))
        let store = DockerCredentialStore(directory: dir.path)
        let hub = try #require(try store.credentials(for: "docker.io"))
        #expect(hub.username == "me" && hub.secret == "pa:ss" && !hub.isIdentityToken)
        #expect(!hub.description.contains("pa:ss"))
        let ghcr = try #require(try store.credentials(for: "ghcr.io"))
        #expect(ghcr.isIdentityToken && ghcr.secret == "refresh-me")
        #expect(try store.credentials(for: "quay.io") == nil)
        try Data("not json".utf8).write(to: dir.appendingPathComponent("config.json"))
        #expect(throws: RegistryError.self) { try store.credentials(for: "ghcr.io") }
    }
}

/// Robustness against a misbehaving registry: scripts/fault-registry.py in front of the plain-HTTP registry.
@Suite(.enabled(if: TestRegistries.available && !(TestRegistries.env["IV_REGISTRY_FAULT"] ?? "").isEmpty,
                TestRegistries.skipReason))
struct RemoteRegistryFaultTests {
    let fault = TestRegistries.env["IV_REGISTRY_FAULT"] ?? ""

    func pinned(_ mode: String, _ layout: String) throws -> ImageReference {
        try TestRegistries.reference(fault, "\(mode)/demo/\(layout)", digest: try TestRegistries.imageDigest(layout))
    }

    @Test func serverErrorsAreRetriedWithBackoff() async throws {
        let source = try RemoteRegistry(options: TestRegistries.options())
        let reference = try pinned("flaky", "app-v1")
        #expect(try await source.resolve(reference).digest == reference.digest)
    }

    @Test func serverErrorsBeyondTheRetriesAreIndeterminate() async throws {
        let source = try RemoteRegistry(options: TestRegistries.options { $0.maximumRetries = 1 })
        let error = await registryError { try await source.resolve(try pinned("flaky", "app-v2")) }
        #expect(error?.code == .serverError)
        #expect(error?.isIndeterminate == true)
        #expect(error?.message.contains("UNAVAILABLE") == true)
    }

    @Test func retryAfterIsHonoured() async throws {
        let source = try RemoteRegistry(options: TestRegistries.options())
        let start = Date()
        let reference = try pinned("limitonce", "app-v1")
        #expect(try await source.resolve(reference).digest == reference.digest)
        #expect(Date().timeIntervalSince(start) >= 0.9)
    }

    @Test func persistentRateLimitingIsRateLimited() async throws {
        let source = try RemoteRegistry(options: TestRegistries.options { $0.maximumRetries = 1 })
        let error = await registryError { try await source.resolve(try pinned("limited", "app-v1")) }
        #expect(error?.code == .rateLimited)
        #expect(error?.isIndeterminate == true)
        #expect(error?.message.contains("TOOMANYREQUESTS") == true)
        // A Retry-After longer than the limit is not waited for.
        let impatient = try RemoteRegistry(options: TestRegistries.options { $0.maximumRetryAfter = 0.5 })
        let again = await registryError { try await impatient.resolve(try pinned("limited", "app-v2")) }
        #expect(again?.code == .rateLimited)
        #expect(again?.message.contains("Retry-After 1 s, 1 attempt)") == true)
    }

    @Test func slowAnswersHitTheRequestTimeoutAndTheDeadline() async throws {
        let perRequest = try RemoteRegistry(options: TestRegistries.options {
            $0.requestTimeout = 0.5
            $0.maximumRetries = 0
        })
        let slow = await registryError { try await perRequest.resolve(try pinned("slow", "app-v1")) }
        #expect(slow?.code == .unreachable)
        let overall = try RemoteRegistry(options: TestRegistries.options { $0.timeout = 1.5 })
        let deadline = await registryError { try await overall.resolve(try pinned("slow", "app-v2")) }
        #expect(deadline?.code == .timeout)
        #expect(deadline?.isIndeterminate == true)
    }

    @Test func aTagIsHashedWhenHEADGivesNoDigest() async throws {
        let source = try RemoteRegistry(options: TestRegistries.options())
        let tagged = try TestRegistries.reference(fault, "nohead/demo/app-v1", tag: "latest")
        #expect(try await source.resolve(tagged).digest == (try TestRegistries.imageDigest("app-v1")))
    }

    @Test func aTagWhoseBytesDoNotMatchDockerContentDigestIsRefused() async throws {
        let source = try RemoteRegistry(options: TestRegistries.options())
        let tagged = try TestRegistries.reference(fault, "tampered/demo/app-v1", tag: "latest")
        let error = await registryError { try await source.resolve(tagged) }
        #expect(error?.code == .digestMismatch)
        #expect(error?.category == .integrity)
    }

    @Test func redirectsNeverCarryAuthorizationToAnotherHost() async throws {
        struct Stats: Decodable { let blobstoreAuthorization: Int; let blobstoreRequests: Int }
        func stats() async throws -> Stats {
            let (data, _) = try await URLSession.shared.data(from: try #require(URL(string: "http://\(fault)/stats")))
            return try JSONDecoder().decode(Stats.self, from: data)
        }
        let before = try await stats()
        let source = try RemoteRegistry(options: TestRegistries.options {
            $0.credentials = RegistryCredentials(username: TestRegistries.user, password: TestRegistries.password)
        })
        let repository = try TestRegistries.reference(fault, "redirect/demo/app-v1")
        let fetched = try await source.manifest(repository, digest: try TestRegistries.imageDigest("app-v1"))
        guard case .image(let manifest) = fetched.manifest else { Issue.record("not an image"); return }
        let config = try await source.blob(repository, descriptor: manifest.config, maxSize: 1 << 20)
        #expect(ContentVerifier.digest(of: config) == manifest.config.digest)
        let after = try await stats()
        #expect(after.blobstoreRequests > before.blobstoreRequests)
        #expect(after.blobstoreAuthorization == before.blobstoreAuthorization)
    }
}
