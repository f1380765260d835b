import CryptoPrimitives
import Foundation

/// The four top-level TUF roles.
public enum TopLevelRole: String, Sendable, CaseIterable {
    case root, timestamp, snapshot, targets
}

/// One signed metadata file: the parsed `signed` object, its canonical bytes (what signatures cover) and signatures.
///
/// Parsed once from the exact bytes received; `bytes` are kept so trusted metadata is stored as it was served.
public struct SignedEnvelope: Sendable {
    /// The bytes the metadata was parsed from.
    public let bytes: [UInt8]
    /// The `signed` object.
    public let signed: [String: JSONValue]
    /// OLPC canonical JSON of `signed`, computed once.
    public let canonicalSigned: [UInt8]
    /// Signatures by key id (a key id may appear only once).
    public let signatures: [String: [UInt8]]
    /// `_type`.
    public let type: String
    /// `version` (≥ 1).
    public let version: Int
    /// `expires`.
    public let expires: Date

    /// Parses a metadata file and the fields every role shares (`_type`, `spec_version`, `version`, `expires`).
    /// - Throws: `TUFError` `malformed_metadata`.
    public init(bytes: [UInt8]) throws {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: bytes)
        } catch let error as JSONSyntaxError {
            throw TUFError(.malformedMetadata, error.description)
        }
        guard let top = document.objectValue else { throw malformed("metadata is not a JSON object") }
        guard let signedValue = top["signed"], let signed = signedValue.objectValue else {
            throw malformed("metadata has no \"signed\" object")
        }
        guard let signatureList = top["signatures"]?.arrayValue else { throw malformed("metadata has no \"signatures\" array") }
        var signatures: [String: [UInt8]] = [:]
        for entry in signatureList {
            guard let object = entry.objectValue, let keyID = object["keyid"]?.stringValue,
                  let sig = object["sig"]?.stringValue else {
                throw malformed("a signature is not an object with string \"keyid\" and \"sig\"")
            }
            guard signatures[keyID] == nil else {
                throw malformed("key id \(keyID) has more than one signature (key ids must be unique in \"signatures\")")
            }
            signatures[keyID] = bytesFromHex(sig) ?? []
        }
        let reader = FieldReader(signed, context: "signed")
        type = try reader.string("_type")
        let specVersion = try reader.string("spec_version")
        let parts = specVersion.split(separator: ".", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { ("0"..."9").contains($0) } }),
              parts[0] == "1" else {
            throw malformed("unsupported spec_version \"\(specVersion)\"; this client implements TUF 1.x")
        }
        version = try reader.positiveInt("version")
        expires = try reader.date("expires")
        self.bytes = bytes
        self.signed = signed
        self.canonicalSigned = try CanonicalJSON.encode(signedValue)
        self.signatures = signatures
    }

    /// True if the metadata has expired at `time` (the expiry instant itself counts as expired).
    public func isExpired(at time: Date) -> Bool { time >= expires }
}

/// A public key as TUF metadata describes it (`keytype`, `scheme`, `keyval.public`).
public struct TUFKey: Sendable {
    /// `keytype`.
    public let keyType: String
    /// `scheme`.
    public let scheme: String
    /// The parsed key, or nil if the type, scheme or encoding is not supported (its signatures then never count).
    public let publicKey: PublicKey?
    let hash: HashAlgorithm
    let rsaPadding: PublicKey.RSAPadding

