import Foundation
import Testing
@testable import CryptoPrimitives

// MARK: - RFC 3161

struct TimestampCase: Sendable, CustomStringConvertible {
    let name: String
    let token: @Sendable () throws -> [UInt8]
    let message: @Sendable () throws -> [UInt8]
    /// [leaf, intermediates..., root] as trusted material; `passLeaf` says whether the leaf is given separately.
    let chain: @Sendable () throws -> [Certificate]
    let passLeaf: Bool
    let genTime: String
    var description: String { name }
}

func bundleTimestamp(_ name: String) throws -> [UInt8] {
    try Fixtures.base64(name, ["verificationMaterial", "timestampVerificationData", "rfc3161Timestamps", 0, "signedTimestamp"])
}

func bundleSignature(_ name: String) throws -> [UInt8] {
    try Fixtures.base64(name, ["messageSignature", "signature"])
}

func generatedTSAChain() throws -> [Certificate] {
    [try Certificate.parsePEM(Fixtures.text("generated/tsa.pem"))[0],
     try Certificate.parsePEM(Fixtures.text("generated/intermediate.pem"))[0],
     try Certificate.parsePEM(Fixtures.text("generated/root.pem"))[0]]
}

let timestampCases: [TimestampCase] = [
    TimestampCase(name: "production TSA, no embedded cert (conformance managed-key-happy-path)",
                  token: { try bundleTimestamp("sigstore/managed-key-happy-path.sigstore.json") },
                  message: { try bundleSignature("sigstore/managed-key-happy-path.sigstore.json") },
                  chain: { try Fixtures.trustedRootChain(productionRoot, authority: 0, kind: "timestampAuthorities") },
                  passLeaf: true, genTime: "2025-12-18T17:04:39Z"),
    TimestampCase(name: "staging TSA with embedded cert (conformance rekor2-timestamp-with-embedded-cert)",
                  token: { try bundleTimestamp("sigstore/rekor2-timestamp-with-embedded-cert.sigstore.json") },
                  message: { try bundleSignature("sigstore/rekor2-timestamp-with-embedded-cert.sigstore.json") },
                  chain: { try Fixtures.trustedRootChain("sigstore/rekor2-timestamp-with-embedded-cert.trusted_root.json",
                                                         authority: 0, kind: "timestampAuthorities") },
                  passLeaf: false, genTime: "2025-08-06T18:51:36Z"),
    TimestampCase(name: "staging TSA, no embedded cert (sigstore-python issue 1482)",
                  token: { try Fixtures.data("sigstore/issue1482-timestamp-with-no-cert") },
                  message: { try Fixtures.data("sigstore/issue1482-message") },
                  chain: { try Fixtures.trustedRootChain("sigstore/rekor2-timestamp-with-embedded-cert.trusted_root.json",
                                                         authority: 0, kind: "timestampAuthorities") },
                  passLeaf: true, genTime: "2025-07-25T19:53:04Z"),
    TimestampCase(name: "TSA chain valid only 15:27-15:37 on 2025-08-07, token at 15:32:26 (rekor2-timestamp-with-expired-cert-chain)",
                  token: { try bundleTimestamp("sigstore/rekor2-timestamp-with-expired-cert-chain.sigstore.json") },
                  message: { try bundleSignature("sigstore/rekor2-timestamp-with-expired-cert-chain.sigstore.json") },
                  chain: { try Fixtures.trustedRootChain("sigstore/local-tsa-short-lived.trusted_root.json",
                                                         authority: 0, kind: "timestampAuthorities") },
                  passLeaf: true, genTime: "2025-08-07T15:32:26Z"),
    TimestampCase(name: "generated TSA response (openssl ts -reply)",
                  token: { try Fixtures.data("generated/message.tsr") },
                  message: { try Fixtures.data("generated/message.txt") },
                  chain: generatedTSAChain, passLeaf: false, genTime: ""),
    TimestampCase(name: "generated bare TimeStampToken",
                  token: { try Fixtures.data("generated/message.tst") },
                  message: { try Fixtures.data("generated/message.txt") },
                  chain: generatedTSAChain, passLeaf: false, genTime: ""),
]

