import Foundation
import TestSupport
import Testing

/// End-to-end tests of `verify-image digest`, running the built binary.
struct DigestCommandTests {
    static func run(_ arguments: [String], stdin: Data? = nil) async throws -> (status: Int32, out: String, err: String) {
        let run = try await VerifyImageCLI.run(arguments, stdin: stdin)
        return (run.status, run.out, run.err)
    }

    static let whl = PackagePaths.testdata("crypto/sigstore/bundle_v3_github.whl").path

    @Test func digestOfFilePrintsOCIStyleLine() async throws {
        let result = try await Self.run(["digest", Self.whl])
        #expect(result.status == 0)
        #expect(result.out == "sha256:c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201  \(Self.whl)\n")
    }

    @Test(arguments: [
        ("sha256", "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  -\n"),
        ("sha512", "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f  -\n"),
    ])
    func digestOfStdin(algorithm: String, expected: String) async throws {
        let result = try await Self.run(["digest", "--algorithm", algorithm, "-"], stdin: Data("abc".utf8))
        #expect(result.status == 0)
        #expect(result.out == expected)
    }

    @Test func missingFileNamesItAndExits64() async throws {
        let result = try await Self.run(["digest", Self.whl, "/nonexistent/missing.bin"])
        #expect(result.status == 64)
        #expect(result.out.hasPrefix("sha256:c4e92e9e"), "the readable file is still hashed")
        #expect(result.err.contains("/nonexistent/missing.bin"))
        #expect(result.err.split(separator: "\n").count == 1)
    }

    @Test func noFileIsUsageError() async throws {
        let result = try await Self.run(["digest"])
        #expect(result.status == 64)
        #expect(result.err.contains("<files>"))
    }

    @Test func unknownAlgorithmIsUsageError() async throws {
        let result = try await Self.run(["digest", "--algorithm", "md5", Self.whl])
        #expect(result.status == 64)
    }
}
