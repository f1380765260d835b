import Foundation
import TestSupport
import Testing

/// `verify-image [verify]` end to end, on the signed-image fixtures (testdata/images/README.md).
@Suite("verify-image verify (end to end)")
struct VerifyCLITests {
    static let digests: [String: String] = {
        let url = VerifyImageCLI.packageRoot.appendingPathComponent("testdata/images/EXPECTED.cosign.txt")
        var digests: [String: String] = [:]
        for line in ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let digest = fields[1].split(separator: "@").last { digests[String(fields[0])] = String(digest) }
        }
        return digests
    }()

    static func image(_ name: String) -> String { "127.0.0.1:5077/demo/\(name)@\(digests[name] ?? "missing")" }

    static func verify(_ layout: String, _ extra: [String] = []) async throws -> VerifyImageCLI.Run {
        try await VerifyImageCLI.run(["--layout", "testdata/images/layouts/\(layout)", "--key", "keys/fixture-signer.pub",
                                "--insecure-ignore-tlog"] + extra + [image(layout)])
    }

    @Test func theREADMEExamplePasses() async throws {
        let run = try await VerifyImageCLI.run(["verify", "--layout", "testdata/images/layouts/app-v1", "--key",
                                          "keys/fixture-signer.pub", "--insecure-ignore-tlog", Self.image("app-v1")])
        #expect(run.status == 0, "\(run.out)\(run.err)")
        #expect(run.out.hasPrefix("Verification for \(Self.image("app-v1")) --\n"))
        #expect(run.out.contains("The signature was verified against the specified public key"))
        #expect(run.out.contains("The cosign claims were validated"))
    }

    @Test(arguments: [("app-v1", Int32(0)), ("app-v2", 0), ("oci11", 0), ("multi", 0),
                      ("unsigned", 1), ("other", 1), ("replay", 1)])
    func exitStatusFollowsTheVerdict(_ layout: String, _ status: Int32) async throws {
        let run = try await Self.verify(layout)
        #expect(run.status == status, "\(run.out)\(run.err)")
    }

    @Test func jsonFollowsTheContract() async throws {
        let run = try await Self.verify("replay", ["--output", "json"])
        #expect(run.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any])
        #expect(object["schemaVersion"] as? Int == 1)
        #expect(object["decision"] as? String == "fail")
        let subject = try #require((object["subjects"] as? [[String: Any]])?.first)
        #expect(subject["reference"] as? String == Self.image("replay"))
        #expect(subject["digest"] as? String == Self.digests["replay"])
        #expect(subject["reasons"] as? [String] == ["no_matching_signature"])
        let signature = try #require((subject["signatures"] as? [[String: Any]])?.first)
        let failed = (signature["checks"] as? [[String: Any]] ?? []).filter { $0["passed"] as? Bool == false }
        #expect(failed.first?["reason"] as? String == "payload_digest_mismatch")
    }

    @Test func severalImagesCombineFailClosed() async throws {
        let run = try await VerifyImageCLI.run(["--layout", "testdata/images/layouts/app-v1", "--key", "keys/fixture-signer.pub",
                                          "--insecure-ignore-tlog", "--output", "json", Self.image("app-v1"),
                                          "127.0.0.1:5077/demo/app-v1@sha256:" + String(repeating: "0", count: 64)])
        #expect(run.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any])
        let subjects = try #require(object["subjects"] as? [[String: Any]])
        #expect(subjects.map { $0["decision"] as? String } == ["pass", "fail"])
        #expect((subjects[1]["reasons"] as? [String])?.first == "image_not_found")
    }

    @Test func attestationsAndAnnotations() async throws {
        #expect(try await Self.verify("app-v1", ["--attestations", "--type", "slsaprovenance"]).status == 0)
        #expect(try await Self.verify("app-v1", ["--attestations", "--type", "spdx"]).status == 1)
        #expect(try await Self.verify("bundled", ["--attestations", "--type", "slsaprovenance"]).status == 0)
        #expect(try await Self.verify("app-v1", ["-a", "env=prod"]).status == 0)
        let wrong = try await Self.verify("app-v1", ["-a", "env=dev"])
        #expect(wrong.status == 1)
        #expect(wrong.out.contains("annotation_mismatch"))
    }

    @Test func aPrivateCAVerifiesByIdentity() async throws {
        let base = ["--layout", "testdata/images/layouts/pki", "--certificate-chain", "testdata/images/keys/pki-chain.pem",
                    "--insecure-ignore-tlog", "--insecure-ignore-sct"]
        let good = try await VerifyImageCLI.run(base + ["--certificate-identity", "release@example.com", Self.image("pki")])
        #expect(good.status == 0, "\(good.out)\(good.err)")
        #expect(good.out.contains("identity release@example.com"))
        let wrong = try await VerifyImageCLI.run(base + ["--certificate-identity", "mallory@example.com", Self.image("pki")])
        #expect(wrong.status == 1)
        #expect(wrong.out.contains("identity_mismatch"))
    }

    @Test func platformSelectsAChildOfTheIndex() async throws {
        let run = try await Self.verify("multi", ["--platform", "linux/arm64"])
        #expect(run.status == 1)
        #expect(run.out.contains("is signed, but the platform manifest"))
    }

    @Test func aTagFailsTheGateButIsResolved() async throws {
        let base = ["--layout", "testdata/images/layouts/oci11", "--key", "keys/fixture-signer.pub", "--insecure-ignore-tlog"]
        let run = try await VerifyImageCLI.run(base + ["127.0.0.1:5077/demo/oci11:latest"])
        #expect(run.status == 1)
        #expect(run.out.contains("not_digest_pinned"))
        #expect(run.out.contains(Self.digests["oci11"] ?? "missing"))
        #expect(try await VerifyImageCLI.run(base + ["--allow-tags", "127.0.0.1:5077/demo/oci11:latest"]).status == 0)
    }

    @Test(arguments: [
        ["--layout", "testdata/images/layouts/app-v1", "127.0.0.1:5077/demo/app-v1:latest"],          // no signer
        ["--layout", "testdata/images/layouts/app-v1", "--key", "missing.pub", "x@sha256:" + String(repeating: "0", count: 64)],
        ["--layout", "testdata/images/layouts/app-v1", "--key", "README.md", "x@sha256:" + String(repeating: "0", count: 64)],
        ["--layout", "/nonexistent", "--key", "keys/fixture-signer.pub", "x@sha256:" + String(repeating: "0", count: 64)],
        ["--layout", "testdata/images/layouts/app-v1", "--key", "keys/fixture-signer.pub"],                  // no image
        ["--layout", "testdata/images/layouts/app-v1", "--key", "keys/fixture-signer.pub", "--type", "spdx", "x@sha256:00"],
        ["--layout", "testdata/images/layouts/app-v1", "--key", "keys/fixture-signer.pub", "--platform", "nope", "x@sha256:00"],
    ])
    func unusableArgumentsExit64WithOneLine(_ arguments: [String]) async throws {
        let run = try await VerifyImageCLI.run(arguments)
        #expect(run.status == 64, "\(arguments): \(run.out)\(run.err)")
        #expect(run.err.hasPrefix("Error: "), "\(run.err)")
        #expect(!run.err.contains("Fatal error"))
    }

    @Test func anInvalidReferenceFailsWithItsReason() async throws {
        let run = try await VerifyImageCLI.run(["--layout", "testdata/images/layouts/app-v1", "--key", "keys/fixture-signer.pub",
                                          "--insecure-ignore-tlog", "Not/Valid@@"])
        #expect(run.status == 1)
        #expect(run.out.contains("invalid_reference"))
    }

    @Test func scanVerifyJoinsSignatureVerdictsToPinnedImages() async throws {
        let base = ["scan", "--verify", "--layout", "testdata/images/layouts/app-v1", "--key", "keys/fixture-signer.pub",
                    "--insecure-ignore-tlog", "testdata/scan/verify/deployment.yaml"]
        let run = try await VerifyImageCLI.run(base)
        #expect(run.status == 1)
        #expect(run.out.contains("signatures: 2 verified, 1 failed, 0 indeterminate"), "\(run.out)")
        let json = try await VerifyImageCLI.run(base + ["--output", "json", "--fail-on", "none"])
        #expect(json.status == 1)   // the tag no longer fails, the unverifiable pinned image still does
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        let summary = try #require(object["summary"] as? [String: Any])
        #expect(summary["verification"] as? [String: Int] == ["pass": 2, "fail": 1, "indeterminate": 0])
        // Without a signer, --verify is a usage error.
        #expect(try await VerifyImageCLI.run(["scan", "--verify", "testdata/scan/verify/deployment.yaml"]).status == 64)
    }
}
