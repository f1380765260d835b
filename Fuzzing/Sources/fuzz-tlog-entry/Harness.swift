// Rekor entries (SignatureVerification/TransparencyLog): bundle tlog entries with their SETs, inclusion proofs and
// checkpoints; cosign's Rekor bundle annotation; canonicalized entry bodies of every kind. Every input is tried as
// each of the three.
//
// Invariant (differential): an entry that verifies has the body, log index and log of a known-good entry that
// verifies (and, when its SET verified, the same integrated time): those are what the SET and the inclusion proof sign.
import CryptoPrimitives
import Foundation
import FuzzSupport
@testable import SignatureVerification

struct SignedEntry: Hashable {
    let body: [UInt8]
    let logIndex: Int64
    let logID: [UInt8]
    let integratedTime: Int64?
}

let logs: [TransparencyLogKey] = transparencyLogRoots.flatMap { path -> [TransparencyLogKey] in
    guard let root = try? TrustedRoot(json: Data(FuzzFixtures.bytes(path))) else { fatalError("harness set-up: \(path)") }
    return root.transparencyLogs.compactMap { try? makeTransparencyLogKey($0) }
}

func verified(_ entry: TransparencyLogEntry) -> [VerifiedLogEntry] {
    [false, true].compactMap { try? TransparencyLogVerifier.verify(entry, logs: logs, requireInclusionProof: $0) }
}

func signed(_ entry: TransparencyLogEntry, _ result: VerifiedLogEntry) -> SignedEntry {
    SignedEntry(body: entry.canonicalizedBody, logIndex: entry.logIndex, logID: entry.logID,
                integratedTime: result.setVerified ? entry.integratedTime : nil)
}

/// Cosign's Rekor bundle annotations in the containers/image fixtures.
let cosignBundles: [[UInt8]] = cosignSignatureAnnotations().compactMap {
    $0[CosignLayer.rekorBundleAnnotation].map { Array($0.utf8) }
}

/// The signed content of every entry in the fixtures, with and without its integrated time (a proof-only entry
/// does not sign the time).
let knownGood: Set<SignedEntry> = {
    var entries = bundleTlogEntryObjects().compactMap { try? TransparencyLogEntry(json: Array($0)) }
    entries += cosignBundles.compactMap { try? CosignRekorBundle.parse($0).asEntry() }
    var good = Set<SignedEntry>()
    for entry in entries {
        for time in [entry.integratedTime, nil] {
            good.insert(SignedEntry(body: entry.canonicalizedBody, logIndex: entry.logIndex, logID: entry.logID, integratedTime: time))
        }
    }
    invariant(good.count >= 6, "harness set-up: only \(good.count) fixture tlog entries")
    return good
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTlogEntry(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        if let entry = try? TransparencyLogEntry(json: bytes) {
            _ = try? TransparencyLogVerifier.parseBody(entry.canonicalizedBody, kind: entry.kindVersion.kind,
                                                       version: entry.kindVersion.version)
            for result in verified(entry) {
                invariant(knownGood.contains(signed(entry, result)),
                          "tlog entry \(entry.logIndex) verified but its signed content matches no known-good entry")
                invariant(result.setVerified || result.inclusionProofVerified, "verified with neither SET nor proof")
            }
        }
        if let bundle = try? CosignRekorBundle.parse(bytes), let entry = try? bundle.asEntry(),
           let result = try? bundle.verify(logs: logs) {
            invariant(result.setVerified, "a cosign Rekor bundle verified without its SET")
            invariant(knownGood.contains(signed(entry, result)),
                      "cosign Rekor bundle \(entry.logIndex) verified but matches no known-good entry")
        }
        if let body = try? RekorEntryBody.parseBody(bytes) {
            // The declared kind and version parse the same bytes the same way.
            let again = try? RekorEntryBody.parseBody(bytes, kind: body.kind, version: body.apiVersion)
            invariant(again != nil, "a body that parses does not parse as its own kind \(body.kind)/\(body.apiVersion)")
        }
    }
}

/// Loads the fixed trust material and verifies the known-good inputs before fuzzing starts (outside the per-input
/// timeout).
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: FuzzerArguments) -> CInt {
    _ = knownGood
    return 0
}