@Test(arguments: timestampCases)
func realTimestampVerifies(_ testCase: TimestampCase) throws {
    let token = try TimestampToken(der: testCase.token())
    let chain = try testCase.chain()
    let message = try testCase.message()
    #expect(token.hashAlgorithm == .sha256)
    #expect(token.messageImprint == HashAlgorithm.sha256.hash(message))
    if !testCase.genTime.isEmpty { #expect(token.generationTime == utc(testCase.genTime)) }
    let time = try token.verify(message: message, roots: [chain[chain.count - 1]],
                                intermediates: Array(chain.dropFirst().dropLast()),
                                leaf: testCase.passLeaf ? chain[0] : nil)
    #expect(time == token.generationTime)
    // The leaf may always be given, even when embedded.
    _ = try token.verify(message: message, roots: [chain[chain.count - 1]], intermediates: Array(chain.dropLast()),
                         leaf: chain[0])
}

@Test(arguments: timestampCases)
func timestampOverOtherDataFails(_ testCase: TimestampCase) throws {
    let token = try TimestampToken(der: testCase.token())
    let chain = try testCase.chain()
    var message = try testCase.message()
    message[message.count - 1] ^= 1
    #expect {
        _ = try token.verify(message: message, roots: [chain[chain.count - 1]], intermediates: Array(chain.dropLast()),
                             leaf: chain[0])
    } throws: { error in
        (error as? CryptoError)?.code == .timestampInvalid && "\(error)".contains("covers other data")
    }
}

@Test(arguments: timestampCases)
func timestampWithUntrustedRootFails(_ testCase: TimestampCase) throws {
    let token = try TimestampToken(der: testCase.token())
    let chain = try testCase.chain()
    let message = try testCase.message()
    let foreignRoot = try Certificate.parsePEM(Fixtures.text("generated/other-root.pem"))[0]
    #expect {
        _ = try token.verify(message: message, roots: [foreignRoot], intermediates: Array(chain.dropLast()), leaf: chain[0])
    } throws: { ($0 as? CryptoError)?.code == .timestampInvalid }
    #expect {
        _ = try token.verify(message: message, roots: [], intermediates: [], leaf: chain[0])
    } throws: { ($0 as? CryptoError)?.code == .timestampInvalid }
}

@Test func timestampAfterTSACertificateExpiryFails() throws {
    // Conformance rekor2-timestamp-outside-tsa-cert-validity_fail: token at 15:38:32, TSA chain expired 15:37:08.
    let bundle = "sigstore/rekor2-timestamp-outside-tsa-cert-validity_fail.sigstore.json"
    let token = try TimestampToken(der: bundleTimestamp(bundle))
    #expect(token.generationTime == utc("2025-08-07T15:38:32Z"))
    let chain = try Fixtures.trustedRootChain("sigstore/local-tsa-short-lived.trusted_root.json", authority: 0,
                                              kind: "timestampAuthorities")
    #expect {
        _ = try token.verify(message: try bundleSignature(bundle), roots: [chain[2]], intermediates: [chain[1]],
                             leaf: chain[0])
    } throws: { error in
        (error as? CryptoError)?.code == .timestampInvalid && "\(error)".contains("certificate has expired")
    }
}

@Test func timestampFromUntrustedTSAWithEmbeddedCertFails() throws {
    // Conformance rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail: FreeTSA token, staging TSA trusted.
    let bundle = "sigstore/rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail.sigstore.json"
    let token = try TimestampToken(der: bundleTimestamp(bundle))
    let chain = try Fixtures.trustedRootChain("sigstore/rekor2-timestamp-with-embedded-cert.trusted_root.json",
                                              authority: 0, kind: "timestampAuthorities")
    #expect {
        _ = try token.verify(message: try bundleSignature(bundle), roots: [chain[1]], intermediates: [], leaf: chain[0])
    } throws: { ($0 as? CryptoError)?.code == .timestampInvalid }
}

@Test func timestampWithoutEmbeddedCertNeedsTheLeaf() throws {
    let testCase = timestampCases[0]
    let token = try TimestampToken(der: testCase.token())
    let chain = try testCase.chain()
    #expect {
        _ = try token.verify(message: try testCase.message(), roots: [chain[1]], intermediates: [], leaf: nil)
    } throws: { ($0 as? CryptoError)?.code == .timestampInvalid }
}

