import Foundation

/// Who delegates to a targets role: root (for `targets`) or a targets role.
enum Delegator {
    case root(RootMetadata)
    case targets(TargetsMetadata)

    func verify(_ envelope: SignedEnvelope, roleName: String) throws {
        switch self {
        case .root(let root): try root.verify(envelope, as: .targets)
        case .targets(let targets): try targets.verifyDelegate(envelope, roleName: roleName)
        }
    }
}

/// The metadata this client trusts, and the rules (client workflow §5.3–5.6) for replacing each piece.
///
/// Every update parses once, checks signatures against the trusted delegator, then versions, hashes and expiry.
/// Metadata is accepted only in workflow order: root(s), timestamp, snapshot, targets, delegated targets.
struct TrustedMetadataSet {
    /// The time expiry is judged at (fixed for one refresh).
    let referenceTime: Date
    private(set) var root: RootMetadata
    private(set) var timestamp: TimestampMetadata?
    private(set) var snapshot: SnapshotMetadata?
    private(set) var targetsRoles: [String: TargetsMetadata] = [:]

    /// Starts from a trusted root, which must be signed by a threshold of its own root keys (expiry is checked later,
    /// after any rotation, §5.3.10).
    init(rootBytes: [UInt8], referenceTime: Date) throws {
        self.root = try RootMetadata(initialRootBytes: rootBytes)
        self.referenceTime = referenceTime
    }

    /// §5.3: accepts root version N+1, signed by a threshold of the trusted root's keys AND of its own.
    mutating func updateRoot(_ bytes: [UInt8]) throws {
        precondition(timestamp == nil, "root can only be updated before timestamp")
        let envelope = try SignedEnvelope(bytes: bytes)
        let newRoot = try RootMetadata(envelope)
        try root.verify(envelope, as: .root)
        guard envelope.version == root.envelope.version + 1 else {
            throw TUFError(.badVersion, "expected root v\(root.envelope.version + 1), got v\(envelope.version)")
        }
        try newRoot.verify(envelope, as: .root)
        root = newRoot
    }

    /// §5.4: accepts a timestamp signed by the root's timestamp keys, not older than the trusted one (and not pointing
    /// to an older snapshot). It is kept even when expired (so it still protects against rollback), then the expiry
    /// error is thrown.
    mutating func updateTimestamp(_ bytes: [UInt8]) throws {
        precondition(snapshot == nil, "timestamp can only be updated before snapshot")
        guard !root.envelope.isExpired(at: referenceTime) else {
            throw TUFError(.expired, "the final root (v\(root.envelope.version)) expired at \(root.envelope.expires)")
        }
        let envelope = try SignedEnvelope(bytes: bytes)
        let new = try TimestampMetadata(envelope)
        try root.verify(envelope, as: .timestamp)
        if let timestamp {
            if envelope.version < timestamp.envelope.version {
                throw TUFError(.badVersion, "timestamp v\(envelope.version) is older than the trusted v\(timestamp.envelope.version) (rollback)")
            }
            if envelope.version == timestamp.envelope.version {
                throw TUFError(.equalVersion, "timestamp v\(envelope.version) is already trusted")
            }
            if new.snapshot.version < timestamp.snapshot.version {
                throw TUFError(.badVersion, "timestamp names snapshot v\(new.snapshot.version), older than the trusted v\(timestamp.snapshot.version) (rollback)")
            }
        }
        timestamp = new
        try checkFinalTimestamp()
    }

    private func checkFinalTimestamp() throws {
        guard let timestamp else { throw TUFError(.usage, "no trusted timestamp") }
        if timestamp.envelope.isExpired(at: referenceTime) {
            throw TUFError(.expired, "timestamp v\(timestamp.envelope.version) expired at \(timestamp.envelope.expires)")
        }
    }

    /// §5.5: accepts a snapshot matching the timestamp's length and hashes (unless it is the locally stored one),
    /// signed by the root's snapshot keys, listing every file the trusted snapshot listed at no lower version. Kept even
    /// when expired or not the version timestamp names (for rollback checks), then that error is thrown.
    mutating func updateSnapshot(_ bytes: [UInt8], isLocalCopy: Bool) throws {
        guard let timestamp else { throw TUFError(.usage, "snapshot needs a trusted timestamp first") }
        precondition(targetsRoles.isEmpty, "snapshot can only be updated before targets")
        try checkFinalTimestamp()
        if !isLocalCopy { try timestamp.snapshot.verify(bytes, name: "snapshot") }
        let envelope = try SignedEnvelope(bytes: bytes)
        let new = try SnapshotMetadata(envelope)
        try root.verify(envelope, as: .snapshot)
        if let snapshot {
            for (name, info) in snapshot.meta {
                guard let newInfo = new.meta[name] else {
                    throw TUFError(.repositoryInconsistent, "snapshot v\(envelope.version) no longer lists \(name) (rollback)")
                }
                if newInfo.version < info.version {
                    throw TUFError(.badVersion, "snapshot v\(envelope.version) lists \(name) v\(newInfo.version), older than the trusted v\(info.version) (rollback)")
                }
            }
        }
        snapshot = new
        try checkFinalSnapshot()
    }

    private func checkFinalSnapshot() throws {
        guard let snapshot, let timestamp else { throw TUFError(.usage, "no trusted snapshot") }
        if snapshot.envelope.isExpired(at: referenceTime) {
            throw TUFError(.expired, "snapshot v\(snapshot.envelope.version) expired at \(snapshot.envelope.expires)")
        }
        if snapshot.envelope.version != timestamp.snapshot.version {
            throw TUFError(.badVersion, "snapshot is v\(snapshot.envelope.version) but timestamp names v\(timestamp.snapshot.version)")
        }
    }

    /// The delegator of `roleName` as trusted now (root for `targets`).
    func delegator(named name: String) -> Delegator? {
        if name == TopLevelRole.root.rawValue { return .root(root) }
        return targetsRoles[name].map(Delegator.targets)
    }

    /// §5.6: accepts targets (or a delegated targets role) matching snapshot's length, hashes and version, signed by
    /// a threshold of the keys its delegator gives it, and not expired.
    mutating func updateTargets(_ bytes: [UInt8], roleName: String, delegator: Delegator) throws -> TargetsMetadata {
        guard snapshot != nil else { throw TUFError(.usage, "targets need a trusted snapshot first") }
        try checkFinalSnapshot()
        guard let info = snapshot?.meta["\(roleName).json"] else {
            throw TUFError(.repositoryInconsistent, "snapshot does not list \(roleName).json")
        }
        try info.verify(bytes, name: roleName)
        let envelope = try SignedEnvelope(bytes: bytes)
        let new = try TargetsMetadata(envelope)
        try delegator.verify(envelope, roleName: roleName)
        guard envelope.version == info.version else {
            throw TUFError(.badVersion, "\(roleName) is v\(envelope.version) but snapshot names v\(info.version)")
        }
        guard !envelope.isExpired(at: referenceTime) else {
            throw TUFError(.expired, "\(roleName) v\(envelope.version) expired at \(envelope.expires)")
        }
        targetsRoles[roleName] = new
        return new
    }
}