    init(_ value: JSONValue, keyID: String) throws {
        let reader = try FieldReader(value, context: "key \(keyID)")
        keyType = try reader.string("keytype")
        scheme = try reader.string("scheme")
        let keyval = try FieldReader(reader.require("keyval"), context: "key \(keyID) keyval")
        let material = try keyval.string("public")
        var hash = HashAlgorithm.sha256
        var padding = PublicKey.RSAPadding.pkcs1v15
        var key: PublicKey?
        switch (keyType, scheme) {
        case ("ed25519", "ed25519"):
            key = bytesFromHex(material).flatMap { try? PublicKey(rawEd25519: $0) }
        case ("ecdsa", "ecdsa-sha2-nistp256"), ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256"):
            // PEM, or (in early Sigstore roots) the hex of the uncompressed point.
            if material.hasPrefix("-----") {
                key = try? PublicKey(pem: material)
            } else {
                key = bytesFromHex(material).flatMap { try? PublicKey(uncompressedP256Point: $0) }
            }
            if key?.kind != .ecdsaP256 { key = nil }
        case ("ecdsa", "ecdsa-sha2-nistp384"), ("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384"):
            key = try? PublicKey(pem: material)
            hash = .sha384
            if key?.kind != .ecdsaP384 { key = nil }
        case ("rsa", let rsaScheme) where rsaScheme.hasPrefix("rsassa-pss-") || rsaScheme.hasPrefix("rsa-pkcs1v15-"):
            padding = rsaScheme.hasPrefix("rsassa-pss-") ? .pss : .pkcs1v15
            let hashName = rsaScheme.split(separator: "-").last.map(String.init) ?? ""
            if let algorithm = HashAlgorithm(rawValue: hashName) {
                hash = algorithm
                key = try? PublicKey(pem: material)
                if case .rsa = key?.kind {} else { key = nil }
            }
        default:
            key = nil
        }
        publicKey = key
        self.hash = hash
        rsaPadding = padding
    }

    /// True if `signature` is this key's valid signature over `message`.
    func verifies(_ signature: [UInt8], over message: [UInt8]) -> Bool {
        guard let publicKey, !signature.isEmpty else { return false }
        return publicKey.isValidSignature(signature, for: message, hash: hash, rsaPadding: rsaPadding)
    }
}

/// The keys and threshold that may sign a role.
public struct RoleKeys: Sendable {
    /// Key ids (unique).
    public let keyIDs: [String]
    /// How many distinct keys must sign (≥ 1).
    public let threshold: Int

    init(_ reader: FieldReader) throws {
        let ids = try reader.stringArray("keyids")
        guard Set(ids).count == ids.count else { throw malformed("\(reader.context) lists a key id more than once") }
        keyIDs = ids
        threshold = try reader.positiveInt("threshold")
    }
}

/// Checks that `envelope` is signed by a threshold of `role`'s keys (each key counted once).
/// - Throws: `TUFError` `threshold_not_met` naming the role and the counts.
func verifyThreshold(_ envelope: SignedEnvelope, role: RoleKeys, keys: [String: TUFKey], roleName: String) throws {
    var valid = 0
    for keyID in role.keyIDs {
        guard let key = keys[keyID], let signature = envelope.signatures[keyID] else { continue }
        if key.verifies(signature, over: envelope.canonicalSigned) { valid += 1 }
    }
    guard valid >= role.threshold else {
        throw TUFError(.thresholdNotMet,
                       "\(roleName) v\(envelope.version) has \(valid) valid signature(s) from its \(role.keyIDs.count) trusted key(s); \(role.threshold) required")
    }
}

/// Parses a `keys` object.
func parseKeys(_ value: JSONValue?, context: String) throws -> [String: TUFKey] {
    guard let object = value?.objectValue else { throw malformed("\(context) has no \"keys\" object") }
    var keys: [String: TUFKey] = [:]
    for (keyID, keyValue) in object { keys[keyID] = try TUFKey(keyValue, keyID: keyID) }
    return keys
}

/// root.json.
public struct RootMetadata: Sendable {
    /// The envelope.
    public let envelope: SignedEnvelope
    /// `consistent_snapshot` (false when absent).
    public let consistentSnapshot: Bool
    /// All keys.
    public let keys: [String: TUFKey]
    /// The four top-level roles.
    public let roles: [TopLevelRole: RoleKeys]

