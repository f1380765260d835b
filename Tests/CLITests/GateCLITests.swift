import Foundation
import TestSupport
import Testing

/// `verify-image gate` end to end on the reference case in examples/maestro: the release as submitted fails on the
/// fake digest, the 12-hex pin and nginx:latest, each with location and fix; with the pins corrected it passes and
/// writes an evidence package that `gate verify-evidence` accepts, and that any one-byte change breaks.
@Suite("gate CLI")
struct GateCLITests {
    static let example = "examples/maestro"
    static let digest = "sha256:0489474da8ea22426ece86ace6c1c0026ab2fd3cdfbbd62b7e94650266c37d9a"

    static func gate(_ release: String, _ extra: [String] = []) async throws -> VerifyImageCLI.Run {
        try await VerifyImageCLI.run(["gate", "--policy", "\(example)/policy", "--layout", "\(example)/layout"] + extra
                               + ["\(example)/\(release)"])
    }

    static func temporaryFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("gate-evidence-\(UUID().uuidString)").path
    }

    @Test("the release as submitted fails on the fake digest, the 12-hex pin and nginx:latest, each located with its fix")
    func submittedReleaseFails() async throws {
        let run = try await Self.gate("release")
        #expect(run.status == 1, "\(run.out)\(run.err)")
        let out = run.out
        #expect(out.contains("✗ 192.168.64.2:5000/cosign-signed/key-1:latest@sha256:a1b2c3d4e5f67890123456789012345678901234567890123456789012345678 — placeholder-digest"), "\(out)")
        #expect(out.contains("used at examples/maestro/release/chart/values.yaml:2 image"), "\(out)")
        #expect(out.contains("— malformed-digest"))
        #expect(out.contains("used at examples/maestro/release/rollout.yaml:22 [Rollout/maestro-worker] spec.template.spec.containers[0].image"), "\(out)")
        #expect(out.contains("✗ nginx:latest — tag"))
        #expect(out.contains("used at examples/maestro/release/smoke-test-pod.yaml:11 [Pod/maestro-smoke-test] spec.containers[0].image"), "\(out)")
        #expect(out.contains("fix: pin it by digest: docker.io/library/nginx@sha256:"))
        #expect(out.components(separatedBy: "    fix: ").count == 4, "\(out)")
        #expect(out.contains("DECISION: FAIL"))
    }

    @Test("with the pins corrected the release passes: each image satisfies Gate 1 by the authority that signed it")
    func pinnedReleasePasses() async throws {
        let run = try await Self.gate("release-pinned")
        #expect(run.status == 0, "\(run.out)\(run.err)")
        #expect(run.out.contains("policy gate-1-signed-with-tlog (examples/maestro/policy/gate-1.yaml:3, enforce) matched by 192.168.64.2:5000/cosign-signed/**: pass by authority release-key"), "\(run.out)")
        #expect(run.out.contains("pass by authority release-keyless"), "\(run.out)")
        #expect(run.out.contains("identity mitr@redhat.com"))
        // The chart's image and the smoke test's are one image (same repository and digest), used twice.
        #expect(run.out.contains("used at examples/maestro/release-pinned/chart/values.yaml:2 image\n    used at examples/maestro/release-pinned/smoke-test-pod.yaml:11"), "\(run.out)")
        #expect(run.out.contains("2 images in 4 files, 1 policy: 2 pass, 0 fail, 0 indeterminate"))
        #expect(run.out.contains("DECISION: PASS"))
    }

    @Test("JSON (schemaVersion 1), JUnit (a test case per image × policy) and SARIF (locations) of the failing release")
    func machineOutputs() async throws {
        let json = try await Self.gate("release", ["--output", "json"])
        #expect(json.status == 1)
        let object = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any]
        #expect(object?["schemaVersion"] as? Int == 1)
        #expect(object?["decision"] as? String == "fail")
        #expect((object?["images"] as? [[String: Any]])?.count == 3)

        let junit = try await Self.gate("release-pinned", ["--output", "junit"])
        #expect(junit.status == 0)
        #expect(junit.out.hasPrefix("<?xml"))
        #expect(junit.out.contains("<testsuites name=\"verify-image gate\" tests=\"2\" failures=\"0\" errors=\"0\""), "\(junit.out)")
        #expect(junit.out.contains("× gate-1-signed-with-tlog"))

        let failingJUnit = try await Self.gate("release", ["--output", "junit"])
        #expect(failingJUnit.out.contains("<failure"))

        let sarif = try await Self.gate("release", ["--output", "sarif"])
        let document = try JSONSerialization.jsonObject(with: Data(sarif.out.utf8)) as? [String: Any]
        let results = ((document?["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]]) ?? []
        #expect(results.count == 3)
        let uris = results.compactMap { result -> String? in
            let location = (result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any]
            return (location?["artifactLocation"] as? [String: Any])?["uri"] as? String
        }
        #expect(uris.contains("examples/maestro/release/rollout.yaml"), "\(sarif.out)")
    }

    @Test("a policy that cannot be evaluated is refused at load, naming file, line and field (exit 64)")
    func unusablePolicyRefused() async throws {
        let run = try await VerifyImageCLI.run(["gate", "--policy", "testdata/policy-controller/valid/valid-policy.yaml",
                                          "--layout", "\(Self.example)/layout", "\(Self.example)/release-pinned"])
        #expect(run.status == 64)
        #expect(run.err.contains("testdata/policy-controller/valid/valid-policy.yaml:46: spec.authorities[2].attestations[0].policy"), "\(run.err)")
        #expect(run.err.contains("policy_language_unsupported"))
    }

    @Test("an unmatched image is denied by default, passes with --no-match allow")
    func noMatch() async throws {
        let other = Self.temporaryFolder()
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: other) }
        let policy = try String(contentsOfFile: VerifyImageCLI.packageRoot.appendingPathComponent("\(Self.example)/policy/gate-1.yaml").path, encoding: .utf8)
            .replacingOccurrences(of: "192.168.64.2:5000/cosign-signed/**", with: "ghcr.io/other/**")
        try policy.write(toFile: other + "/other.yaml", atomically: true, encoding: .utf8)
        let denied = try await VerifyImageCLI.run(["gate", "--policy", other, "--layout", "\(Self.example)/layout", "\(Self.example)/release-pinned"])
        #expect(denied.status == 1)
        #expect(denied.out.contains("no ClusterImagePolicy matches this image"))
        let allowed = try await VerifyImageCLI.run(["gate", "--policy", other, "--no-match", "allow", "--layout", "\(Self.example)/layout",
                                              "\(Self.example)/release-pinned"])
        #expect(allowed.status == 0, "\(allowed.out)")
    }

    @Test("evidence: written for the passing release, re-verified offline, and signed as a bundle verify-bundle accepts")
    func evidenceRoundTrip() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try await Self.gate("release-pinned", ["--evidence", folder, "--sign-evidence", "testdata/evidence/signing-key.pem"])
        #expect(run.status == 0, "\(run.out)\(run.err)")
        for file in ["decision.json", "scan.json", "trusted-root.json", "SUMMARY.md", "SHA256SUMS", "SHA256SUMS.sigstore.json",
                     "layout/index.json", "layout/oci-layout", "policies/01-gate-1.yaml"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/" + file), "\(file)")
        }
        let check = try await VerifyImageCLI.run(["gate", "verify-evidence", "--key", "testdata/evidence/signing-key.pub", folder])
        #expect(check.status == 0, "\(check.out)\(check.err)")
        #expect(check.out.contains("decision PASS reproduced"))
        #expect(check.out.contains("signature verified"))

        // The bundle is a Sigstore bundle over SHA256SUMS that the bundle verifier accepts with the key.
        let bundle = try await VerifyImageCLI.run(["verify-bundle", "--bundle", folder + "/SHA256SUMS.sigstore.json", "--insecure-ignore-tlog",
                                             "--key", "testdata/evidence/signing-key.pub", folder + "/SHA256SUMS"])
        #expect(bundle.status == 0, "\(bundle.out)\(bundle.err)")
        // Without --insecure-ignore-tlog an offline-signed bundle is refused (it has no log entry), as cosign does.
        let strict = try await VerifyImageCLI.run(["verify-bundle", "--bundle", folder + "/SHA256SUMS.sigstore.json",
                                             "--key", "testdata/evidence/signing-key.pub", folder + "/SHA256SUMS"])
        #expect(strict.status == 1)
        let wrongKey = try await VerifyImageCLI.run(["gate", "verify-evidence", "--key", "testdata/containers-image/cosign2.pub", folder])
        #expect(wrongKey.status == 1)

        // The package's layout is an ordinary OCI layout: `verify-image --layout` verifies from it.
        let direct = try await VerifyImageCLI.run(["--layout", folder + "/layout", "--key", "testdata/containers-image/cosign2.pub",
                                             "192.168.64.2:5000/cosign-signed/key-1@" + Self.digest])
        #expect(direct.status == 0, "\(direct.out)\(direct.err)")
    }

    /// cosign on PATH, for the interoperability test.
    static let cosign = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":")
        .map { $0 + "/cosign" }.first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test("cosign verify-blob accepts the evidence signature",
          .enabled(if: GateCLITests.cosign != nil, "cosign is not on PATH (install cosign 2.5 to run this interoperability test)"))
    func cosignAcceptsEvidenceSignature() async throws {
        guard let cosign = Self.cosign else { return }
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = try await Self.gate("release-pinned", ["--evidence", folder, "--sign-evidence", "testdata/evidence/signing-key.pem"])
        // Offline: the trusted root is given (cosign would otherwise fetch it through TUF); no log entry exists.
        func cosignVerifyBlob(_ artifact: String) async throws -> Int32 {
            try await offThePool {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: cosign)
                process.arguments = ["verify-blob", "--bundle", folder + "/SHA256SUMS.sigstore.json", "--key", "testdata/evidence/signing-key.pub",
                                     "--insecure-ignore-tlog=true", "--new-bundle-format", "--trusted-root",
                                     "keys/sigstore-production-trusted_root.json", artifact]
                process.currentDirectoryURL = VerifyImageCLI.packageRoot
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                process.waitUntilExit()
                return process.terminationStatus
            }
        }
        #expect(try await cosignVerifyBlob(folder + "/SHA256SUMS") == 0)
        #expect(try await cosignVerifyBlob(folder + "/decision.json") != 0)  // the bundle signs the checksum list, nothing else
    }

    @Test("evidence tampering: one changed byte in any file, a missing file or an added file is caught and named")
    func evidenceTampering() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try await Self.gate("release-pinned", ["--evidence", folder, "--sign-evidence", "testdata/evidence/signing-key.pem"])
        #expect(run.status == 0)
        let files = (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []).filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }.sorted()
        #expect(files.count >= 14)
        for file in files {
            let path = folder + "/" + file
            let original = try Data(contentsOf: URL(fileURLWithPath: path))
            var changed = original
            let offset = changed.count / 2
            changed[offset] ^= 0x01
            try changed.write(to: URL(fileURLWithPath: path))
            let check = try await VerifyImageCLI.run(["gate", "verify-evidence", "--key", "testdata/evidence/signing-key.pub", folder])
            #expect(check.status == 1, "flipping a bit of \(file) was not caught")
            #expect(check.out.contains(file), "\(file): \(check.out)")
            try original.write(to: URL(fileURLWithPath: path))
        }
        // Missing and added files.
        let decision = folder + "/decision.json"
        let saved = try Data(contentsOf: URL(fileURLWithPath: decision))
        try FileManager.default.removeItem(atPath: decision)
        let missing = try await VerifyImageCLI.run(["gate", "verify-evidence", folder])
        #expect(missing.status == 1)
        #expect(missing.out.contains("decision.json is missing"), "\(missing.out)")
        try saved.write(to: URL(fileURLWithPath: decision))
        try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/layout/blobs/sha256/extra"))
        let added = try await VerifyImageCLI.run(["gate", "verify-evidence", folder])
        #expect(added.status == 1)
        #expect(added.out.contains("layout/blobs/sha256/extra was added"), "\(added.out)")
        try FileManager.default.removeItem(atPath: folder + "/layout/blobs/sha256/extra")
        let intact = try await VerifyImageCLI.run(["gate", "verify-evidence", folder])
        #expect(intact.status == 0, "\(intact.out)")
    }

    @Test("evidence as FILE.tar.gz: written, accepted, and one flipped byte of the archive rejected")
    func evidenceArchive() async throws {
        let archive = Self.temporaryFolder() + ".tar.gz"
        defer { try? FileManager.default.removeItem(atPath: archive) }
        let run = try await Self.gate("release-pinned", ["--evidence", archive])
        #expect(run.status == 0, "\(run.out)\(run.err)")
        let check = try await VerifyImageCLI.run(["gate", "verify-evidence", archive])
        #expect(check.status == 0, "\(check.out)\(check.err)")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: archive))
        let tampered = try await VerifyImageCLI.run(["gate", "verify-evidence", archive])
        #expect(tampered.status == 1, "\(tampered.out)")
    }

    @Test("verify-image --version prints the version")
    func version() async throws {
        let run = try await VerifyImageCLI.run(["--version"])
        #expect(run.status == 0)
        #expect(run.out.hasPrefix("verify-image 0."), "\(run.out)")
    }
}
