import CryptoPrimitives
import Foundation

/// Limits of one client (bounded downloads, bounded work).
public struct TUFLimits: Sendable {
    /// Largest root.json accepted.
    public var rootMaximumLength = 512_000
    /// Largest timestamp.json accepted.
    public var timestampMaximumLength = 16_384
    /// Largest snapshot.json accepted when timestamp gives no length.
    public var snapshotMaximumLength = 2_000_000
    /// Largest targets metadata accepted when snapshot gives no length.
    public var targetsMaximumLength = 5_000_000
    /// How many root versions one refresh may walk.
    public var maximumRootRotations = 256
    /// How many targets roles one target search may visit.
    public var maximumDelegations = 32

    /// The defaults (those of python-tuf's ngclient).
    public init() {}
}

/// Where a client keeps the metadata it trusts: one directory, files named `<role>.json` (role names
/// percent-encoded, so no role name can escape the directory), each written atomically with the exact bytes served.
public struct TUFMetadataStore: Sendable {
    /// The directory.
    public let directory: URL

    /// Uses `directory` (created when first written).
    public init(directory: URL) { self.directory = directory }

    /// The file for `role`.
    public func fileURL(for role: String) -> URL {
        directory.appendingPathComponent(TUFMetadataStore.fileName(for: role) + ".json")
    }

    /// A name that is safe as one file name: everything but `A–Z a–z 0–9 _ . - ~` percent-encoded (so no `/`).
    public static func fileName(for name: String) -> String { percentEncodeAll(name) }

    /// The stored bytes of `role`, or nil.
    public func read(_ role: String) -> [UInt8]? {
        (try? Data(contentsOf: fileURL(for: role))).map { [UInt8]($0) }
    }

    /// Stores `bytes` as `role` (atomically).
    public func write(_ role: String, _ bytes: [UInt8]) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(bytes).write(to: fileURL(for: role), options: .atomic)
        } catch {
            throw TUFError(.storage, "cannot write \(fileURL(for: role).path): \(error.localizedDescription)")
        }
    }
}

/// Fetches repository files. Implementations must never return more than `maximumLength` bytes: a longer answer is
/// an error (`download_too_large`), so a hostile repository cannot feed endless data. The HTTP and file one is
/// `StandardTUFFetcher` (module `TUFDownload`).
public protocol TUFFetcher: Sendable {
    /// Returns the bytes at `url`.
    /// - Throws: `TUFError` `download_failed` (with `httpStatus` for HTTP errors) or `download_too_large`.
    func fetch(_ url: String, maximumLength: Int) async throws -> [UInt8]
}

/// Percent-encodes everything but `A–Z a–z 0–9 _ . - ~` (Python's `quote(s, safe="")`), for URLs and file names.
func percentEncodeAll(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
        }
    }
    return out
}