    /// Parses root metadata (no signature check).
    public init(_ envelope: SignedEnvelope) throws {
        guard envelope.type == "root" else { throw TUFError(.wrongType, "expected root metadata, got \"\(envelope.type)\"") }
        let reader = FieldReader(envelope.signed, context: "root")
        consistentSnapshot = try reader.optionalBool("consistent_snapshot") ?? false
        keys = try parseKeys(envelope.signed["keys"], context: "root")
        guard let roleObject = envelope.signed["roles"]?.objectValue else { throw malformed("root has no \"roles\" object") }
        guard Set(roleObject.keys) == Set(TopLevelRole.allCases.map(\.rawValue)) else {
            throw malformed("root roles must be exactly root, timestamp, snapshot and targets (got \(roleObject.keys.sorted()))")
        }
        var roles: [TopLevelRole: RoleKeys] = [:]
        for role in TopLevelRole.allCases {
            roles[role] = try RoleKeys(FieldReader(roleObject[role.rawValue]!, context: "root role \(role.rawValue)"))
        }
        self.roles = roles
        self.envelope = envelope
    }

    /// Parses a root to be trusted as the initial one: it must be signed by a threshold of its own root keys (its
    /// expiry is not checked here: a client walks to newer roots first, §5.3.10).
    /// - Throws: `TUFError` `malformed_metadata`, `wrong_type` or `threshold_not_met`.
    public init(initialRootBytes bytes: [UInt8]) throws {
        let envelope = try SignedEnvelope(bytes: bytes)
        try self.init(envelope)
        try verify(envelope, as: .root)
    }

    /// Verifies that `envelope` is signed by a threshold of this root's keys for `role`.
    public func verify(_ envelope: SignedEnvelope, as role: TopLevelRole) throws {
        try verifyThreshold(envelope, role: roles[role]!, keys: keys, roleName: role.rawValue)
    }
}

/// What snapshot or timestamp says about another metadata file.
public struct MetaFileInfo: Sendable {
    /// The expected version.
    public let version: Int
    /// The expected length, if given.
    public let length: Int?
    /// Expected hashes (algorithm → lower-case hex), possibly empty.
    public let hashes: [String: String]

    init(_ value: JSONValue, context: String) throws {
        let reader = try FieldReader(value, context: context)
        version = try reader.positiveInt("version")
        length = try reader.optionalPositiveInt("length")
        let hashes = try reader.optionalStringMap("hashes") ?? [:]
        if reader.has("hashes"), hashes.isEmpty { throw malformed("\(context) has an empty \"hashes\" object") }
        self.hashes = hashes
    }

    /// Checks `data` against the length and every hash given.
    public func verify(_ data: [UInt8], name: String) throws {
        if let length, data.count != length {
            throw TUFError(.lengthOrHashMismatch, "\(name) is \(data.count) bytes; trusted metadata says \(length)")
        }
        try verifyHashes(hashes, of: data, name: name)
    }
}

/// Checks `data` against every hash in `hashes`; an algorithm this client cannot compute fails closed.
func verifyHashes(_ hashes: [String: String], of data: [UInt8], name: String) throws {
    for (algorithm, expected) in hashes {
        guard let hash = HashAlgorithm(rawValue: algorithm) else {
            throw TUFError(.lengthOrHashMismatch, "\(name) has a \(algorithm) hash, which this client cannot check (supported: sha256, sha384, sha512)")
        }
        guard hash.hash(data).hexString == expected.lowercased() else {
            throw TUFError(.lengthOrHashMismatch, "\(name) does not match its trusted \(algorithm) hash")
        }
    }
}

/// timestamp.json.
public struct TimestampMetadata: Sendable {
    /// The envelope.
    public let envelope: SignedEnvelope
    /// `meta["snapshot.json"]`.
    public let snapshot: MetaFileInfo

