import Foundation
import Testing
import ImageGate

/// The library example in README.md, verbatim (keep the two in step): a deploy pipeline verifying an image from an
/// OCI layout with a public key.
func readmeExample() async throws -> Verdict {
    let key = try PublicKey(pem: String(contentsOfFile: "keys/fixture-signer.pub", encoding: .utf8))
    let policy = try VerificationPolicy(trust: .init(), signers: .keys([key]), insecureIgnoreTransparencyLog: true)
    let verifier = try ImageVerifier(source: try OCILayoutSource(path: "testdata/images/layouts/app-v1"), policy: policy)
    let verdict = await verifier.verify(
        ["127.0.0.1:5077/demo/app-v1@sha256:87c3f0200da9d05c2077d2b0d29e61dc3239974f1d826cc51c3bc43ae3e414a9"], at: Date())
    if verdict.decision != .pass {
        print(verdict.renderText())             // says which check failed, with the reason code and the fix
    }
    return verdict
}

@Test func theREADMELibraryExamplePasses() async throws {
    let previous = FileManager.default.currentDirectoryPath
    FileManager.default.changeCurrentDirectoryPath(packageRoot.path)
    defer { FileManager.default.changeCurrentDirectoryPath(previous) }
    let verdict = try await readmeExample()
    #expect(verdict.decision == .pass)
    #expect(verdict.exitStatus == .pass)
}
