import Foundation
internal import COpenSSL

/// Owns an OpenSSL EVP_PKEY. Immutable after creation; OpenSSL allows concurrent verification with one key as long
/// as each operation has its own context, which `PublicKey` guarantees.
final class EVPKeyBox: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }
}

/// A public key parsed from a DER SubjectPublicKeyInfo (or PEM), ready to verify signatures.
///
/// The parsed OpenSSL key is cached inside the value, so verifying many signatures with one key never re-parses.
/// Equality and hashing compare the exact SPKI bytes.
public struct PublicKey: Sendable, Hashable {
    /// The key algorithm (and curve or size).
    public enum Kind: Sendable, Hashable {
        /// ECDSA over NIST P-256 (prime256v1).
        case ecdsaP256
        /// ECDSA over NIST P-384 (secp384r1).
        case ecdsaP384
        /// ECDSA over NIST P-521 (secp521r1).
        case ecdsaP521
        /// Ed25519 (RFC 8032), pure mode.
        case ed25519
        /// RSA with the given modulus size in bits.
        case rsa(bits: Int)
    }

    /// The RSA signature padding scheme.
    public enum RSAPadding: Sendable, Hashable {
        /// RSASSA-PKCS1-v1_5.
        case pkcs1v15
        /// RSASSA-PSS with MGF1 over the same hash; any salt length is accepted.
        case pss
    }

    /// The smallest RSA modulus accepted, in bits.
    public static let minimumRSABits = 2048
    /// The largest RSA modulus accepted, in bits (bounds the cost of one verification).
    public static let maximumRSABits = 8192

    /// The key algorithm.
    public let kind: Kind
    /// The exact DER SubjectPublicKeyInfo (key ids are the SHA-256 of these bytes).
    public let spkiDER: [UInt8]
    let box: EVPKeyBox

    /// Parses a PEM public key: "PUBLIC KEY" (SPKI) or "RSA PUBLIC KEY" (PKCS#1). The first key block is used;
    /// other blocks (e.g. certificates) before it are skipped.
    /// - Throws: `CryptoError` `invalid_key` if there is no key block or the key is malformed or unsupported.
    public init(pem: String) throws {
        let blocks = try PEMBlock.parseAll(pem, errorCode: .invalidKey)
        guard let block = blocks.first(where: { $0.label == "PUBLIC KEY" || $0.label == "RSA PUBLIC KEY" }) else {
            let labels = blocks.map(\.label)
            throw CryptoError(.invalidKey, labels.isEmpty
                ? "no PEM block found; expected -----BEGIN PUBLIC KEY-----"
                : "no PUBLIC KEY PEM block (found \(labels.joined(separator: ", "))); expected -----BEGIN PUBLIC KEY-----")
        }
        if block.label == "RSA PUBLIC KEY" {
            try self.init(pkcs1RSA: block.der)
        } else {
            try self.init(derSPKI: block.der)
        }
    }

