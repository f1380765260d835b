import CryptoPrimitives
import Foundation
import GateVerdict
import RegistryAccess
import TestSupport
import Testing
@testable import ImageGate

/// A reference pinned by a digest the gate can never verify must fail (exit 1) with a reason that says so, never end
/// as "could not decide" (`internal_error` / `registry_error`, exit 2).
@Suite struct UnverifiablePinTests {
    /// A copy of the app-v1 layout in which the image manifest is also stored under its sha512 digest (an OCI layout
    /// may address content by sha512), and that digest.
    static func sha512Layout() throws -> (root: URL, digest: String, cleanup: @Sendable () -> Void) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sha512-pin-\(UUID().uuidString)")
        let layout = root.appendingPathComponent("app-v1")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: imagesDir.appendingPathComponent("layouts/app-v1"), to: layout)
        if let walker = FileManager.default.enumerator(atPath: layout.path) {
            for case let relative as String in walker {
                try? FileManager.default.setAttributes([.posixPermissions: 0o755],
                                                       ofItemAtPath: layout.appendingPathComponent(relative).path)
            }
        }
        let sha256 = try #require(fixtureDigests["app-v1"])
        let manifest = try Data(contentsOf: layout.appendingPathComponent("blobs/sha256/" + sha256.dropFirst("sha256:".count)))
        let hex = HashAlgorithm.sha512.hash(manifest).hexString
        let blobs = layout.appendingPathComponent("blobs/sha512")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        try manifest.write(to: blobs.appendingPathComponent(hex))
        let indexURL = layout.appendingPathComponent("index.json")
        var index = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: indexURL)) as? [String: Any])
        var manifests = index["manifests"] as? [[String: Any]] ?? []
        let original = try #require(manifests.first { $0["digest"] as? String == sha256 })
        var copy = original
        copy["digest"] = "sha512:" + hex
        copy["annotations"] = nil
        manifests.append(copy)
        index["manifests"] = manifests
        try JSONSerialization.data(withJSONObject: index).write(to: indexURL)
        let path = root.path
        return (root, "sha512:" + hex, { try? FileManager.default.removeItem(atPath: path) })
    }

    @Test func anImagePinnedBySha512FailsForWantOfSignaturesInsteadOfAnInternalError() async throws {
        let (root, digest, cleanup) = try Self.sha512Layout()
        defer { cleanup() }
        let verdict = try await verify(layout: "app-v1", policy: try keyPolicy(), layoutRoot: root,
                                       reference: "127.0.0.1:5077/demo/app-v1@\(digest)")
        #expect(verdict.decision == .fail, "\(verdict.renderText())")
        #expect(verdict.reasons == [.noSignaturesFound], "\(verdict.renderText())")
        #expect(!verdict.reasons.contains(.internalError))
        #expect(verdict.messages.contains { $0.contains("no legacy tag") && $0.contains("referrer") }, "\(verdict.messages)")
    }

    @Test func theCLIExitsOneForAnImagePinnedBySha512() async throws {
        let (root, digest, cleanup) = try Self.sha512Layout()
        defer { cleanup() }
        let run = try await VerifyImageCLI.run(["verify", "--layout", root.appendingPathComponent("app-v1").path,
                                          "--key", imagesDir.appendingPathComponent("keys/signer.pub").path,
                                          "--insecure-ignore-tlog", "--output", "json",
                                          "127.0.0.1:5077/demo/app-v1@\(digest)"])
        #expect(run.status == 1, "exit \(run.status)\n\(run.out)\(run.err)")
        #expect(run.out.contains("no_signatures_found") && !run.out.contains("internal_error"), "\(run.out)")
    }

    @Test(arguments: ["blake3:" + String(repeating: "ab", count: 32), "sha1:" + String(repeating: "0", count: 40)])
    func anUnsupportedDigestAlgorithmFailsAsAnInvalidReference(_ digest: String) async throws {
        let verdict = try await verify(layout: "app-v1", policy: try keyPolicy(),
                                       reference: "127.0.0.1:5077/demo/app-v1@\(digest)")
        #expect(verdict.decision == .fail, "\(verdict.renderText())")
        #expect(verdict.reasons == [.invalidReference], "\(verdict.renderText())")
        let algorithm = String(digest.prefix { $0 != ":" })
        #expect(verdict.checks.contains { $0.reason == .invalidReference && $0.detail.contains(algorithm) },
                "\(verdict.renderText())")
    }
}
