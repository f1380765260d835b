// Signed-note checkpoints (SignatureVerification/TransparencyLog/Checkpoint) parsed and verified against every
// log of the fixed trusted roots, plus Merkle inclusion proofs built from the input's bytes.
//
// Invariant (differential): a checkpoint that verifies has the signed text of a known-good checkpoint.
import CryptoPrimitives
import Foundation
import FuzzSupport
@testable import SignatureVerification

let logs: [TransparencyLogKey] = transparencyLogRoots.flatMap { path -> [TransparencyLogKey] in
    guard let root = try? TrustedRoot(json: Data(FuzzFixtures.bytes(path))) else { fatalError("harness set-up: \(path)") }
    return root.transparencyLogs.compactMap { try? makeTransparencyLogKey($0) }
}

func verifiedCheckpoints(_ envelope: String) -> [Checkpoint] {
    logs.compactMap { try? Checkpoint.verify(envelope: envelope, key: $0, expectedOrigin: nil) }
}

/// The signed text of every checkpoint in the fixtures.
let knownGood: Set<[UInt8]> = {
    var good = Set<[UInt8]>()
    for object in bundleTlogEntryObjects() {
        guard let entry = try? JSONSerialization.jsonObject(with: object) as? [String: Any],
              let proof = entry["inclusionProof"] as? [String: Any],
              let checkpoint = proof["checkpoint"] as? [String: Any],
              let envelope = checkpoint["envelope"] as? String,
              let parsed = try? Checkpoint.parse(envelope: envelope) else { continue }
        good.insert(parsed.signedText)
    }
    invariant(good.count >= 2, "harness set-up: only \(good.count) fixture checkpoints parse")
    return good
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        let envelope = String(decoding: bytes, as: UTF8.self)
        if let checkpoint = try? Checkpoint.parse(envelope: envelope) {
            invariant(checkpoint.rootHash.count == MerkleTree.hashSize, "checkpoint root hash of \(checkpoint.rootHash.count) bytes accepted")
            invariant(!checkpoint.signatures.isEmpty && checkpoint.signatures.count <= Checkpoint.maxSignatures,
                      "\(checkpoint.signatures.count) signatures accepted")
            invariant(envelope.utf8.starts(with: checkpoint.signedText), "the signed text is not the envelope's start")
        }
        for verified in verifiedCheckpoints(envelope) {
            invariant(knownGood.contains(verified.signedText), "a checkpoint whose signed text matches no known-good checkpoint verified")
        }
        // The same bytes as an inclusion proof: index, size, then 32-byte hashes (leaf, proof…, root).
        guard bytes.count >= 16 + 64 else { return }
        let index = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } % 4096
        let treeSize = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } % 4096
        let hashes = stride(from: 16, to: bytes.count - 31, by: 32).map { Array(bytes[$0..<($0 + 32)]) }
        let leaf = hashes[0], root = hashes[hashes.count - 1], proof = Array(hashes.dropFirst().dropLast())
        if let computed = try? MerkleTree.rootFromInclusionProof(index: index, size: treeSize, leafHash: leaf, proof: proof) {
            invariant(index < treeSize, "inclusion proof accepted for index \(index) in a tree of size \(treeSize)")
            invariant(computed.count == MerkleTree.hashSize, "computed root of \(computed.count) bytes")
            let matches = (try? MerkleTree.verifyInclusion(index: index, size: treeSize, leafHash: leaf, proof: proof, rootHash: root)) != nil
            invariant(matches == (computed == root), "verifyInclusion disagrees with rootFromInclusionProof")
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
