import Foundation
import Testing
import TestSupport
@testable import CryptoPrimitives

/// Inputs the libFuzzer harnesses found (testdata/fuzz/README.md), each fed to the fixed code.
@Suite struct FuzzRegressionTests {
    static func input(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: PackagePaths.testdata("fuzz/" + name)))
    }

    /// fuzz-sct: `04 02 00 00`, an OCTET STRING holding a zero-length list, was accepted as a list of no SCTs.
    @Test func emptySCTListIsRefused() throws {
        let input = try Self.input("sct/empty-sct-list")
        #expect(input == [0x04, 0x02, 0x00, 0x00])
        #expect(throws: CryptoError.self) { try SignedCertificateTimestamp.parseList(extensionValue: input) }
        do {
            _ = try SignedCertificateTimestamp.parseList(extensionValue: input)
        } catch let error as CryptoError {
            #expect(error.code == .sctInvalid)
            #expect(error.message.contains("empty"))
        }
    }
}