    /// Parses timestamp metadata (no signature check).
    public init(_ envelope: SignedEnvelope) throws {
        guard envelope.type == "timestamp" else {
            throw TUFError(.wrongType, "expected timestamp metadata, got \"\(envelope.type)\"")
        }
        guard let meta = envelope.signed["meta"]?.objectValue, let snapshot = meta["snapshot.json"] else {
            throw malformed("timestamp has no meta[\"snapshot.json\"]")
        }
        self.snapshot = try MetaFileInfo(snapshot, context: "timestamp meta snapshot.json")
        self.envelope = envelope
    }
}

/// snapshot.json.
public struct SnapshotMetadata: Sendable {
    /// The envelope.
    public let envelope: SignedEnvelope
    /// `meta`: file name (`targets.json`, `<role>.json`) → info.
    public let meta: [String: MetaFileInfo]

    /// Parses snapshot metadata (no signature check).
    public init(_ envelope: SignedEnvelope) throws {
        guard envelope.type == "snapshot" else { throw TUFError(.wrongType, "expected snapshot metadata, got \"\(envelope.type)\"") }
        guard let meta = envelope.signed["meta"]?.objectValue else { throw malformed("snapshot has no \"meta\" object") }
        var parsed: [String: MetaFileInfo] = [:]
        for (name, value) in meta { parsed[name] = try MetaFileInfo(value, context: "snapshot meta \(name)") }
        self.meta = parsed
        self.envelope = envelope
    }
}

/// A target file entry.
public struct TargetFileInfo: Sendable {
    /// The target path.
    public let path: String
    /// The length in bytes.
    public let length: Int
    /// Hashes (algorithm → hex), not empty.
    public let hashes: [String: String]
    /// The hash used as file-name prefix under consistent snapshots (the first in the document's order, sha256 when
    /// present).
    public var prefixHash: String { hashes["sha256"] ?? hashes.sorted { $0.key < $1.key }.first!.value }

    init(path: String, _ value: JSONValue) throws {
        let reader = try FieldReader(value, context: "target \(path)")
        guard let length = reader.fields["length"]?.integerValue, length >= 0 else {
            throw malformed("target \(path) has no non-negative integer \"length\"")
        }
        let hashes = try reader.optionalStringMap("hashes") ?? [:]
        guard !hashes.isEmpty else { throw malformed("target \(path) has no hashes") }
        self.path = path
        self.length = Int(length)
        self.hashes = hashes
    }

    /// Checks `data` against the length and every hash.
    public func verify(_ data: [UInt8]) throws {
        guard data.count == length else {
            throw TUFError(.lengthOrHashMismatch, "target \(path) is \(data.count) bytes; trusted metadata says \(length)")
        }
        try verifyHashes(hashes, of: data, name: "target \(path)")
    }
}

/// A delegation from a targets role to another.
public struct DelegatedRole: Sendable {
    /// The delegated role's name.
    public let name: String
    /// Its keys and threshold.
    public let keys: RoleKeys
    /// If true, a search that matches this delegation does not go on to later delegations.
    public let terminating: Bool
    /// Shell-style path patterns (`*` and `?` stay within one path segment), or nil.
    public let paths: [String]?
    /// Hex prefixes of the SHA-256 of target paths, or nil.
    public let pathHashPrefixes: [String]?

    init(_ value: JSONValue) throws {
        let reader = try FieldReader(value, context: "delegated role")
        name = try reader.string("name")
        let context = FieldReader(reader.fields, context: "delegated role \(name)")
        keys = try RoleKeys(context)
        terminating = try context.optionalBool("terminating") ?? false
        paths = try context.has("paths") ? context.stringArray("paths") : nil
        pathHashPrefixes = try context.has("path_hash_prefixes") ? context.stringArray("path_hash_prefixes") : nil
        if paths != nil, pathHashPrefixes != nil {
            throw malformed("delegated role \(name) has both \"paths\" and \"path_hash_prefixes\"")
        }
    }

