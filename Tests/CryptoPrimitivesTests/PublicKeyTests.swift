import Foundation
import Testing
@testable import CryptoPrimitives

/// (public key PEM, expected kind, signature file, hash, padding) for the generated fixtures
/// (scripts/make-crypto-fixtures.sh), all over generated/message.txt.
let signatureCases: [(String, PublicKey.Kind, String, HashAlgorithm, PublicKey.RSAPadding)] = [
    ("p256.pub.pem", .ecdsaP256, "p256-sha256.sig", .sha256, .pkcs1v15),
    ("p384.pub.pem", .ecdsaP384, "p384-sha384.sig", .sha384, .pkcs1v15),
    ("p384.pub.pem", .ecdsaP384, "p384-sha256.sig", .sha256, .pkcs1v15),
    ("p521.pub.pem", .ecdsaP521, "p521-sha512.sig", .sha512, .pkcs1v15),
    ("ed25519.pub.pem", .ed25519, "ed25519.sig", .sha256, .pkcs1v15),
    ("rsa2048.pub.pem", .rsa(bits: 2048), "rsa2048-pkcs1-sha256.sig", .sha256, .pkcs1v15),
    ("rsa2048.pkcs1.pub.pem", .rsa(bits: 2048), "rsa2048-pkcs1-sha256.sig", .sha256, .pkcs1v15),
    ("rsa2048.pub.pem", .rsa(bits: 2048), "rsa2048-pss-sha256.sig", .sha256, .pss),
    ("rsa3072.pub.pem", .rsa(bits: 3072), "rsa3072-pss-sha512.sig", .sha512, .pss),
    ("rsa3072.pub.pem", .rsa(bits: 3072), "rsa3072-pkcs1-sha384.sig", .sha384, .pkcs1v15),
]

func generatedKey(_ name: String) throws -> PublicKey { try PublicKey(pem: Fixtures.text("generated/" + name)) }

@Test(arguments: signatureCases)
func validSignatureVerifies(keyFile: String, kind: PublicKey.Kind, signatureFile: String, hash: HashAlgorithm,
                            padding: PublicKey.RSAPadding) throws {
    let key = try generatedKey(keyFile)
    #expect(key.kind == kind)
    let message = try Fixtures.data("generated/message.txt")
    let signature = try Fixtures.data("generated/" + signatureFile)
    #expect(key.isValidSignature(signature, for: message, hash: hash, rsaPadding: padding))
    if kind != .ed25519 {
        #expect(key.isValidSignature(signature, forDigest: hash.hash(message), hash: hash, rsaPadding: padding))
    } else {
        #expect(!key.isValidSignature(signature, forDigest: hash.hash(message), hash: hash), "Ed25519 has no prehash mode")
    }
}

@Test(arguments: signatureCases)
func tamperedSignatureOrMessageFails(keyFile: String, kind: PublicKey.Kind, signatureFile: String, hash: HashAlgorithm,
                                     padding: PublicKey.RSAPadding) throws {
    let key = try generatedKey(keyFile)
    let message = try Fixtures.data("generated/message.txt")
    let signature = try Fixtures.data("generated/" + signatureFile)
    // A flipped bit anywhere in the signature (first, middle, last byte) or the message must fail.
    for index in [0, signature.count / 2, signature.count - 1] {
        var flipped = signature
        flipped[index] ^= 0x01
        #expect(!key.isValidSignature(flipped, for: message, hash: hash, rsaPadding: padding), "sig byte \(index)")
    }
    for index in [0, message.count / 2, message.count - 1] {
        var flipped = message
        flipped[index] ^= 0x80
        #expect(!key.isValidSignature(signature, for: flipped, hash: hash, rsaPadding: padding), "message byte \(index)")
    }
    #expect(!key.isValidSignature(signature, for: try Fixtures.data("generated/other-message.txt"), hash: hash,
                                  rsaPadding: padding))
    // Truncated, extended and empty signatures.
    #expect(!key.isValidSignature(Array(signature.dropLast()), for: message, hash: hash, rsaPadding: padding))
    #expect(!key.isValidSignature(signature + [0], for: message, hash: hash, rsaPadding: padding))
    #expect(!key.isValidSignature([], for: message, hash: hash, rsaPadding: padding))
    if kind != .ed25519 {
        let wrongHash: HashAlgorithm = hash == .sha256 ? .sha512 : .sha256
        #expect(!key.isValidSignature(signature, for: message, hash: wrongHash, rsaPadding: padding))
        var digest = hash.hash(message)
        digest[0] ^= 1
        #expect(!key.isValidSignature(signature, forDigest: digest, hash: hash, rsaPadding: padding))
        #expect(!key.isValidSignature(signature, forDigest: Array(digest.dropLast()), hash: hash, rsaPadding: padding))
    }
}

