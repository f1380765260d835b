import Foundation
import TUFDownload

/// Where verification gets its Sigstore `trusted_root.json`: fetched through TUF by `update`, cached on disk, refreshed
/// when older than `maximumAge`, and the root built into the binary only when nothing was ever fetched.
///
/// Layout of `directory` (default `$XDG_CACHE_HOME/image-verifier/trust`, else `~/.cache/image-verifier/trust`):
/// `metadata/` (the TUF client's trusted metadata), `trusted_root.json` (the last verified target) and `state.json`.
public struct TrustedRootStore: Sendable {
    /// Sigstore's public-good TUF repository (metadata at the root, targets under `targets/`).
    public static let publicGoodRepository = "https://tuf-repo-cdn.sigstore.dev"
    /// The TUF target holding the trusted root.
    public static let targetName = "trusted_root.json"

    /// The cache directory.
    public let directory: URL
    /// A cached root older than this is refreshed before use (default one day).
    public var maximumAge: TimeInterval
    /// How repository files are fetched.
    public var fetcher: any TUFFetcher

    /// The default cache directory, next to the registry content cache.
    public static var defaultDirectory: URL {
        URL(fileURLWithPath: ContentCache.defaultDirectory).appendingPathComponent("trust")
    }

    /// The store verification uses: the default directory; the maximum age in seconds from the environment
    /// variable `VERIFY_IMAGE_TRUST_MAX_AGE` when set (default one day).
    public static func forVerification() -> TrustedRootStore {
        let age = ProcessInfo.processInfo.environment["VERIFY_IMAGE_TRUST_MAX_AGE"].flatMap(TimeInterval.init) ?? 86_400
        return TrustedRootStore(maximumAge: age)
    }

    /// A store in `directory`.
    public init(directory: URL = TrustedRootStore.defaultDirectory, maximumAge: TimeInterval = 86_400,
                fetcher: any TUFFetcher = StandardTUFFetcher(timeoutSeconds: 30)) {
        self.directory = directory
        self.maximumAge = maximumAge
        self.fetcher = fetcher
    }

    /// What the cache holds (`state.json`).
    public struct Status: Codable, Sendable, Equatable {
        /// The TUF repository (metadata base URL; targets are under `targets/`).
        public var repository: String
        /// When the trusted root was last fetched and verified.
        public var fetchedAt: Date
        /// The TUF root version trusted then.
        public var rootVersion: Int
        /// When the first of the top-level TUF metadata expires: after it the cache is stale beyond use.
        public var expires: Date
        /// SHA-256 (hex) of the cached `trusted_root.json`.
        public var trustedRootSHA256: String
    }

    /// Where a resolved trusted root came from.
    public enum Source: String, Sendable {
        /// Built into the binary (nothing was ever fetched).
        case embedded
        /// The cache, fresh enough to use as is.
        case cache
        /// Refreshed through TUF just now.
        case refreshed
        /// The cache, used because a due refresh failed while its metadata is still unexpired (offline use).
        case staleCache = "stale-cache"
    }

    /// The trusted root verification should use, with where it came from and a notice to show the user.
    public struct Resolution: Sendable {
        /// The trusted root.
        public let root: TrustedRoot
        /// Its source.
        public let source: Source
        /// A sentence for the user when the source deserves one (embedded root, stale cache).
        public let notice: String?
    }

    private var metadataStore: TUFMetadataStore { TUFMetadataStore(directory: directory.appendingPathComponent("metadata")) }
    private var trustedRootFile: URL { directory.appendingPathComponent(TrustedRootStore.targetName) }
    private var stateFile: URL { directory.appendingPathComponent("state.json") }

    /// The cache's state, or nil if nothing was ever fetched.
    public func status() -> Status? {
        guard let data = try? Data(contentsOf: stateFile) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(Status.self, from: data)
    }

    /// The cached trusted root's bytes, or nil.
    public func cachedTrustedRootBytes() -> [UInt8]? {
        (try? Data(contentsOf: trustedRootFile)).map { [UInt8]($0) }
    }