    /// True if this delegation covers `targetPath`.
    public func covers(_ targetPath: String) -> Bool {
        if let paths { return paths.contains { pathPatternMatches($0, targetPath) } }
        if let pathHashPrefixes {
            let digest = HashAlgorithm.sha256.hash(Array(targetPath.utf8)).hexString
            return pathHashPrefixes.contains { digest.hasPrefix($0) }
        }
        return false
    }
}

/// Hash-bin delegations (TAP 15 `succinct_roles`): 2^bit_length roles named `<prefix>-<hex bin>`.
public struct SuccinctRoles: Sendable {
    /// The keys and threshold shared by every bin.
    public let keys: RoleKeys
    /// The number of bits of the path hash that select a bin (1…32).
    public let bitLength: Int
    /// The bin role-name prefix.
    public let namePrefix: String

    init(_ value: JSONValue) throws {
        let reader = try FieldReader(value, context: "succinct_roles")
        keys = try RoleKeys(reader)
        bitLength = try reader.positiveInt("bit_length")
        guard bitLength <= 32 else { throw malformed("succinct_roles bit_length must be 1…32") }
        namePrefix = try reader.string("name_prefix")
    }

    private var suffixLength: Int { (bitLength + 3) / 4 }

    /// The bin role responsible for `targetPath`.
    public func roleName(for targetPath: String) -> String {
        let digest = HashAlgorithm.sha256.hash(Array(targetPath.utf8))
        let prefix = digest.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let bin = UInt64(prefix) >> UInt64(32 - bitLength)
        let hex = String(bin, radix: 16)
        return "\(namePrefix)-\(String(repeating: "0", count: max(0, suffixLength - hex.count)))\(hex)"
    }

    /// True if `name` is one of the bins.
    public func isBin(_ name: String) -> Bool {
        guard name.hasPrefix(namePrefix + "-") else { return false }
        let suffix = name.dropFirst(namePrefix.count + 1)
        guard suffix.count == suffixLength, let bin = UInt64(suffix, radix: 16), suffix.allSatisfy(\.isHexDigit),
              suffix == suffix.lowercased() else { return false }
        return bin < (UInt64(1) << UInt64(bitLength))
    }
}

/// targets.json or a delegated targets role.
public struct TargetsMetadata: Sendable {
    /// The envelope.
    public let envelope: SignedEnvelope
    /// Target path → entry.
    public let targets: [String: TargetFileInfo]
    /// Keys of the delegations.
    public let delegationKeys: [String: TUFKey]
    /// Delegated roles, in priority order.
    public let delegatedRoles: [DelegatedRole]
    /// Hash-bin delegations, if used instead of `roles`.
    public let succinctRoles: SuccinctRoles?

    /// Parses targets metadata (no signature check).
    public init(_ envelope: SignedEnvelope) throws {
        guard envelope.type == "targets" else { throw TUFError(.wrongType, "expected targets metadata, got \"\(envelope.type)\"") }
        guard let targetObject = envelope.signed["targets"]?.objectValue else { throw malformed("targets has no \"targets\" object") }
        var targets: [String: TargetFileInfo] = [:]
        for (path, value) in targetObject { targets[path] = try TargetFileInfo(path: path, value) }
        self.targets = targets
        if let delegations = envelope.signed["delegations"] {
            guard let object = delegations.objectValue else { throw malformed("\"delegations\" is not an object") }
            delegationKeys = try parseKeys(object["keys"], context: "delegations")
            switch (object["roles"], object["succinct_roles"]) {
            case (let roles?, nil):
                guard let list = roles.arrayValue else { throw malformed("delegations \"roles\" is not an array") }
                let parsed = try list.map(DelegatedRole.init)
                var seen = Set<String>()
                for role in parsed {
                    guard seen.insert(role.name).inserted else { throw malformed("delegated role \(role.name) is listed twice") }
                    guard TopLevelRole(rawValue: role.name) == nil else {
                        throw malformed("a delegated role may not be named like top-level role \(role.name)")
                    }
                }
                delegatedRoles = parsed
                succinctRoles = nil
            case (nil, let succinct?):
                delegatedRoles = []
                succinctRoles = try SuccinctRoles(succinct)
            default:
                throw malformed("delegations must have exactly one of \"roles\" and \"succinct_roles\"")
            }
        } else {
            delegationKeys = [:]
            delegatedRoles = []
            succinctRoles = nil
        }
        self.envelope = envelope
    }