    /// Parses a DER SubjectPublicKeyInfo. The whole input must be one SPKI (no trailing bytes).
    /// - Throws: `CryptoError` `invalid_key` if malformed, of an unsupported type or curve, or RSA outside
    ///   2048–8192 bits.
    public init(derSPKI: [UInt8]) throws {
        let pkey: OpaquePointer = try derSPKI.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, buffer.count > 0 else {
                throw CryptoError(.invalidKey, "public key DER is empty")
            }
            var cursor: UnsafePointer<UInt8>? = base
            guard let key = d2i_PUBKEY(nil, &cursor, buffer.count) else {
                throw cryptoError(.invalidKey, "public key is not a valid DER SubjectPublicKeyInfo")
            }
            guard let end = cursor, end - base == buffer.count else {
                EVP_PKEY_free(key)
                throw CryptoError(.invalidKey, "public key DER has \(buffer.count - ((cursor ?? base) - base)) trailing bytes")
            }
            return key
        }
        let box = EVPKeyBox(pkey)
        self.kind = try PublicKey.classify(pkey)
        self.spkiDER = derSPKI
        self.box = box
    }

    /// Wraps a key OpenSSL has already decoded (e.g. a certificate's, from `X509_get0_pubkey`), taking one more
    /// reference to it; `spkiDER` must be the exact SPKI the key was decoded from. Nothing is parsed again.
    /// - Throws: `CryptoError` `invalid_key` if the key is of an unsupported type, curve or size.
    init(retaining pkey: OpaquePointer, spkiDER: [UInt8]) throws {
        self.kind = try PublicKey.classify(pkey)
        guard EVP_PKEY_up_ref(pkey) == 1 else { throw cryptoError(.internalError, "EVP_PKEY_up_ref failed") }
        self.box = EVPKeyBox(pkey)
        self.spkiDER = spkiDER
    }

    /// Parses a DER PKCS#1 RSAPublicKey (as in "RSA PUBLIC KEY" PEM, or trusted-root keys with `PKCS1_` key
    /// details); `spkiDER` is its SubjectPublicKeyInfo re-encoding.
    /// - Throws: `CryptoError` `invalid_key` if malformed, with trailing bytes, or outside 2048–8192 bits.
    public init(pkcs1RSA der: [UInt8]) throws {
        let pkey: OpaquePointer = try der.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, buffer.count > 0 else {
                throw CryptoError(.invalidKey, "RSA public key DER is empty")
            }
            var cursor: UnsafePointer<UInt8>? = base
            guard let key = d2i_PublicKey(EVP_PKEY_RSA, nil, &cursor, buffer.count) else {
                throw cryptoError(.invalidKey, "RSA PUBLIC KEY block is not a valid PKCS#1 RSAPublicKey")
            }
            guard let end = cursor, end - base == buffer.count else {
                EVP_PKEY_free(key)
                throw CryptoError(.invalidKey, "RSA PUBLIC KEY block has trailing bytes")
            }
            return key
        }
        let box = EVPKeyBox(pkey)
        self.kind = try PublicKey.classify(pkey)
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_PUBKEY(pkey, &out)
        guard length > 0, let out else { throw cryptoError(.invalidKey, "cannot encode RSA key as SPKI") }
        self.spkiDER = Array(UnsafeBufferPointer(start: out, count: Int(length)))
        CRYPTO_free(out, #fileID, #line)
        self.box = box
    }

    /// Determines the kind of an OpenSSL key, rejecting unsupported types, curves and sizes.
    static func classify(_ pkey: OpaquePointer) throws -> Kind {
        switch EVP_PKEY_get_base_id(pkey) {
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 80)
            var length = 0
            guard EVP_PKEY_get_group_name(pkey, &name, name.count, &length) == 1 else {
                throw cryptoError(.invalidKey, "EC public key has no named curve (explicit curve parameters are not supported)")
            }
            let curve = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            switch curve {
            case "prime256v1", "P-256", "secp256r1": return .ecdsaP256
            case "secp384r1", "P-384": return .ecdsaP384
            case "secp521r1", "P-521": return .ecdsaP521
            default:
                throw CryptoError(.invalidKey, "unsupported elliptic curve \(curve); supported: P-256, P-384, P-521")
            }
        case EVP_PKEY_ED25519:
            return .ed25519
        case EVP_PKEY_RSA, EVP_PKEY_RSA_PSS:
            let bits = Int(EVP_PKEY_get_bits(pkey))
            guard bits >= minimumRSABits else {
                throw CryptoError(.invalidKey, "RSA key of \(bits) bits is too small; at least \(minimumRSABits) bits are required")
            }
            guard bits <= maximumRSABits else {
                throw CryptoError(.invalidKey, "RSA key of \(bits) bits is larger than the \(maximumRSABits) bits supported")
            }
            return .rsa(bits: bits)
        case let id:
            let name = OBJ_nid2sn(id).map { String(cString: $0) } ?? "NID \(id)"
            throw CryptoError(.invalidKey, "unsupported public key type \(name); supported: ECDSA P-256/P-384/P-521, Ed25519, RSA")
        }
    }

    /// The key id used by Sigstore and cosign: SHA-256 of the DER SPKI.
    public var sha256KeyID: [UInt8] { HashAlgorithm.sha256.hash(spkiDER) }

    /// The key as a "PUBLIC KEY" PEM block (64-column base64, trailing newline).
    public var pem: String {
        let base64 = Data(spkiDER).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN PUBLIC KEY-----\n\(base64)\n-----END PUBLIC KEY-----\n"
    }

    /// Compares the SPKI bytes.
    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool { lhs.spkiDER == rhs.spkiDER }

    /// Hashes the SPKI bytes.
    public func hash(into hasher: inout Hasher) { hasher.combine(spkiDER) }

    /// Verifies `signature` over `message`: DER-encoded ECDSA, raw 64-byte Ed25519, or RSA (PKCS#1 v1.5 or PSS).
    /// The message is hashed with `hash` (ignored for Ed25519, which signs the message itself).
    /// Returns false for any invalid, malformed or non-canonical signature; never throws.
    public func isValidSignature<D: ContiguousBytes>(_ signature: [UInt8], for message: D,
                                                    hash: HashAlgorithm = .sha256,
                                                    rsaPadding: RSAPadding = .pkcs1v15) -> Bool {
        if case .ed25519 = kind, signature.count != 64 { return false }
        guard !signature.isEmpty, let context = EVP_MD_CTX_new() else { return false }
        defer {
            EVP_MD_CTX_free(context)
            clearOpenSSLErrors()
        }
        var pkeyContext: OpaquePointer?
        let md: OpaquePointer? = kind == .ed25519 ? nil : hash.evpMD
        guard EVP_DigestVerifyInit(context, &pkeyContext, md, nil, box.pointer) == 1 else { return false }
        if case .rsa = kind, let pkeyContext {
            guard configureRSA(pkeyContext, padding: rsaPadding) else { return false }
        }
        let zero: [UInt8] = [0]  // a valid pointer for an empty message (some OpenSSL paths reject NULL)
        let result = message.withUnsafeBytes { messageBuffer in
            signature.withUnsafeBufferPointer { signatureBuffer in
                zero.withUnsafeBufferPointer { zeroBuffer in
                    EVP_DigestVerify(context, signatureBuffer.baseAddress, signatureBuffer.count,
                                     messageBuffer.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? zeroBuffer.baseAddress,
                                     messageBuffer.count)
                }
            }
        }
        return result == 1
    }

    /// Verifies `signature` over an already computed `digest` made with `hash` (ECDSA and RSA only; always false for
    /// Ed25519, which cannot sign a pre-hashed message). A digest of the wrong length is rejected.
    public func isValidSignature(_ signature: [UInt8], forDigest digest: [UInt8], hash: HashAlgorithm,
                                 rsaPadding: RSAPadding = .pkcs1v15) -> Bool {
        if case .ed25519 = kind { return false }
        guard digest.count == hash.byteCount, !signature.isEmpty,
              let context = EVP_PKEY_CTX_new(box.pointer, nil) else { return false }
        defer {
            EVP_PKEY_CTX_free(context)
            clearOpenSSLErrors()
        }
        guard EVP_PKEY_verify_init(context) == 1,
              EVP_PKEY_CTX_set_signature_md(context, hash.evpMD) == 1 else { return false }
        if case .rsa = kind {
            guard configureRSA(context, padding: rsaPadding) else { return false }
        }
        return EVP_PKEY_verify(context, signature, signature.count, digest, digest.count) == 1
    }

    private func configureRSA(_ context: OpaquePointer, padding: RSAPadding) -> Bool {
        switch padding {
        case .pkcs1v15:
            return EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1
        case .pss:
            return EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PSS_PADDING) == 1
                && EVP_PKEY_CTX_set_rsa_pss_saltlen(context, RSA_PSS_SALTLEN_AUTO) == 1
        }
    }
}
