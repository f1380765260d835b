import Foundation
import Testing
@testable import CryptoPrimitives

/// Error codes are part of the contract: callers map them to reason codes.
@Test func errorCodesAreStable() {
    #expect(CryptoError.Code.allCases.map(\.rawValue) == [
        "io_error", "invalid_key", "invalid_signature_encoding", "invalid_certificate", "chain_invalid",
        "certificate_expired", "certificate_not_yet_valid", "extended_key_usage_missing", "timestamp_invalid",
        "sct_invalid", "unsupported", "internal_error",
    ])
    #expect("\(CryptoError(.invalidKey, "x"))" == "invalid_key: x")
    #expect(HashAlgorithm.allCases.map(\.rawValue) == ["sha256", "sha384", "sha512"])
}

/// Re-encodes a DER ECDSA signature in ways a strict verifier must reject (signature malleability).
func nonCanonicalVariants(of signature: [UInt8]) -> [(String, [UInt8])] {
    var variants: [(String, [UInt8])] = []
    // SEQUENCE length in long form (BER, not DER).
    if signature[1] < 0x80 {
        variants.append(("long-form length", [0x30, 0x81, signature[1]] + signature[2...]))
    }
    // r with a superfluous leading zero byte.
    let rLength = Int(signature[3])
    if signature[1] < 0x7f, signature[4] < 0x80 {
        var padded: [UInt8] = [0x30, signature[1] + 1, 0x02, UInt8(rLength + 1), 0x00]
        padded += signature[4...]
        variants.append(("padded r", padded))
    }
    // Trailing garbage after the SEQUENCE.
    variants.append(("trailing byte", signature + [0x00]))
    return variants
}

@Test(arguments: ["p256-sha256.sig", "p384-sha384.sig", "p521-sha512.sig"])
func nonCanonicalECDSASignaturesAreRejected(file: String) throws {
    let keyFile = file.hasPrefix("p256") ? "p256.pub.pem" : file.hasPrefix("p384") ? "p384.pub.pem" : "p521.pub.pem"
    let hash: HashAlgorithm = file.contains("sha384") ? .sha384 : file.contains("sha512") ? .sha512 : .sha256
    let key = try generatedKey(keyFile)
    let message = try Fixtures.data("generated/message.txt")
    let signature = try Fixtures.data("generated/" + file)
    #expect(key.isValidSignature(signature, for: message, hash: hash))
    for (name, variant) in nonCanonicalVariants(of: signature) {
        #expect(!key.isValidSignature(variant, for: message, hash: hash), "\(name)")
        #expect(!key.isValidSignature(variant, forDigest: hash.hash(message), hash: hash), "\(name), digest")
    }
}

@Test func concurrentChainValidationAndTimestampVerification() async throws {
    let leaf = try Fixtures.bundleLeaf(githubBundle)
    let fulcio = try productionFulcio()
    let validator = ChainValidator(roots: [fulcio.root], intermediates: [fulcio.intermediate])
    let time = utc("2024-03-19T22:45:00Z")
    let token = try TimestampToken(der: Fixtures.data("generated/message.tsr"))
    let message = try Fixtures.data("generated/message.txt")
    let tsaChain = try generatedTSAChain()
    let logs = try productionCTLogs()
    let outcomes = await withTaskGroup(of: Bool.self) { group in
        for index in 0..<48 {
            group.addTask {
                switch index % 3 {
                case 0: return (try? validator.validate(leaf, at: time, requiredExtendedKeyUsage: codeSigning))?.count == 3
                case 1: return (try? token.verify(message: message, roots: [tsaChain[2]], intermediates: [tsaChain[1]],
                                                  leaf: nil)) == token.generationTime
                default: return (try? verifyEmbeddedSCTs(leaf: leaf, issuer: fulcio.intermediate, logs: logs))?.count == 1
                }
            }
        }
        return await group.reduce(into: [Bool]()) { $0.append($1) }
    }
    #expect(outcomes.count == 48 && outcomes.allSatisfy { $0 })
}

@Test func streamingHashAcceptsFoundationData() {
    let hasher = StreamingHash(.sha256)
    hasher.update(Data("ab".utf8))
    hasher.update(Array("c".utf8))
    #expect(hasher.finalize().hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(HashAlgorithm.sha256.hash(Data("abc".utf8)) == HashAlgorithm.sha256.hash(Array("abc".utf8)))
}

@Test func oversizedInputsAreRejectedBeforeParsing() {
    let huge = [UInt8](repeating: 0x30, count: Certificate.maximumDERSize + 1)
    #expect(throws: CryptoError.self) { _ = try Certificate(der: huge) }
    #expect(throws: CryptoError.self) { _ = try TimestampToken(der: huge) }
    let hugePEM = String(repeating: "A", count: PEMBlock.maximumTextSize + 1)
    #expect(throws: CryptoError.self) { _ = try PublicKey(pem: hugePEM) }
}
