import Foundation
internal import COpenSSL

/// An ECDSA private key that signs through OpenSSL (P-256 with SHA-256, P-384 with SHA-384, P-521 with SHA-512),
/// for signing what the tool itself produces (evidence packages). Read from an unencrypted PEM: PKCS#8
/// `PRIVATE KEY` or SEC 1 `EC PRIVATE KEY` (`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`).
public struct SigningKey: Sendable {
    private let box: EVPKeyBox
    /// The matching public key.
    public let publicKey: PublicKey

    /// Parses a PEM private key.
    /// - Throws: `CryptoError` `invalid_key` when there is no private-key block, it is encrypted, malformed, or not
    ///   an ECDSA key on P-256, P-384 or P-521.
    public init(pem: String) throws {
        let blocks = try PEMBlock.parseAll(pem, errorCode: .invalidKey)
        if blocks.contains(where: { $0.label == "ENCRYPTED PRIVATE KEY" || $0.label.contains("ENCRYPTED") }) {
            throw CryptoError(.invalidKey, "the private key is encrypted; give an unencrypted PEM (openssl pkcs8 -topk8 -nocrypt)")
        }
        guard let block = blocks.first(where: { $0.label == "PRIVATE KEY" || $0.label == "EC PRIVATE KEY" }) else {
            throw CryptoError(.invalidKey, "no -----BEGIN PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY----- block found")
        }
        let pkey: OpaquePointer = try block.der.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, buffer.count > 0 else { throw CryptoError(.invalidKey, "private key DER is empty") }
            var cursor: UnsafePointer<UInt8>? = base
            guard let key = d2i_AutoPrivateKey(nil, &cursor, buffer.count) else {
                throw cryptoError(.invalidKey, "the private key is not a valid PKCS#8 or SEC 1 key")
            }
            return key
        }
        let box = EVPKeyBox(pkey)
        // The public half, as SPKI DER, through OpenSSL's own encoder.
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_PUBKEY(pkey, &out)
        guard length > 0, let out else { throw cryptoError(.invalidKey, "the public key cannot be derived from the private key") }
        let spki = Array(UnsafeBufferPointer(start: out, count: Int(length)))
        CRYPTO_free(out, #fileID, #line)
        let publicKey = try PublicKey(derSPKI: spki)
        switch publicKey.kind {
        case .ecdsaP256, .ecdsaP384, .ecdsaP521: break
        default: throw CryptoError(.invalidKey, "only ECDSA signing keys (P-256, P-384, P-521) are supported")
        }
        self.box = box
        self.publicKey = publicKey
    }

    /// The hash the key signs with: SHA-256 for P-256, SHA-384 for P-384, SHA-512 for P-521.
    public var hashAlgorithm: HashAlgorithm {
        switch publicKey.kind {
        case .ecdsaP384: return .sha384
        case .ecdsaP521: return .sha512
        default: return .sha256
        }
    }

    /// Signs `message` (hashed with ``hashAlgorithm``); returns the DER-encoded ECDSA signature.
    public func sign<D: ContiguousBytes>(_ message: D) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw cryptoError(.internalError, "EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, hashAlgorithm.evpMD, nil, box.pointer) == 1 else {
            throw cryptoError(.internalError, "EVP_DigestSignInit failed")
        }
        let zero: [UInt8] = [0]
        return try message.withUnsafeBytes { messageBuffer in
            try zero.withUnsafeBufferPointer { zeroBuffer in
                let pointer = messageBuffer.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? zeroBuffer.baseAddress
                var length = 0
                guard EVP_DigestSign(context, nil, &length, pointer, messageBuffer.count) == 1, length > 0 else {
                    throw cryptoError(.internalError, "EVP_DigestSign (size) failed")
                }
                var signature = [UInt8](repeating: 0, count: length)
                guard EVP_DigestSign(context, &signature, &length, pointer, messageBuffer.count) == 1 else {
                    throw cryptoError(.internalError, "EVP_DigestSign failed")
                }
                return Array(signature.prefix(length))
            }
        }
    }
}