    /// The roles delegated to for `targetPath`, in order, with their terminating flag.
    public func delegations(for targetPath: String) -> [(name: String, terminating: Bool)] {
        if let succinctRoles { return [(succinctRoles.roleName(for: targetPath), false)] }
        return delegatedRoles.filter { $0.covers(targetPath) }.map { ($0.name, $0.terminating) }
    }

    /// Verifies that `envelope` is signed by a threshold of the keys this role delegates `roleName` to.
    public func verifyDelegate(_ envelope: SignedEnvelope, roleName: String) throws {
        if let role = delegatedRoles.first(where: { $0.name == roleName }) {
            try verifyThreshold(envelope, role: role.keys, keys: delegationKeys, roleName: roleName)
        } else if let succinctRoles, succinctRoles.isBin(roleName) {
            try verifyThreshold(envelope, role: succinctRoles.keys, keys: delegationKeys, roleName: roleName)
        } else {
            throw TUFError(.repositoryInconsistent, "\(roleName) is not delegated to by this role")
        }
    }
}

/// Shell-style matching of a TUF path pattern: the pattern and the path must have the same number of
/// `/`-separated segments, and each segment matches with `*` (any run), `?` (one character) and `[…]` classes.
func pathPatternMatches(_ pattern: String, _ path: String) -> Bool {
    let patternParts = pattern.split(separator: "/", omittingEmptySubsequences: false)
    let pathParts = path.split(separator: "/", omittingEmptySubsequences: false)
    guard patternParts.count == pathParts.count else { return false }
    return zip(patternParts, pathParts).allSatisfy { globMatches(Array($0.0.unicodeScalars), Array($0.1.unicodeScalars)) }
}

/// fnmatch-style glob over one segment (iterative, with backtracking to the last `*`).
func globMatches(_ pattern: [Unicode.Scalar], _ text: [Unicode.Scalar]) -> Bool {
    var p = 0, t = 0
    var starP = -1, starT = 0
    while t < text.count {
        if p < pattern.count {
            let c = pattern[p]
            if c == "*" { starP = p; starT = t; p += 1; continue }
            if c == "?" { p += 1; t += 1; continue }
            if c == "[", let (matched, next) = matchClass(pattern, p, text[t]) {
                if matched { p = next; t += 1; continue }
            } else if c == text[t] { p += 1; t += 1; continue }
        }
        guard starP >= 0 else { return false }
        p = starP + 1
        starT += 1
        t = starT
    }
    while p < pattern.count, pattern[p] == "*" { p += 1 }
    return p == pattern.count
}

/// Matches a `[…]` class at `start`; nil if the class is unterminated (then `[` is literal, as in fnmatch).
private func matchClass(_ pattern: [Unicode.Scalar], _ start: Int, _ char: Unicode.Scalar) -> (Bool, Int)? {
    var i = start + 1
    var negate = false
    if i < pattern.count, pattern[i] == "!" { negate = true; i += 1 }
    var matched = false
    var first = true
    while i < pattern.count, pattern[i] != "]" || first {
        first = false
        if i + 2 < pattern.count, pattern[i + 1] == "-", pattern[i + 2] != "]" {
            if pattern[i] <= char && char <= pattern[i + 2] { matched = true }
            i += 3
        } else {
            if pattern[i] == char { matched = true }
            i += 1
        }
    }
    guard i < pattern.count else { return nil }
    return (matched != negate, i + 1)
}

func malformed(_ message: String) -> TUFError { TUFError(.malformedMetadata, message) }

