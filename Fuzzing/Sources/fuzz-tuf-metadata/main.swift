// TUF metadata (root, timestamp, snapshot, targets and delegated targets JSON) through our JSON parser, the typed
// readers and signature verification against fixed trusted roots: Sigstore's public-good repository (roots v11 and
// v12; ECDSA P-256), the e2e repository (ECDSA, Ed25519, RSA-PSS) and tuf-on-ci's (a delegated role). Then the client
// workflow's rules (TrustedMetadataSet): root rotation v11 → v12, timestamp and snapshot over root v12.
//
// Invariants:
// - differential: anything that verifies — under a trusted role's keys, a delegation's keys, as a self-signed initial
//   root, or through the workflow — carries signed content (the canonical JSON of `signed`) that the real repositories
//   signed; any other verifying input is a forgery.
// - re-encode: a document re-serialized with other whitespace, reversed member order and many string characters as
//   `\u` escapes parses to the same canonical bytes and signatures, so it verifies exactly when the original does.
import CryptoPrimitives
import Foundation
import FuzzSupport
@testable import TUF

let sigstore = "tuf/tuf-conformance/tuf_conformance/static_data/sigstore-root-signing/metadata/"
let tufOnCI = "tuf/tuf-conformance/tuf_conformance/static_data/tuf-on-ci-0.11/metadata/"
let e2eStates = ["tuf/e2e/state1/", "tuf/e2e/state2/"]
/// Sigstore's repository as served on 2025-02-09 (its timestamp expires on the 15th).
let sigstoreTime = Date(timeIntervalSince1970: 1_739_102_528)

func envelope(_ path: String) -> SignedEnvelope {
    guard let envelope = try? SignedEnvelope(bytes: FuzzFixtures.bytes(path)) else { fatalError("harness set-up: \(path) does not parse") }
    return envelope
}

func root(_ path: String) -> RootMetadata {
    guard let root = try? RootMetadata(initialRootBytes: FuzzFixtures.bytes(path)) else { fatalError("harness set-up: \(path) is not a self-signed root") }
    return root
}

/// The trusted roots every input is verified against, for every top-level role: Sigstore's, the e2e repository's in
/// its two states (the timestamp key is RSA-PSS in the first, rotated to ECDSA in the second), tuf-on-ci's.
let trustedRoots = [root(sigstore + "12.root.json"), root(e2eStates[0] + "1.root.json"), root(e2eStates[1] + "2.root.json"),
                    root(tufOnCI + "1.root.json")]

/// Targets roles whose delegations every input is verified against.
let delegators: [TargetsMetadata] = [sigstore + "11.targets.json", tufOnCI + "1.targets.json"].map { path in
    guard let targets = try? TargetsMetadata(envelope(path)) else { fatalError("harness set-up: \(path)") }
    return targets
}

/// The canonical signed content of every real metadata file, each checked to verify under its real delegator.
let knownGood: Set<[UInt8]> = {
    var good = Set<[UInt8]>()
    func add(_ path: String, verifiedBy check: (SignedEnvelope) throws -> Void) {
        let signed = envelope(path)
        do { try check(signed) } catch { fatalError("harness set-up: \(path) does not verify: \(error)") }
        good.insert(signed.canonicalSigned)
    }
    for version in 1...12 {
        add(sigstore + "\(version).root.json") { try RootMetadata($0).verify($0, as: .root) }
    }
    let sigstoreRoot = trustedRoots[0], tufOnCIRoot = trustedRoots[3]
    add(sigstore + "timestamp.json") { try sigstoreRoot.verify($0, as: .timestamp) }
    add(sigstore + "159.snapshot.json") { try sigstoreRoot.verify($0, as: .snapshot) }
    add(sigstore + "11.targets.json") { try sigstoreRoot.verify($0, as: .targets) }
    for (state, e2eRoot) in zip(e2eStates, trustedRoots[1...2]) {
        for name in FuzzFixtures.files(under: String(state.dropLast()), endingWith: [".json"]) where !name.contains("/targets/") {
            let role = TopLevelRole.allCases.first { name.hasSuffix("\($0.rawValue).json") }!
            add(name) { role == .root ? try RootMetadata($0).verify($0, as: .root) : try e2eRoot.verify($0, as: role) }
        }
    }
    add("tuf/e2e/root.json") { try RootMetadata($0).verify($0, as: .root) }
    add(tufOnCI + "1.root.json") { try tufOnCIRoot.verify($0, as: .root) }
    add(tufOnCI + "timestamp.json") { try tufOnCIRoot.verify($0, as: .timestamp) }
    add(tufOnCI + "2.snapshot.json") { try tufOnCIRoot.verify($0, as: .snapshot) }
    add(tufOnCI + "1.targets.json") { try tufOnCIRoot.verify($0, as: .targets) }
    add(tufOnCI + "2.delegatedrole.json") { try delegators[1].verifyDelegate($0, roleName: "delegatedrole") }
    return good
}()

/// The workflow states inputs are offered to: before root v12 (trusting v11), and trusting v12 before a timestamp
/// and after the real one.
let beforeRotation: TrustedMetadataSet = {
    guard let set = try? TrustedMetadataSet(rootBytes: FuzzFixtures.bytes(sigstore + "11.root.json"), referenceTime: sigstoreTime)
    else { fatalError("harness set-up: Sigstore root v11") }
    return set
}()
let beforeTimestamp: TrustedMetadataSet = {
    var set = beforeRotation
    do { try set.updateRoot(FuzzFixtures.bytes(sigstore + "12.root.json")) } catch { fatalError("harness set-up: rotation to v12: \(error)") }
    return set
}()
let beforeSnapshot: TrustedMetadataSet = {
    var set = beforeTimestamp
    do { try set.updateTimestamp(FuzzFixtures.bytes(sigstore + "timestamp.json")) } catch { fatalError("harness set-up: timestamp: \(error)") }
    return set
}()

