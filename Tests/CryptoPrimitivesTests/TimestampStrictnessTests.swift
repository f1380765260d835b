import Foundation
import Testing
@testable import CryptoPrimitives

/// Attacks on RFC 3161 tokens that OpenSSL's `TS_RESP_verify_token` alone lets through, each refused by the strict
/// reading (`TimestampLayout`) and the signer checks of `TimestampToken.verify`. Every test here failed before them.
@Suite struct TimestampStrictnessTests {
    // MARK: One-bit changes to a real token (conformance rekor2-happy-path, staging TSA, leaf pinned by the root)

    static let happyPath = "../sigstore/conformance/bundle-verify/rekor2-happy-path/"

    struct Flip: Sendable, CustomTestStringConvertible {
        let attack: String
        /// Offsets from `openssl asn1parse` of the 1,262-byte TimeStampResp.
        let offset: Int
        let mask: UInt8
        /// What the error must name.
        let problem: String
        var testDescription: String { attack }
    }

    static let flips: [Flip] = [
        Flip(attack: "status granted → grantedWithMods", offset: 8, mask: 0x01, problem: "grantedWithMods"),
        Flip(attack: "SignedData version 3 → 2", offset: 34, mask: 0x01, problem: "SignedData version"),
        Flip(attack: "SignerInfo version 1 → 0", offset: 792, mask: 0x01, problem: "SignerInfo version"),
        Flip(attack: "signatureAlgorithm ecdsa-with-SHA256 → ecdsa-with-SHA384", offset: 1155, mask: 0x01,
             problem: "signatureAlgorithm"),
        Flip(attack: "SignedData.digestAlgorithms sha256 → sha384", offset: 49, mask: 0x02, problem: "digestAlgorithms"),
        Flip(attack: "signer's issuer name in another case (\"Sigstore.dev\")", offset: 808, mask: 0x20,
             problem: "not by the TSA certificate the trusted root pins"),
        Flip(attack: "embedded TSA certificate altered (a byte of its issuer name)", offset: 312, mask: 0x20,
             problem: "embedded certificate #0"),
    ]

    static func happyPathToken() throws -> (token: [UInt8], message: [UInt8], chain: [Certificate]) {
        let bundle = happyPath + "bundle.sigstore.json"
        let token = try Fixtures.base64(bundle, ["verificationMaterial", "timestampVerificationData", "rfc3161Timestamps", 0,
                                                 "signedTimestamp"])
        let message = try Fixtures.base64(bundle, ["messageSignature", "signature"])
        let chain = try Fixtures.trustedRootChain(happyPath + "trusted_root.json", authority: 0, kind: "timestampAuthorities")
        return (token, message, chain)
    }