    /// Refreshes the TUF repository and caches its verified `trusted_root.json`.
    /// - Parameters:
    ///   - repository: the TUF repository URL (default: the one already cached, else Sigstore's public-good one).
    ///   - initialRoot: the repository's trusted initial `root.json`; needed for a repository other than
    ///     public-good the first time (public-good starts from the root in `keys/`, built in).
    /// - Throws: `ImageGateError` `trust_update_failed` (with the TUF reason) or `trust_store_invalid`.
    @discardableResult
    public func update(repository: String? = nil, initialRoot: [UInt8]? = nil, now: Date = Date()) async throws -> Status {
        let previous = status()
        let repository = (repository ?? previous?.repository ?? TrustedRootStore.publicGoodRepository)
        let base = repository.hasSuffix("/") ? String(repository.dropLast()) : repository
        // A new repository or a new initial root starts in a scratch metadata directory that replaces the current
        // one only once the refresh succeeded, so a failed update never leaves the cache unusable.
        var store = metadataStore
        var scratch: URL?
        if previous?.repository != base || store.read("root") == nil || initialRoot != nil {
            let root: [UInt8]
            if let initialRoot {
                root = initialRoot
            } else if base == TrustedRootStore.publicGoodRepository {
                root = EmbeddedTUFRoot.publicGood
            } else {
                throw ImageGateError(.trustStoreInvalid, "\(base) is not Sigstore's public-good repository: give its initial root.json (--tuf-root FILE)")
            }
            do {
                _ = try RootMetadata(initialRootBytes: root)
            } catch {
                throw ImageGateError(.trustStoreInvalid, "the initial TUF root is not usable: \(error)")
            }
            let directory = self.directory.appendingPathComponent("metadata.new-\(UUID().uuidString)")
            scratch = directory
            store = TUFMetadataStore(directory: directory)
            try wrap(.trustStoreInvalid) { try store.write("root", root) }
        }
        defer { if let scratch { try? FileManager.default.removeItem(at: scratch) } }
        let bytes: [UInt8]
        let status: Status
        do {
            let client = try TUFClient(store: store, metadataBaseURL: base + "/", fetcher: fetcher, referenceTime: now)
            try await client.refresh()
            guard let target = try await client.targetInfo(for: TrustedRootStore.targetName) else {
                throw ImageGateError(.trustUpdateFailed, "\(base) has no \(TrustedRootStore.targetName) target")
            }
            bytes = try await client.download(target, targetBaseURL: base + "/targets/")
            status = Status(repository: base, fetchedAt: now, rootVersion: await client.trustedRoot.envelope.version,
                            expires: await client.earliestExpiry,
                            trustedRootSHA256: HashAlgorithm.sha256.hash(bytes).hexString)
        } catch let error as TUFError {
            throw ImageGateError(.trustUpdateFailed, "TUF refresh of \(base) failed: \(error)")
        }
        do {
            _ = try TrustedRoot(json: Data(bytes))
        } catch {
            throw ImageGateError(.trustUpdateFailed, "\(base) served a \(TrustedRootStore.targetName) that does not parse: \(error)")
        }
        try wrap(.trustStoreInvalid) {
            if let scratch {
                try? FileManager.default.removeItem(at: metadataStore.directory)
                try FileManager.default.moveItem(at: scratch, to: metadataStore.directory)
            }
            try Data(bytes).write(to: trustedRootFile, options: .atomic)
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(status).write(to: stateFile, options: .atomic)
        }
        return status
    }

    /// The one call verification makes: the trusted root to use now.
    ///
    /// Nothing ever fetched → the embedded production root (with a notice saying so). A cache younger than
    /// `maximumAge` whose metadata is unexpired → the cache. Otherwise a refresh is tried; if it fails, the cache is
    /// still used while its TUF metadata is unexpired (offline use), with a notice.
    /// - Throws: `ImageGateError` `trusted_root_expired` when the cache's metadata has expired and cannot be
    ///   refreshed — verification must then be indeterminate, never a silent pass.
    public func resolve(now: Date = Date()) async throws -> Resolution {
        guard let status = status(), let cached = cachedTrustedRootBytes() else {
            return Resolution(root: try TrustedRoot.production(), source: .embedded,
                              notice: "no trusted root was ever fetched through TUF; using the one built into this binary (run `verify-image trust update` to fetch the current one)")
        }
        if now.timeIntervalSince(status.fetchedAt) < maximumAge, now < status.expires {
            return Resolution(root: try parseCached(cached), source: .cache, notice: nil)
        }
        do {
            try await update(now: now)
            guard let fresh = cachedTrustedRootBytes() else { throw ImageGateError(.trustStoreInvalid, "the refreshed trusted root vanished") }
            return Resolution(root: try parseCached(fresh), source: .refreshed, notice: nil)
        } catch {
            guard now < status.expires else {
                throw ImageGateError(.trustedRootExpired,
                                     "the cached trusted root (fetched \(iso8601(status.fetchedAt)) from \(status.repository)) expired at \(iso8601(status.expires)) and could not be refreshed (\(error)); run `verify-image trust update` when the repository is reachable")
            }
            return Resolution(root: try parseCached(cached), source: .staleCache,
                              notice: "could not refresh the trusted root (\(error)); using the copy fetched \(iso8601(status.fetchedAt)), valid until \(iso8601(status.expires))")
        }
    }

    private func parseCached(_ bytes: [UInt8]) throws -> TrustedRoot {
        do {
            return try TrustedRoot(json: Data(bytes))
        } catch {
            throw ImageGateError(.trustStoreInvalid, "the cached \(trustedRootFile.path) does not parse (\(error)); run `verify-image trust update`")
        }
    }

    private func wrap<T>(_ code: ImageGateError.Code, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ImageGateError {
            throw error
        } catch {
            throw ImageGateError(code, "\(directory.path): \(error)")
        }
    }
}

extension PolicyOptions {
    /// Builds the policy with the default trusted root taken from `trustStore` (the TUF-refreshed cache) when the
    /// options use the default root; the resolution's notice (embedded root, stale cache) is returned for the user.
    /// - Throws: as `makePolicy(defaultTrustedRoot:)`, and `ImageGateError` `trusted_root_expired` (indeterminate).
    public func makePolicy(trustStore: TrustedRootStore, now: Date = Date()) async throws -> (policy: VerificationPolicy, notice: String?) {
        guard usesDefaultTrustedRoot else { return (try makePolicy(), nil) }
        let resolution = try await trustStore.resolve(now: now)
        return (try makePolicy(defaultTrustedRoot: resolution.root), resolution.notice)
    }
}

/// `2025-02-09T12:02:08Z`.
func iso8601(_ date: Date) -> String {
    ISO8601DateFormatter().string(from: date)
}