@Test func timestampSignedByNonTSACertificateFails() throws {
    // The production token names its signer by issuer and serial; offering a code-signing certificate of another
    // PKI instead of the TSA certificate must not let the token verify.
    let testCase = timestampCases[0]
    let token = try TimestampToken(der: testCase.token())
    let chain = try testCase.chain()
    let pki = try generatedPKI()
    #expect(throws: CryptoError.self) {
        _ = try token.verify(message: try testCase.message(), roots: [chain[1]], intermediates: [pki.intermediate],
                             leaf: pki.leaf)
    }
}

@Test func tamperedTimestampFails() throws {
    let testCase = timestampCases[0]
    let original = try testCase.token()
    let chain = try testCase.chain()
    let message = try testCase.message()
    // Flip one byte in the genTime digits (inside the signed TSTInfo) and one near the end (the signature).
    let genTime = Array("20251218170439".utf8)
    let offset = try #require((0...(original.count - genTime.count)).first { Array(original[$0..<($0 + genTime.count)]) == genTime })
    for index in [offset + 13, original.count - 3] {
        var bytes = original
        bytes[index] ^= 0x01
        guard let token = try? TimestampToken(der: bytes) else { continue }  // unparsable also counts as rejected
        #expect(throws: CryptoError.self, "byte \(index)") {
            _ = try token.verify(message: message, roots: [chain[1]], intermediates: [], leaf: chain[0])
        }
    }
}

@Test func timestampParseErrors() throws {
    let valid = try Fixtures.data("generated/message.tsr")
    for bad in [[], Array(valid.prefix(40)), valid + [0], [UInt8](repeating: 0xff, count: 32),
                try Fixtures.data("generated/leaf.der")] {
        #expect(throws: CryptoError.self) { _ = try TimestampToken(der: bad) }
    }
}

// MARK: - SCT

func productionCTLogs() throws -> [CTLogKey] {
    try ["keys/ctlog.ctfe.sigstore.dev_2022.pub.pem", "keys/ctlog.ctfe.sigstore.dev_test.pub.pem"].map {
        CTLogKey(key: try PublicKey(pem: Fixtures.text($0)))
    }
}

@Test func realFulcioLeafSCTVerifies() throws {
    let leaf = try Fixtures.bundleLeaf(githubBundle)
    let fulcio = try productionFulcio()
    let scts = try verifyEmbeddedSCTs(leaf: leaf, issuer: fulcio.intermediate, logs: try productionCTLogs())
    #expect(scts.count == 1)
    #expect(scts.first?.logID.hexString == "dd3d306ac6c7113263191e1c99673702a24a5eb8de3cadff878a72802f29ee8e")
    // The SCT was issued while the certificate was being made.
    let timestamp = try #require(scts.first?.timestamp)
    #expect(abs(timestamp.timeIntervalSince(leaf.notBefore)) < 60)
}

@Test func sctWithExtensionsFromStaticCTLogVerifies() throws {
    let bundle = "sigstore/bundle-with-sct-with-extensions.sigstore.json"
    let root = "sigstore/bundle-with-sct-with-extensions.trusted_root.json"
    let leaf = try Fixtures.bundleLeaf(bundle)
    let issuer = try Fixtures.trustedRootChain(root, authority: 0)[0]
    let log = CTLogKey(logID: try Fixtures.base64(root, ["ctlogs", 0, "logId", "keyId"]),
                       key: try PublicKey(derSPKI: Fixtures.base64(root, ["ctlogs", 0, "publicKey", "rawBytes"])))
    let parsed = try SignedCertificateTimestamp.parseList(extensionValue: try #require(leaf.extensionValue(oid: embeddedSCTListOID)))
    #expect(parsed.count == 1 && !parsed[0].extensions.isEmpty)
    let verified = try verifyEmbeddedSCTs(leaf: leaf, issuer: issuer, logs: [log])
    #expect(verified.count == 1)
    #expect(verified.first?.logID == log.logID)
}

@Test func sctFromUnknownLogOrWrongKeyIsNotVerified() throws {
    let leaf = try Fixtures.bundleLeaf(githubBundle)
    let fulcio = try productionFulcio()
    let rekorKey = try PublicKey(pem: Fixtures.text("keys/tlog.rekor.sigstore.dev.pub.pem"))
    // Unknown log: not verified.
    #expect(try verifyEmbeddedSCTs(leaf: leaf, issuer: fulcio.intermediate, logs: [CTLogKey(key: rekorKey)]).isEmpty)
    // Right log ID, wrong key: not verified.
    let logID = try productionCTLogs()[0].logID
    #expect(try verifyEmbeddedSCTs(leaf: leaf, issuer: fulcio.intermediate,
                                   logs: [CTLogKey(logID: logID, key: rekorKey)]).isEmpty)
    // Wrong issuer: the issuer key hash differs, so nothing verifies.
    #expect(try verifyEmbeddedSCTs(leaf: leaf, issuer: fulcio.root, logs: try productionCTLogs()).isEmpty)
    // No SCT extension: nothing verified, no error.
    #expect(try verifyEmbeddedSCTs(leaf: try generatedPKI().leaf, issuer: try generatedPKI().intermediate,
                                   logs: try productionCTLogs()).isEmpty)
}

