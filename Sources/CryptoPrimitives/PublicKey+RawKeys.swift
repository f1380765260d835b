/// Public keys given as raw key bytes rather than a SubjectPublicKeyInfo (as TUF metadata and some Sigstore
/// material carry them): wrapped in the fixed SPKI header of their algorithm and parsed like any other key.
extension PublicKey {
    /// SPKI header of an Ed25519 key (RFC 8410): SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (33 bytes) }.
    private static let ed25519SPKIHeader: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]
    /// SPKI header of an uncompressed P-256 point (RFC 5480): id-ecPublicKey, prime256v1, BIT STRING (66 bytes).
    private static let p256SPKIHeader: [UInt8] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01, 0x06, 0x08, 0x2A, 0x86, 0x48,
        0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ]

    /// Parses a raw 32-byte Ed25519 public key (RFC 8032).
    /// - Throws: `CryptoError` `invalid_key` if it is not 32 bytes.
    public init(rawEd25519 bytes: [UInt8]) throws {
        guard bytes.count == 32 else {
            throw CryptoError(.invalidKey, "an Ed25519 public key is 32 bytes, not \(bytes.count)")
        }
        try self.init(derSPKI: Self.ed25519SPKIHeader + bytes)
    }

    /// Parses an uncompressed P-256 point (`04 || X || Y`, 65 bytes), as SEC 1 §2.3.3 encodes it.
    /// - Throws: `CryptoError` `invalid_key` if it is not 65 bytes starting with 04, or not a point on the curve.
    public init(uncompressedP256Point bytes: [UInt8]) throws {
        guard bytes.count == 65, bytes.first == 0x04 else {
            throw CryptoError(.invalidKey, "an uncompressed P-256 point is 65 bytes starting with 04")
        }
        try self.init(derSPKI: Self.p256SPKIHeader + bytes)
    }
}
