import CryptoPrimitives
import Foundation
import OCIImage

/// Checks content against the digest and size that name it. Used by every content source, and usable directly
/// for content obtained elsewhere.
public enum ContentVerifier {
    /// The hash algorithm to compute for `digest`.
    /// - Throws: ``RegistryError`` `digest_unsupported` for an algorithm this build cannot compute, or
    ///   `digest_invalid` for a recognized algorithm with a malformed encoded part.
    public static func hashAlgorithm(for digest: Digest) throws -> HashAlgorithm {
        guard let known = digest.knownAlgorithm, let algorithm = HashAlgorithm(rawValue: known.rawValue) else {
            throw RegistryError(.digestUnsupported,
                                "cannot verify \(digest): algorithm \"\(digest.algorithm)\" is not supported (sha256, sha384, sha512 are)",
                                digest: digest)
        }
        guard digest.isVerifiable else {
            throw RegistryError(.digestInvalid,
                                "\(digest) is not a valid \(known.rawValue) digest: it needs \(known.encodedLength) lowercase hex characters",
                                digest: digest)
        }
        return algorithm
    }

    /// The digest of `bytes` with `algorithm`.
    public static func digest(of bytes: some ContiguousBytes, algorithm: DigestAlgorithm = .sha256) -> Digest {
        let hashAlgorithm = HashAlgorithm(rawValue: algorithm.rawValue) ?? .sha256
        let hash = hashAlgorithm.hash(bytes)
        do {
            return try Digest(algorithm: algorithm, hash: hash)
        } catch {
            // CryptoPrimitives always returns byteCount bytes for the algorithm; this is a broken invariant, not input.
            preconditionFailure("hash of \(algorithm) has \(hash.count) bytes")
        }
    }

    /// Checks that `bytes` have `expectedSize` (when given, first) and hash to `digest`.
    /// - Parameter location: the file or URL the bytes came from, named in errors.
    /// - Throws: ``RegistryError`` `size_mismatch`, `digest_mismatch`, `digest_unsupported`, `digest_invalid`.
    public static func verify(_ bytes: [UInt8], digest: Digest, expectedSize: Int64?, location: String) throws {
        let algorithm = try hashAlgorithm(for: digest)
        if let expectedSize, Int64(bytes.count) != expectedSize {
            throw RegistryError(.sizeMismatch,
                                "\(digest) at \(location) is \(bytes.count) bytes, but its descriptor says \(expectedSize); the content was modified, truncated or mislabelled",
                                digest: digest, location: location)
        }
        let actual = algorithm.hash(bytes).hexString
        guard actual == digest.encoded else {
            throw RegistryError(.digestMismatch,
                                "content at \(location) hashes to \(digest.algorithm):\(actual), not \(digest); it was modified or corrupted and must not be trusted",
                                digest: digest, location: location)
        }
    }

    /// The verified embedded `data` of `descriptor`, or nil when it has none.
    /// - Throws: ``RegistryError`` when the data does not match the descriptor's digest or size.
    public static func verifiedEmbeddedData(_ descriptor: Descriptor) throws -> [UInt8]? {
        guard let data = descriptor.data else { return nil }
        try verify(data, digest: descriptor.digest, expectedSize: descriptor.size,
                   location: "the data field of the descriptor for \(descriptor.digest)")
        return data
    }
}
