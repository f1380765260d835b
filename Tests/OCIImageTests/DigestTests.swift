import Foundation
import Testing
@testable import OCIImage

struct ReferrersTagVector: Sendable, Decodable, CustomTestStringConvertible {
    let digest: String
    let referrers_tag: String
    var testDescription: String { String(digest.prefix(40)) }

    static func loadAll() -> [ReferrersTagVector] {
        struct File: Decodable { let vectors: [ReferrersTagVector] }
        guard let data = try? Fixtures.data("oci/referrers_tag_vectors.json"),
              let file = try? JSONDecoder().decode(File.self, from: data) else { return [] }
        return file.vectors
    }
}

@Suite struct DigestTests {
    static let referrersVectors = ReferrersTagVector.loadAll()

    @Test func referrersVectorsLoaded() { #expect(Self.referrersVectors.count == 3) }

    @Test(arguments: referrersVectors)
    func referrersTag(_ v: ReferrersTagVector) throws {
        #expect(try Digest(validating: v.digest).referrersTag == v.referrers_tag)
    }

    static let sha256Empty = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    @Test func validDigests() throws {
        let d = try Digest(validating: Self.sha256Empty)
        #expect(d.algorithm == "sha256")
        #expect(d.encoded == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(d.knownAlgorithm == .sha256)
        #expect(d.isVerifiable && d.isRecognized)
        #expect(d.cosignTag(suffix: "sig") == "sha256-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.sig")
        let d512 = try Digest(validating: "sha512:" + String(repeating: "ab", count: 64))
        #expect(d512.knownAlgorithm == .sha512 && d512.isVerifiable)
        let d384 = try Digest(validating: "sha384:" + String(repeating: "0f", count: 48))
        #expect(d384.knownAlgorithm == .sha384 && d384.isVerifiable)
    }

    @Test func unrecognizedAlgorithmAcceptedButNotVerifiable() throws {
        let d = try Digest(validating: "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564")
        #expect(!d.isRecognized && !d.isVerifiable)
        #expect(throws: ReferenceError.self) {
            try Digest(validating: "blake3:" + String(repeating: "a", count: 64), allowUnrecognizedAlgorithms: false)
        }
    }

    static let invalid: [(String, ReferenceError.Code)] = [
        ("sha256", .checksumInvalidFormat),
        ("sha256:", .checksumInvalidFormat),
        (":abc", .checksumInvalidFormat),
        ("sha256:abc", .checksumInvalidLength),
        ("sha256:" + String(repeating: "A", count: 64), .checksumInvalidFormat),
        ("sha256:" + String(repeating: "g", count: 64), .checksumInvalidFormat),
        ("sha512:" + String(repeating: "a", count: 64), .checksumInvalidLength),
        ("SHA256:" + String(repeating: "a", count: 64), .checksumInvalidFormat),
        ("sha256::" + String(repeating: "a", count: 63), .checksumInvalidFormat),
        ("sha256:../../../../etc/passwd", .checksumInvalidLength),
        ("foo:../../etc", .checksumInvalidFormat),
        ("foo/bar:abc", .checksumInvalidFormat),
        ("a..b:abc", .checksumInvalidFormat),
    ]

    @Test(arguments: invalid)
    func invalidDigests(_ input: String, _ code: ReferenceError.Code) {
        #expect {
            try Digest(validating: input)
        } throws: { error in
            guard let e = error as? ReferenceError else { return false }
            return e.code == code && e.subject == .digest
        }
    }

    @Test func fromHashBytes() throws {
        let d = try Digest(algorithm: .sha256, hash: [UInt8](repeating: 0xAB, count: 32))
        #expect(d.string == "sha256:" + String(repeating: "ab", count: 32))
        #expect(d.isVerifiable)
        #expect(throws: ReferenceError.self) { try Digest(algorithm: .sha512, hash: [1, 2, 3]) }
    }

    @Test func codableValidates() throws {
        let ok = try JSONDecoder().decode([Digest].self, from: Data("[\"\(Self.sha256Empty)\"]".utf8))
        #expect(ok.first?.string == Self.sha256Empty)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Digest].self, from: Data("[\"sha256:ABC\"]".utf8)) }
        let encoded = try JSONEncoder().encode(ok)
        #expect(String(decoding: encoded, as: UTF8.self) == "[\"\(Self.sha256Empty)\"]")
    }
}