func mustBeKnown(_ signed: SignedEnvelope, _ how: @autoclosure () -> String) {
    invariant(knownGood.contains(signed.canonicalSigned),
              "\(signed.type) v\(signed.version) that no real repository signed verified \(how())")
}

/// The document again with other whitespace, reversed member order and every string character escaped.
func reencode(_ value: JSONValue, into out: inout String) {
    switch value {
    case .null: out += "null"
    case .bool(let flag): out += flag ? "true" : "false"
    case .integer(let number): out += String(number)
    case .number(let text): out += text
    case .string(let text): escape(text, into: &out)
    case .array(let elements):
        out += "[ "
        for (position, element) in elements.enumerated() {
            if position > 0 { out += " ,\n" }
            reencode(element, into: &out)
        }
        out += " ]"
    case .object(let members):
        out += "{\n"
        for (position, key) in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).reversed().enumerated() {
            if position > 0 { out += ",\n" }
            escape(key, into: &out)
            out += " : "
            reencode(members[key]!, into: &out)
        }
        out += "\n}"
    }
}

/// Writes `text` as a JSON string with escapes where the original may have had none: every non-ASCII character and
/// every fourth ASCII one as `\uXXXX` (UTF-16, so surrogate pairs above the BMP), `"`, backslash, `/` and controls always.
func escape(_ text: String, into out: inout String) {
    out += "\""
    for (position, unit) in text.utf16.enumerated() {
        if unit >= 0x80 || unit < 0x20 || unit == 0x22 || unit == 0x5C || unit == 0x2F || position % 4 == 0 {
            let hex = String(unit, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
            out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
        }
    }
    out += "\""
}

func exerciseReaders(_ signed: SignedEnvelope) {
    switch signed.type {
    case "root":
        if let root = try? RootMetadata(signed) { _ = (root.consistentSnapshot, root.keys.count, root.roles.count) }
    case "timestamp":
        if let timestamp = try? TimestampMetadata(signed) { _ = try? timestamp.snapshot.verify(signed.bytes, name: "self") }
    case "snapshot":
        if let snapshot = try? SnapshotMetadata(signed) { _ = snapshot.meta.count }
    case "targets":
        guard let targets = try? TargetsMetadata(signed) else { return }
        for (path, target) in targets.targets.prefix(4) {
            _ = (target.prefixHash, targets.delegations(for: path))
            invariant((try? target.verify([])) == nil || target.length == 0, "an empty file matched target \(path) of length \(target.length)")
        }
        _ = targets.delegations(for: "a/b/c.txt")
        if let succinct = targets.succinctRoles {
            let bin = succinct.roleName(for: "x")
            invariant(succinct.isBin(bin), "succinct role \(bin) is not one of its own bins")
        }
    default:
        break
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTUFMetadata(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        guard let signed = try? SignedEnvelope(bytes: bytes) else { return }
        exerciseReaders(signed)

        var verified = false
        for root in trustedRoots {
            for role in TopLevelRole.allCases where (try? root.verify(signed, as: role)) != nil {
                mustBeKnown(signed, "as \(role.rawValue) of a trusted root")
                verified = true
            }
        }
        for delegator in delegators {
            for role in delegator.delegatedRoles where (try? delegator.verifyDelegate(signed, roleName: role.name)) != nil {
                mustBeKnown(signed, "as delegated role \(role.name)")
                verified = true
            }
        }
        // The workflow, for the type it says it is (each step parses again).
        switch signed.type {
        case "root":
            if (try? RootMetadata(initialRootBytes: bytes)) != nil { mustBeKnown(signed, "as a self-signed initial root"); verified = true }
            var rotation = beforeRotation
            if (try? rotation.updateRoot(bytes)) != nil { mustBeKnown(signed, "as Sigstore root v12 over v11") }
        case "timestamp":
            var timestamp = beforeTimestamp
            if (try? timestamp.updateTimestamp(bytes)) != nil { mustBeKnown(signed, "as Sigstore's timestamp") }
        case "snapshot":
            var snapshot = beforeSnapshot
            if (try? snapshot.updateSnapshot(bytes, isLocalCopy: true)) != nil { mustBeKnown(signed, "as Sigstore's snapshot") }
        default:
            break
        }

        // Re-encode: the same signed content and signatures, hence the same verdicts.
        var text = ""
        reencode(.object(["signed": .object(signed.signed),
                          "signatures": .array(signed.signatures.keys.sorted().map { keyID in
                              .object(["keyid": .string(keyID), "sig": .string(signed.signatures[keyID]!.hexString)])
                          })]), into: &text)
        guard let again = try? SignedEnvelope(bytes: Array(text.utf8)) else {
            invariant(false, "the re-encoded document does not parse")
            return
        }
        invariant(again.canonicalSigned == signed.canonicalSigned, "re-encoding changed the canonical signed bytes")
        invariant(again.signatures == signed.signatures, "re-encoding changed the signatures")
        if verified {
            invariant(trustedRoots.contains { root in TopLevelRole.allCases.contains { (try? root.verify(again, as: $0)) != nil } }
                      || delegators.contains { d in d.delegatedRoles.contains { (try? d.verifyDelegate(again, roleName: $0.name)) != nil } }
                      || (try? RootMetadata(initialRootBytes: Array(text.utf8))) != nil,
                      "a verifying document no longer verifies after a re-encode")
        }
    }
}

/// Loads and checks the fixed trust material before fuzzing starts (outside the per-input timeout).
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: FuzzerArguments) -> CInt {
    _ = (knownGood, delegators, beforeSnapshot)
    return 0
}
