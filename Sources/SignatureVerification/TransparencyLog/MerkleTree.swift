// RFC 6962 / RFC 9162 Merkle tree hashing and proof verification.
import CryptoPrimitives
import Foundation

/// RFC 6962 / RFC 9162 Merkle tree hashing (SHA-256) and verification of inclusion and consistency proofs,
/// as used by Rekor v1 and v2 and every C2SP tlog. Leaf hash = SHA-256(0x00 ‖ leaf); interior node =
/// SHA-256(0x01 ‖ left ‖ right). All functions throw `TransparencyLogError` (`inclusion_proof_invalid`, or
/// `checkpoint_invalid` for consistency proofs) naming the failed rule.
public enum MerkleTree {
    /// The size of every hash in the tree (SHA-256).
    public static let hashSize = 32
    /// The largest proof accepted (a tree of 2^64 leaves needs at most 64 hashes).
    public static let maxProofHashes = 64

    /// The RFC 6962 leaf hash SHA-256(0x00 ‖ leaf) of an entry's bytes (for Rekor: the decoded canonicalizedBody).
    public static func leafHash<D: ContiguousBytes>(_ leaf: D) -> [UInt8] {
        leaf.withUnsafeBytes { body in
            var input = [UInt8]()
            input.reserveCapacity(body.count + 1)
            input.append(0x00)
            input.append(contentsOf: body)
            return HashAlgorithm.sha256.hash(input)
        }
    }

    /// The RFC 6962 interior node hash SHA-256(0x01 ‖ left ‖ right).
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1 + left.count + right.count) { buffer in
            buffer[0] = 0x01
            var position = 1
            for byte in left { buffer[position] = byte; position += 1 }
            for byte in right { buffer[position] = byte; position += 1 }
            return HashAlgorithm.sha256.hash(UnsafeRawBufferPointer(buffer))
        }
    }

    /// Recomputes the tree root from an audit path: the leaf at `index` of a tree of `size` leaves, with `proof`
    /// ordered from the leaf up. Enforces `index < size`, 32-byte hashes and the exact proof length for this
    /// (index, size) (RFC 9162 §2.1.3.2).
    /// - Throws: `TransparencyLogError` `inclusion_proof_invalid` naming the broken rule.
    public static func rootFromInclusionProof(index: UInt64, size: UInt64, leafHash: [UInt8], proof: [[UInt8]]) throws -> [UInt8] {
        guard index < size else {
            throw TransparencyLogError(.inclusionProofInvalid,
                "inclusion proof index \(index) is not inside the tree of size \(size); the proof belongs to another tree or entry")
        }
        guard leafHash.count == hashSize else {
            throw TransparencyLogError(.inclusionProofInvalid, "leaf hash is \(leafHash.count) bytes, expected \(hashSize)")
        }
        let inner = innerProofSize(index: index, size: size)
        let border = (index >> UInt64(inner)).nonzeroBitCount
        guard proof.count == inner + border else {
            throw TransparencyLogError(.inclusionProofInvalid,
                "inclusion proof for index \(index) in a tree of size \(size) must have \(inner + border) hashes, it has \(proof.count)")
        }
        for (position, hash) in proof.enumerated() where hash.count != hashSize {
            throw TransparencyLogError(.inclusionProofInvalid,
                "inclusion proof hash \(position) is \(hash.count) bytes, expected \(hashSize)")
        }
        var node = leafHash
        for level in 0..<inner {
            if (index >> UInt64(level)) & 1 == 0 {
                node = nodeHash(node, proof[level])
            } else {
                node = nodeHash(proof[level], node)
            }
        }
        for hash in proof[inner...] {
            node = nodeHash(hash, node)
        }
        return node
    }

    /// Verifies that `leafHash` is the leaf at `index` of the tree of `size` leaves whose root is `rootHash`.
    /// - Throws: `TransparencyLogError` `inclusion_proof_invalid` if the proof is malformed or the recomputed root
    ///   differs from `rootHash`.
    public static func verifyInclusion(index: UInt64, size: UInt64, leafHash: [UInt8], proof: [[UInt8]], rootHash: [UInt8]) throws {
        guard rootHash.count == hashSize else {
            throw TransparencyLogError(.inclusionProofInvalid, "root hash is \(rootHash.count) bytes, expected \(hashSize)")
        }
        let computed = try rootFromInclusionProof(index: index, size: size, leafHash: leafHash, proof: proof)
        guard constantTimeEqual(computed, rootHash) else {
            throw TransparencyLogError(.inclusionProofInvalid,
                "inclusion proof for index \(index) in a tree of size \(size) yields root \(computed.hexString), not the expected \(rootHash.hexString); the entry, proof or root was changed")
        }
    }

    /// Verifies an RFC 9162 §2.1.4.2 consistency proof: the tree of `size1` leaves with root `root1` is a prefix of
    /// the tree of `size2` leaves with root `root2`. `size1 == 0` is rejected (such a proof proves nothing), and
    /// `size1 == size2` requires an empty proof and equal roots.
    /// - Throws: `TransparencyLogError` `checkpoint_invalid` naming the broken rule.
    public static func verifyConsistency(size1: UInt64, size2: UInt64, root1: [UInt8], root2: [UInt8], proof: [[UInt8]]) throws {
        func fail(_ message: String) -> TransparencyLogError {
            TransparencyLogError(.checkpointInvalid, "consistency proof from size \(size1) to \(size2): \(message)")
        }
        guard size1 <= size2 else { throw fail("the second tree is smaller than the first") }
        guard size1 > 0 else { throw fail("a consistency proof from the empty tree proves nothing") }
        if size1 == size2 {
            guard proof.isEmpty else { throw fail("equal sizes need an empty proof") }
            guard constantTimeEqual(root1, root2) else { throw fail("equal sizes but different roots") }
            return
        }
        guard root1.count == hashSize, root2.count == hashSize else { throw fail("root hashes must be \(hashSize) bytes") }
        guard !proof.isEmpty else { throw fail("the proof is empty") }
        guard proof.count <= maxProofHashes * 2 else { throw fail("the proof has too many hashes (\(proof.count))") }
        for (position, hash) in proof.enumerated() where hash.count != hashSize {
            throw fail("proof hash \(position) is \(hash.count) bytes, expected \(hashSize)")
        }
        var path = proof
        // If size1 is a power of two, root1 itself is the first node of the path.
        if size1 & (size1 - 1) == 0 { path.insert(root1, at: 0) }
        var fn = size1 - 1
        var sn = size2 - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for hash in path.dropFirst() {
            guard sn != 0 else { throw fail("the proof is too long") }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(hash, fr)
                sr = nodeHash(hash, sr)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                sr = nodeHash(sr, hash)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw fail("the proof is too short") }
        guard constantTimeEqual(fr, root1) else { throw fail("the proof does not reproduce the first root") }
        guard constantTimeEqual(sr, root2) else { throw fail("the proof does not reproduce the second root") }
    }

    /// The number of proof levels below the point where the paths to `index` and to the last leaf diverge.
    static func innerProofSize(index: UInt64, size: UInt64) -> Int {
        let xor = index ^ (size - 1)
        return xor == 0 ? 0 : 64 - xor.leadingZeroBitCount
    }

    /// Byte-wise equality without an early exit.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for position in 0..<lhs.count { difference |= lhs[position] ^ rhs[position] }
        return difference == 0
    }
}