/// Typed access to an object's members with errors that name the field.
struct FieldReader {
    let fields: [String: JSONValue]
    let context: String

    init(_ fields: [String: JSONValue], context: String) {
        self.fields = fields
        self.context = context
    }

    init(_ value: JSONValue, context: String) throws {
        guard let object = value.objectValue else { throw malformed("\(context) is not an object") }
        self.init(object, context: context)
    }

    func has(_ name: String) -> Bool { fields[name] != nil }

    func require(_ name: String) throws -> JSONValue {
        guard let value = fields[name] else { throw malformed("\(context) has no \"\(name)\"") }
        return value
    }

    func string(_ name: String) throws -> String {
        guard let value = try require(name).stringValue else { throw malformed("\(context) \"\(name)\" is not a string") }
        return value
    }

    func positiveInt(_ name: String) throws -> Int {
        guard let value = try require(name).integerValue, value > 0, value <= Int64(Int32.max) * 1024 else {
            throw malformed("\(context) \"\(name)\" is not a positive integer")
        }
        return Int(value)
    }

    func optionalPositiveInt(_ name: String) throws -> Int? {
        guard has(name) else { return nil }
        return try positiveInt(name)
    }

    func optionalBool(_ name: String) throws -> Bool? {
        guard let value = fields[name] else { return nil }
        guard let flag = value.boolValue else { throw malformed("\(context) \"\(name)\" is not a boolean") }
        return flag
    }

    func stringArray(_ name: String) throws -> [String] {
        guard let list = try require(name).arrayValue else { throw malformed("\(context) \"\(name)\" is not an array") }
        return try list.map {
            guard let text = $0.stringValue else { throw malformed("\(context) \"\(name)\" has a non-string element") }
            return text
        }
    }

    func optionalStringMap(_ name: String) throws -> [String: String]? {
        guard let value = fields[name] else { return nil }
        guard let object = value.objectValue else { throw malformed("\(context) \"\(name)\" is not an object") }
        return try object.mapValues {
            guard let text = $0.stringValue else { throw malformed("\(context) \"\(name)\" has a non-string value") }
            return text
        }
    }

    /// An RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (the specification's form is the `Z` one
    /// without fraction; early Sigstore roots use the others).
    func date(_ name: String) throws -> Date {
        let text = try string(name)
        guard let date = parseRFC3339(text) else { throw malformed("\(context) \"\(name)\" is not an RFC 3339 date-time: \(text)") }
        return date
    }
}

/// Parses an RFC 3339 date-time; nil if malformed.
func parseRFC3339(_ text: String) -> Date? {
    let bytes = Array(text.utf8)
    func number(_ range: Range<Int>) -> Int? {
        guard range.upperBound <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[range] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
    guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
          bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
          bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
          let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
          let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
          (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
    var index = 19
    var fraction = 0.0
    if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
        index += 1
        let start = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        guard index > start else { return nil }
        fraction = Double("0." + String(decoding: bytes[start..<index], as: UTF8.self)) ?? 0
    }
    guard index < bytes.count else { return nil }
    var offset = 0
    if bytes[index] == UInt8(ascii: "Z") || bytes[index] == UInt8(ascii: "z") {
        guard index + 1 == bytes.count else { return nil }
    } else {
        guard index + 6 == bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-"),
              bytes[index + 3] == UInt8(ascii: ":"), let hours = number(index + 1..<index + 3),
              let minutes = number(index + 4..<index + 6), hours < 24, minutes < 60 else { return nil }
        offset = (hours * 60 + minutes) * 60 * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
    }
    // Days from the civil date (proleptic Gregorian), as in Howard Hinnant's algorithm.
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    let days = era * 146097 + dayOfEra - 719468
    let seconds = Double(days * 86400 + hour * 3600 + minute * 60 + second - offset) + fraction
    return Date(timeIntervalSince1970: seconds)
}
