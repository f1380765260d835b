import Foundation
import Testing
@testable import CryptoPrimitives

/// FIPS 180-2 example vectors ("abc" and the empty message).
let hashVectors: [(HashAlgorithm, String, String)] = [
    (.sha256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (.sha256, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (.sha384, "abc", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"),
    (.sha512, "abc", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
    (.sha256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
]

@Test(arguments: hashVectors)
func oneShotHashMatchesFIPSVector(algorithm: HashAlgorithm, message: String, expected: String) {
    let digest = algorithm.hash(Array(message.utf8))
    #expect(digest.count == algorithm.byteCount)
    #expect(digest.hexString == expected)
}

@Test(arguments: hashVectors)
func streamingHashMatchesVectorByteByByte(algorithm: HashAlgorithm, message: String, expected: String) {
    let hasher = StreamingHash(algorithm)
    for byte in message.utf8 { hasher.update([byte]) }
    #expect(hasher.finalize().hexString == expected)
    #expect(hasher.finalize().isEmpty, "second finalize returns nothing")
}

@Test func millionAsSHA256() {
    let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
    #expect(HashAlgorithm.sha256.hash(message).hexString
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
}

@Test(arguments: HashAlgorithm.allCases)
func hashFileStreamsAcrossChunkBoundaries(algorithm: HashAlgorithm) throws {
    // Larger than two read chunks and not a multiple of the chunk size.
    let size = 2 * HashAlgorithm.fileReadChunkSize + 12_345
    var bytes = [UInt8](repeating: 0, count: size)
    var state: UInt32 = 1
    for i in 0..<size { state = state &* 1_103_515_245 &+ 12_345; bytes[i] = UInt8(truncatingIfNeeded: state >> 16) }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("crypto-hashfile-\(UUID().uuidString)")
    try Data(bytes).write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    #expect(try algorithm.hashFile(atPath: url.path) == algorithm.hash(bytes))
}

@Test func hashFileOfFixtureMatchesKnownDigest() throws {
    // The artifact signed by bundle_v3_github.whl.sigstore; its digest is in the bundle.
    let digest = try HashAlgorithm.sha256.hashFile(atPath: Fixtures.path("sigstore/bundle_v3_github.whl"))
    #expect(digest.hexString == "c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201")
}

@Test(arguments: ["/nonexistent/file", "/"])
func hashFileOfUnreadablePathThrowsIOError(path: String) {
    #expect {
        _ = try HashAlgorithm.sha256.hashFile(atPath: path)
    } throws: { error in
        guard let error = error as? CryptoError else { return false }
        return error.code == .ioError && error.message.contains(path)
    }
}

@Test func hexRoundTrip() {
    let bytes: [UInt8] = [0x00, 0x01, 0x7f, 0x80, 0xab, 0xff]
    #expect(bytes.hexString == "00017f80abff")
    #expect(bytesFromHex("00017F80abff") == bytes)
    #expect(bytesFromHex("abc") == nil)
    #expect(bytesFromHex("zz") == nil)
}
