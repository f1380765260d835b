import Foundation
import Testing
import CryptoPrimitives
@testable import SignatureVerification

/// transparency-dev/merkle inclusion probe (testdata/tlog/merkle/inclusion/**).
private struct InclusionVector: Decodable {
    let leafIdx: UInt64
    let treeSize: UInt64
    let root: String
    let leafHash: String
    let proof: [String]?
    let desc: String
    let wantErr: Bool
}

/// transparency-dev/merkle consistency probe (testdata/tlog/merkle/consistency/**).
private struct ConsistencyVector: Decodable {
    let size1: UInt64
    let size2: UInt64
    let root1: String
    let root2: String
    let proof: [String]?
    let desc: String
    let wantErr: Bool
}

private func b64(_ text: String) throws -> [UInt8] {
    guard let bytes = Data(base64Encoded: text) else { throw TLogFixtures.Missing(description: "bad base64 in vector") }
    return [UInt8](bytes)
}

@Suite("TransparencyLog Merkle proofs")
struct TransparencyLogMerkleTests {
    static let inclusionVectors = TLogFixtures.jsonFiles(under: "merkle/inclusion")
    static let consistencyVectors = TLogFixtures.jsonFiles(under: "merkle/consistency")

    @Test func allVectorsPresent() {
        // 196 probes copied from transparency-dev/merkle: both kinds, valid and invalid.
        #expect(Self.inclusionVectors.count + Self.consistencyVectors.count == 196)
        #expect(Self.inclusionVectors.count > 80)
    }

    @Test("inclusion probe", arguments: inclusionVectors)
    func inclusion(_ path: String) throws {
        let vector = try JSONDecoder().decode(InclusionVector.self, from: Data(try TLogFixtures.bytes(path)))
        let proof = try (vector.proof ?? []).map(b64)
        let result = Result {
            try MerkleTree.verifyInclusion(index: vector.leafIdx, size: vector.treeSize, leafHash: try b64(vector.leafHash),
                                           proof: proof, rootHash: try b64(vector.root))
        }
        switch result {
        case .success: #expect(!vector.wantErr, "\(path) (\(vector.desc)) verified but must fail")
        case .failure(let error):
            #expect(vector.wantErr, "\(path) (\(vector.desc)) failed: \(error)")
            #expect((error as? TransparencyLogError)?.code == .inclusionProofInvalid)
        }
    }

    @Test("consistency probe", arguments: consistencyVectors)
    func consistency(_ path: String) throws {
        let vector = try JSONDecoder().decode(ConsistencyVector.self, from: Data(try TLogFixtures.bytes(path)))
        let proof = try (vector.proof ?? []).map(b64)
        let result = Result {
            try MerkleTree.verifyConsistency(size1: vector.size1, size2: vector.size2, root1: try b64(vector.root1),
                                             root2: try b64(vector.root2), proof: proof)
        }
        switch result {
        case .success: #expect(!vector.wantErr, "\(path) (\(vector.desc)) verified but must fail")
        case .failure(let error): #expect(vector.wantErr, "\(path) (\(vector.desc)) failed: \(error)")
        }
    }

    @Test func hashingPrimitives() {
        // RFC 6962 empty-leaf hash: SHA-256(0x00) = 6e340b9c…; the root of the 1-leaf tree in the probes.
        #expect(MerkleTree.leafHash([UInt8]()).hexString == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
        let left = MerkleTree.leafHash([UInt8]())
        let node = MerkleTree.nodeHash(left, left)
        var input: [UInt8] = [0x01]
        input += left + left
        #expect(node == HashAlgorithm.sha256.hash(input))
    }

    /// Every real inclusion proof in the bundle fixtures reproduces its root hash from the entry body, and any
    /// single-bit change to the body, a proof hash, the root, the index or the size breaks it.
    @Test("real inclusion proofs and their mutations", arguments: TLogFixtures.bundlePaths)
    func realProofs(_ path: String) throws {
        for object in try TLogFixtures.entryObjects(path) {
            let entry = try TLogFixtures.decodeEntry(object)
            guard let proof = entry.inclusionProof, !proof.hashes.isEmpty || proof.treeSize == 1 else { continue }
            // These conformance cases change the proof or the body (so the leaf) on purpose.
            let expectValid = !["invalid-inclusion-proof_fail", "inclusion-proof-corrupted-hash_fail", "incorrect-public-key_fail"]
                .contains(where: path.contains)
            let index = UInt64(proof.logIndex), size = UInt64(proof.treeSize)
            let leaf = MerkleTree.leafHash(entry.canonicalizedBody)
            let verify = { (index: UInt64, size: UInt64, leaf: [UInt8], hashes: [[UInt8]], root: [UInt8]) -> Bool in
                (try? MerkleTree.verifyInclusion(index: index, size: size, leafHash: leaf, proof: hashes, rootHash: root)) != nil
            }
            #expect(verify(index, size, leaf, proof.hashes, proof.rootHash) == expectValid, "\(path)")
            guard expectValid else { continue }
            var body = entry.canonicalizedBody
            body[body.count / 2] ^= 0x01
            #expect(!verify(index, size, MerkleTree.leafHash(body), proof.hashes, proof.rootHash))
            for position in proof.hashes.indices {
                var hashes = proof.hashes
                hashes[position][7] ^= 0x80
                #expect(!verify(index, size, leaf, hashes, proof.rootHash), "\(path): proof hash \(position) flipped")
            }
            var root = proof.rootHash
            root[31] ^= 0x01
            #expect(!verify(index, size, leaf, proof.hashes, root))
            #expect(!verify(index ^ 1, size, leaf, proof.hashes, proof.rootHash))
            // A different size changes the expected proof shape unless the path has the same shape; the checkpoint
            // binds the size in any case (see the verifier tests). Doubling the size always changes the shape.
            #expect(!verify(index, size * 2, leaf, proof.hashes, proof.rootHash))
            if !proof.hashes.isEmpty { #expect(!verify(index, size, leaf, proof.hashes.dropLast(), proof.rootHash)) }
            #expect(!verify(index, size, leaf, proof.hashes + [proof.rootHash], proof.rootHash))
        }
    }
}