/// Finds the SCT list extension inside the leaf DER and returns the offset of its value bytes.
func sctExtensionOffset(in der: [UInt8], value: [UInt8]) -> Int? {
    (0...(der.count - value.count)).first { Array(der[$0..<($0 + value.count)]) == value }
}

@Test(arguments: [
    ("timestamp", 2 + 2 + 2 + 1 + 32 + 7),         // last byte of the SCT timestamp
    ("signature", -1),                              // last byte of the ECDSA signature
])
func sctWithFlippedByteIsNotVerified(field: String, offsetInList: Int) throws {
    let leaf = try Fixtures.bundleLeaf(githubBundle)
    let fulcio = try productionFulcio()
    let value = try #require(leaf.extensionValue(oid: embeddedSCTListOID))
    let start = try #require(sctExtensionOffset(in: leaf.der, value: value))
    // value = 04 81 7a | list length (2) | sct length (2) | version | log id | timestamp ...
    let headerLength = value[1] & 0x80 != 0 ? 2 + Int(value[1] & 0x7f) : 2
    let index = offsetInList >= 0 ? start + headerLength + offsetInList - 2 : start + value.count - 1
    var der = leaf.der
    der[index] ^= 0x01
    let tampered = try Certificate(der: der)
    #expect(tampered.extensionValue(oid: embeddedSCTListOID) != value)
    #expect(try verifyEmbeddedSCTs(leaf: tampered, issuer: fulcio.intermediate, logs: try productionCTLogs()).isEmpty,
            "\(field)")
}

@Test func sctOverTamperedCertificateIsNotVerified() throws {
    // Change the SAN inside the TBS: the CT log signed the original precertificate, so the SCT must not verify.
    let leaf = try Fixtures.bundleLeaf(githubBundle)
    let fulcio = try productionFulcio()
    var der = leaf.der
    let needle = Array("trailofbits/rfc8785.py/.github".utf8)
    let offset = try #require((0...(der.count - needle.count)).first { Array(der[$0..<($0 + needle.count)]) == needle })
    der[offset] = UInt8(ascii: "T")
    let tampered = try Certificate(der: der)
    #expect(try verifyEmbeddedSCTs(leaf: tampered, issuer: fulcio.intermediate, logs: try productionCTLogs()).isEmpty)
    #expect(try verifyEmbeddedSCTs(leaf: leaf, issuer: fulcio.intermediate, logs: try productionCTLogs()).count == 1)
}

@Test(arguments: [
    [UInt8](),
    [0x04, 0x00],
    [0x04, 0x02, 0x00, 0x05],                    // list length longer than the data
    [0x04, 0x04, 0x00, 0x02, 0x00, 0x00],        // empty SCT
    [0x04, 0x05, 0x00, 0x03, 0x00, 0x01, 0x01],  // SCT version 2
    [0x04, 0x06, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00],  // truncated SCT
    [0x30, 0x00],
])
func malformedSCTListIsRejected(bytes: [UInt8]) {
    #expect {
        _ = try SignedCertificateTimestamp.parseList(extensionValue: bytes)
    } throws: { ($0 as? CryptoError)?.code == .sctInvalid }
}