@Test(arguments: [
    ("p256.pub.pem", "p384-sha256.sig"), ("p384.pub.pem", "p256-sha256.sig"), ("p521.pub.pem", "p256-sha256.sig"),
    ("rsa3072.pub.pem", "rsa2048-pkcs1-sha256.sig"), ("ed25519.pub.pem", "p256-sha256.sig"),
])
func signatureUnderWrongKeyFails(keyFile: String, signatureFile: String) throws {
    let key = try generatedKey(keyFile)
    let message = try Fixtures.data("generated/message.txt")
    #expect(!key.isValidSignature(try Fixtures.data("generated/" + signatureFile), for: message))
}

@Test func rsaPaddingModeIsEnforced() throws {
    let key = try generatedKey("rsa2048.pub.pem")
    let message = try Fixtures.data("generated/message.txt")
    #expect(!key.isValidSignature(try Fixtures.data("generated/rsa2048-pss-sha256.sig"), for: message, rsaPadding: .pkcs1v15))
    #expect(!key.isValidSignature(try Fixtures.data("generated/rsa2048-pkcs1-sha256.sig"), for: message, rsaPadding: .pss))
}

@Test func realCosignSignatureVerifiesOnlyUnderItsKey() throws {
    let payload = try Fixtures.data("cosign/cosign-sig-payload.json")
    let signature = try Fixtures.data("cosign/cosign-sig-payload.json.sig")
    let keyA = try PublicKey(pem: Fixtures.text("cosign/cosign-a.pub"))
    let keyB = try PublicKey(pem: Fixtures.text("cosign/cosign-b.pub"))
    #expect(keyA.kind == .ecdsaP256)
    #expect(keyA.isValidSignature(signature, for: payload))
    #expect(keyA.isValidSignature(signature, forDigest: HashAlgorithm.sha256.hash(payload), hash: .sha256))
    #expect(!keyB.isValidSignature(signature, for: payload))
    #expect(keyA != keyB)
}