    @Test(arguments: flips)
    func aOneBitChangeOutsideTheSignedBytesIsRefused(_ flip: Flip) throws {
        let (token, message, chain) = try Self.happyPathToken()
        #expect(token.count == 1262)
        #expect(chain.count == 2, "the staging root pins the TSA leaf")
        func verify(_ der: [UInt8]) throws -> Date {
            try TimestampToken(der: der).verify(message: message, roots: [chain[1]], intermediates: [], leaf: chain[0])
        }
        _ = try verify(token)
        var mutated = token
        mutated[flip.offset] ^= flip.mask
        #expect {
            _ = try verify(mutated)
        } throws: { error in
            (error as? CryptoError)?.code == .timestampInvalid && "\(error)".contains(flip.problem)
        }
    }

    // MARK: Signer pinning (fixture CA with two TSA leaves, scripts/make-tsa-pin-fixtures.sh)

    static func pinFixture(_ name: String) throws -> Certificate {
        try Certificate.parsePEM(Fixtures.text("tsa-pin/\(name).pem"))[0]
    }

    static func pinToken(_ name: String) throws -> TimestampToken {
        try TimestampToken(der: Fixtures.data("tsa-pin/\(name).tsr"))
    }

    @Test func theTokensOfThePinFixtureVerifyWhereTheyShould() throws {
        let message = try Fixtures.data("tsa-pin/message.txt")
        let root = try Self.pinFixture("root")
        // Signed by A, with A embedded: verifies with A pinned, and with the root alone (A found embedded).
        let byA = try Self.pinToken("by-a")
        _ = try byA.verify(message: message, roots: [root], intermediates: [], leaf: try Self.pinFixture("tsa-a"))
        _ = try byA.verify(message: message, roots: [root], intermediates: [], leaf: nil)
        // Signed by B: verifies when no leaf is pinned (B is embedded and chains to the root).
        _ = try Self.pinToken("by-b").verify(message: message, roots: [root], intermediates: [], leaf: nil)
    }

    @Test func aTokenFromAnotherLeafOfThePinnedTSAsCAIsRefused() throws {
        // OpenSSL looks for the signer among the given certificates, and else among the embedded ones: B, embedded,
        // chains to the same root, so the pinned leaf A was silently bypassed.
        let message = try Fixtures.data("tsa-pin/message.txt")
        #expect {
            _ = try Self.pinToken("by-b").verify(message: message, roots: [try Self.pinFixture("root")], intermediates: [],
                                                 leaf: try Self.pinFixture("tsa-a"))
        } throws: { error in
            (error as? CryptoError)?.code == .timestampInvalid && "\(error)".contains("not by the TSA certificate the trusted root pins")
        }
    }

    @Test func anEmbeddedCertificateNothingVerifiesIsRefused() throws {
        // Signed by A (pinned), carrying B as well: B is neither the signer nor part of the trusted chain.
        let message = try Fixtures.data("tsa-pin/message.txt")
        let token = try Self.pinToken("by-a-with-b-embedded")
        #expect(token.embeddedCertificates.count == 2)
        #expect {
            _ = try token.verify(message: message, roots: [try Self.pinFixture("root")], intermediates: [],
                                 leaf: try Self.pinFixture("tsa-a"))
        } throws: { error in
            (error as? CryptoError)?.code == .timestampInvalid && "\(error)".contains("neither the signer nor part of the trusted TSA chain")
        }
    }

    // MARK: Structure

    @Test func crlsAndUnsignedAttributesAreRefused() throws {
        // A CRLs field ([1]) after the certificates, and unsigned attributes ([1]) at the end of the SignerInfo, are
        // inserted into a real token with every enclosing length adjusted: both carry content nothing verifies.
        let (token, _, _) = try Self.happyPathToken()
        #expect(throws: Never.self) { _ = try TimestampToken(der: token) }
        let withCRLs = try Self.inserting([0xa1, 0x00], at: 782, into: token, enclosing: [0, 9, 24, 28])
        #expect { _ = try TimestampToken(der: withCRLs) } throws: { "\($0)".contains("CRLs") }
        let withUnsigned = try Self.inserting([0xa1, 0x00], at: 1262, into: token, enclosing: [0, 9, 24, 28, 782, 786])
        #expect { _ = try TimestampToken(der: withUnsigned) } throws: { "\($0)".contains("unsigned attributes") }
    }

    /// `bytes` inserted at `offset`, and the long-form (2-byte) lengths of the TLVs starting at `enclosing` grown to
    /// match.
    static func inserting(_ bytes: [UInt8], at offset: Int, into der: [UInt8], enclosing: [Int]) throws -> [UInt8] {
        var result = der
        for start in enclosing {
            try #require(result[start + 1] == 0x82, "TLV at \(start) has no 2-byte length")
            let length = Int(result[start + 2]) << 8 | Int(result[start + 3]) + bytes.count
            result[start + 2] = UInt8(length >> 8)
            result[start + 3] = UInt8(length & 0xff)
        }
        result.insert(contentsOf: bytes, at: offset)
        return result
    }
}