/// Percent-encodes a target path for a URL, keeping `/`.
func percentEncodePath(_ path: String) -> String {
    path.split(separator: "/", omittingEmptySubsequences: false).map { percentEncodeAll(String($0)) }.joined(separator: "/")
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// A TUF client (specification 1.0.x, client workflow §5), as python-tuf's ngclient behaves: top-level refresh with
/// root rotation, rollback and freeze protection, fast-forward recovery (metadata signed by rotated-out keys simply
/// stops verifying), consistent snapshots, then target search through delegations and verified target downloads.
///
/// One instance serves one refresh: the reference time is fixed when it is created. Not safe for concurrent use
/// (it is an actor).
public actor TUFClient {
    private let store: TUFMetadataStore
    private let metadataBaseURL: String
    private let fetcher: any TUFFetcher
    private let limits: TUFLimits
    private var trusted: TrustedMetadataSet
    private var refreshed = false

    /// Loads the trusted root from `store` (it must be there: write the initial root with `store.write("root", …)`).
    /// - Parameters:
    ///   - metadataBaseURL: the repository's metadata URL (`…/metadata` or `…/metadata/`).
    ///   - fetcher: how files are downloaded (`StandardTUFFetcher` of `TUFDownload` for HTTP and files).
    ///   - referenceTime: the time expiry is judged at (now, normally).
    /// - Throws: `TUFError` `storage` if there is no root, or the root's own errors.
    public init(store: TUFMetadataStore, metadataBaseURL: String, fetcher: any TUFFetcher,
                limits: TUFLimits = TUFLimits(), referenceTime: Date = Date()) throws {
        guard let rootBytes = store.read(TopLevelRole.root.rawValue) else {
            throw TUFError(.storage, "no trusted root.json in \(store.directory.path); initialise the client with an initial root first")
        }
        self.store = store
        self.metadataBaseURL = metadataBaseURL.hasSuffix("/") ? metadataBaseURL : metadataBaseURL + "/"
        self.fetcher = fetcher
        self.limits = limits
        self.trusted = try TrustedMetadataSet(rootBytes: rootBytes, referenceTime: referenceTime)
    }

    /// The trusted root after the last step taken.
    public var trustedRoot: RootMetadata { trusted.root }

    /// When the first of the trusted top-level metadata (root, timestamp, snapshot, targets) expires; after that
    /// instant the repository must be refreshed before its targets can be trusted again.
    public var earliestExpiry: Date {
        [trusted.root.envelope.expires, trusted.timestamp?.envelope.expires, trusted.snapshot?.envelope.expires,
         trusted.targetsRoles[TopLevelRole.targets.rawValue]?.envelope.expires].compactMap { $0 }.min()!
    }

    /// Refreshes root, timestamp, snapshot and top-level targets (§5.3–5.6), storing each accepted file.
    public func refresh() async throws {
        try await loadRoot()
        try await loadTimestamp()
        try await loadSnapshot()
        _ = try await loadTargets(TopLevelRole.targets.rawValue, delegator: TopLevelRole.root.rawValue)
        refreshed = true
    }

    private func metadataURL(_ role: String, version: Int?) -> String {
        let name = percentEncodeAll(role)
        return metadataBaseURL + (version.map { "\($0).\(name).json" } ?? "\(name).json")
    }

    private func loadRoot() async throws {
        let first = trusted.root.envelope.version + 1
        for version in first..<(first + limits.maximumRootRotations) {
            let bytes: [UInt8]
            do {
                bytes = try await fetcher.fetch(metadataURL("root", version: version), maximumLength: limits.rootMaximumLength)
            } catch let error as TUFError where error.httpStatus == 404 || error.httpStatus == 403 {
                return  // the trusted root is the newest
            }
            try trusted.updateRoot(bytes)
            try store.write(TopLevelRole.root.rawValue, bytes)
        }
    }

    private func loadTimestamp() async throws {
        if let local = store.read(TopLevelRole.timestamp.rawValue) {
            try? trusted.updateTimestamp(local)  // a stored timestamp that no longer verifies is just not used
        }
        let bytes = try await fetcher.fetch(metadataURL("timestamp", version: nil), maximumLength: limits.timestampMaximumLength)
        do {
            try trusted.updateTimestamp(bytes)
        } catch let error as TUFError where error.code == .equalVersion {
            return  // nothing new; the stored one stays (and is checked for expiry before use)
        }
        try store.write(TopLevelRole.timestamp.rawValue, bytes)
    }

    private func loadSnapshot() async throws {
        if let local = store.read(TopLevelRole.snapshot.rawValue) {
            do {
                try trusted.updateSnapshot(local, isLocalCopy: true)
                return  // the stored snapshot is the one timestamp names
            } catch {}
        }
        guard let info = trusted.timestamp?.snapshot else { throw TUFError(.usage, "no trusted timestamp") }
        let bytes = try await fetcher.fetch(metadataURL("snapshot", version: trusted.root.consistentSnapshot ? info.version : nil),
                                            maximumLength: info.length ?? limits.snapshotMaximumLength)
        try trusted.updateSnapshot(bytes, isLocalCopy: false)
        try store.write(TopLevelRole.snapshot.rawValue, bytes)
    }

    /// Loads a targets role through `delegatorName`. A role already loaded (through another delegator) is verified
    /// again against this delegator's keys, so it never inherits trust from an earlier search path.
    private func loadTargets(_ role: String, delegator delegatorName: String) async throws -> TargetsMetadata {
        guard let delegator = trusted.delegator(named: delegatorName) else {
            throw TUFError(.usage, "delegator \(delegatorName) is not loaded")
        }
        if let loaded = trusted.targetsRoles[role] {
            try delegator.verify(loaded.envelope, roleName: role)
            return loaded
        }
        if let local = store.read(role), let accepted = try? trusted.updateTargets(local, roleName: role, delegator: delegator) {
            return accepted
        }
        guard let info = trusted.snapshot?.meta["\(role).json"] else {
            throw TUFError(.repositoryInconsistent, "snapshot does not list \(role).json")
        }
        let bytes = try await fetcher.fetch(metadataURL(role, version: trusted.root.consistentSnapshot ? info.version : nil),
                                            maximumLength: info.length ?? limits.targetsMaximumLength)
        let accepted = try trusted.updateTargets(bytes, roleName: role, delegator: delegator)
        try store.write(role, bytes)
        return accepted
    }

    /// Finds `targetPath` (§5.6.7): a pre-order depth-first search of the delegation graph from top-level targets,
    /// following only delegations whose paths cover it and stopping at a terminating delegation. Refreshes first if
    /// needed.
    /// - Returns: the trusted entry, or nil if no role that may sign it lists it.
    public func targetInfo(for targetPath: String) async throws -> TargetFileInfo? {
        if !refreshed { try await refresh() }
        var toVisit: [(role: String, delegator: String)] = [(TopLevelRole.targets.rawValue, TopLevelRole.root.rawValue)]
        var visited = Set<String>()
        while visited.count <= limits.maximumDelegations, let next = toVisit.popLast() {
            let (role, delegator) = next
            if visited.contains(role) { continue }
            let targets = try await loadTargets(role, delegator: delegator)
            if let target = targets.targets[targetPath] { return target }
            visited.insert(role)
            var children: [(role: String, delegator: String)] = []
            for (child, terminating) in targets.delegations(for: targetPath) {
                children.append((child, role))
                if terminating { toVisit.removeAll(); break }
            }
            toVisit.append(contentsOf: children.reversed())
        }
        return nil
    }

    /// Downloads `target` from `targetBaseURL` (hash-prefixed file name under consistent snapshots) and returns its
    /// bytes once length and every hash match.
    public func download(_ target: TargetFileInfo, targetBaseURL: String) async throws -> [UInt8] {
        let base = targetBaseURL.hasSuffix("/") ? targetBaseURL : targetBaseURL + "/"
        var path = target.path
        if trusted.root.consistentSnapshot {
            let (directory, slash, name) = path.lastIndex(of: "/").map {
                (String(path[..<$0]), "/", String(path[path.index(after: $0)...]))
            } ?? ("", "", path)
            path = "\(directory)\(slash)\(target.prefixHash).\(name)"
        }
        let bytes = try await fetcher.fetch(base + percentEncodePath(path), maximumLength: target.length)
        try target.verify(bytes)
        return bytes
    }
}