@Test(arguments: [
    ("keys/tlog.rekor.sigstore.dev.pub.pem", PublicKey.Kind.ecdsaP256,
     "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"),
    ("keys/tlog.log2025-1.rekor.sigstore.dev.pub.pem", .ed25519, nil),
    ("keys/ctlog.ctfe.sigstore.dev_2022.pub.pem", .ecdsaP256,
     "dd3d306ac6c7113263191e1c99673702a24a5eb8de3cadff878a72802f29ee8e"),
    ("keys/ctlog.ctfe.sigstore.dev_test.pub.pem", .ecdsaP256, nil),
] as [(String, PublicKey.Kind, String?)])
func realSigstoreKeysParse(file: String, kind: PublicKey.Kind, keyID: String?) throws {
    let pem = try Fixtures.text(file)
    let key = try PublicKey(pem: pem)
    #expect(key.kind == kind)
    if let keyID { #expect(key.sha256KeyID.hexString == keyID) }
    // PEM round trip and DER parse give the same key.
    #expect(try PublicKey(pem: key.pem) == key)
    #expect(try PublicKey(derSPKI: key.spkiDER) == key)
}

@Test func derAndPemParseTheSameKey() throws {
    for name in ["p256", "p384", "p521", "ed25519", "rsa2048"] {
        let fromDER = try PublicKey(derSPKI: Fixtures.data("generated/\(name).pub.der"))
        let fromPEM = try generatedKey("\(name).pub.pem")
        #expect(fromDER == fromPEM)
        #expect(fromDER.spkiDER == (try Fixtures.data("generated/\(name).pub.der")))
    }
    // PKCS#1 RSA PUBLIC KEY is re-encoded to the same SPKI, from PEM or from DER.
    #expect(try generatedKey("rsa2048.pkcs1.pub.pem").spkiDER == (try Fixtures.data("generated/rsa2048.pub.der")))
    let pkcs1 = try PEMBlock.parseAll(Fixtures.text("generated/rsa2048.pkcs1.pub.pem"), errorCode: .invalidKey)[0].der
    #expect(try PublicKey(pkcs1RSA: pkcs1).spkiDER == (try Fixtures.data("generated/rsa2048.pub.der")))
    #expect(throws: CryptoError.self) { _ = try PublicKey(pkcs1RSA: Fixtures.data("generated/rsa2048.pub.der")) }
    #expect(throws: CryptoError.self) { _ = try PublicKey(pkcs1RSA: pkcs1 + [0]) }
}

/// Bad key inputs and a word the error message must contain.
let badKeyPEMs: [(String, String)] = [
    ("", "no PEM block"),
    ("garbage that is not PEM at all", "no PEM block"),
    ("-----BEGIN PUBLIC KEY-----\nnot base64!!\n-----END PUBLIC KEY-----\n", "base64"),
    ("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n", "SubjectPublicKeyInfo"),
    ("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n", "no END line"),
    ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END CERTIFICATE-----\n", "different label"),
    ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "no PUBLIC KEY"),
    ("-----BEGIN PUBLIC KEY-----\nProc-Type: 4,ENCRYPTED\nAAAA\n-----END PUBLIC KEY-----\n", "header"),
]

@Test(arguments: badKeyPEMs)
func garbagePEMIsInvalidKey(pem: String, expectedWord: String) {
    #expect {
        _ = try PublicKey(pem: pem)
    } throws: { error in
        guard let error = error as? CryptoError else { return false }
        return error.code == .invalidKey && error.message.contains(expectedWord)
    }
}

@Test(arguments: [
    ("secp256k1.pub.pem", "unsupported elliptic curve secp256k1"),
    ("rsa1024.pub.pem", "RSA key of 1024 bits is too small"),
])
func unsupportedKeysAreRejectedWithClearMessage(file: String, expected: String) {
    #expect {
        _ = try generatedKey(file)
    } throws: { error in
        (error as? CryptoError)?.code == .invalidKey && "\(error)".contains(expected)
    }
}

@Test func truncatedOrExtendedDERIsRejected() throws {
    let der = try Fixtures.data("generated/p256.pub.der")
    for bad in [Array(der.dropLast()), Array(der.prefix(10)), der + [0x00], []] {
        #expect(throws: CryptoError.self) { _ = try PublicKey(derSPKI: bad) }
    }
    var wrongPoint = der
    wrongPoint[wrongPoint.count - 1] ^= 0x01   // the point is no longer on the curve
    #expect(throws: CryptoError.self) { _ = try PublicKey(derSPKI: wrongPoint) }
}

@Test func keyIsSafeToShareAcrossTasks() async throws {
    let key = try generatedKey("p256.pub.pem")
    let message = try Fixtures.data("generated/message.txt")
    let signature = try Fixtures.data("generated/p256-sha256.sig")
    let results = await withTaskGroup(of: Bool.self) { group in
        for _ in 0..<64 { group.addTask { key.isValidSignature(signature, for: message) } }
        return await group.reduce(into: [Bool]()) { $0.append($1) }
    }
    #expect(results.count == 64 && results.allSatisfy { $0 })
}
