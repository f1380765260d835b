import Foundation
import TestSupport
import Testing

/// Runs the built `verify-image` (TestSupport's VerifyImageCLI).
private func runVerifyImage(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
    let run = try await VerifyImageCLI.run(arguments)
    return (run.status, run.out, run.err)
}

private let pinnedHex = "e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"

@Suite("verify-image reference (end to end)")
struct ReferenceCLITests {
    @Test func textOutputForValidReferences() async throws {
        let r = try await runVerifyImage(["reference", "ubuntu", "ghcr.io/org/app:v1@sha256:\(pinnedHex)", "localhost:5000/x"])
        #expect(r.status == 0)
        #expect(r.stdout == """
            ubuntu => docker.io/library/ubuntu:latest  (not pinned by digest)
            ghcr.io/org/app:v1@sha256:\(pinnedHex) => ghcr.io/org/app@sha256:\(pinnedHex)
            localhost:5000/x => localhost:5000/x:latest  (not pinned by digest)

            """)
    }

    @Test func invalidReferencesExit64WithOneLineEach() async throws {
        let r = try await runVerifyImage(["reference", "busybox", "Uppercase:tag", "repo@sha256:abc0123456789abcdef0123456789abcdef",
                                    "docker/Docker"])
        #expect(r.status == 64)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 5)  // four results and the final newline
        #expect(lines[0] == "busybox => docker.io/library/busybox:latest  (not pinned by digest)")
        #expect(lines[1] == "error: invalid reference \"Uppercase:tag\": invalid reference format: repository name (library/Uppercase) must be lowercase")
        #expect(lines[2] == "error: invalid reference \"repo@sha256:abc0123456789abcdef0123456789abcdef\": invalid checksum digest length")
        #expect(lines[3] == "error: invalid reference \"docker/Docker\": invalid reference format: repository name (docker/Docker) must be lowercase")
        #expect(!r.stderr.contains("Fatal") && !r.stderr.contains("Stack"))
    }

    @Test func jsonOutput() async throws {
        let r = try await runVerifyImage(["reference", "--output", "json", "--", "redis:7", "library/redis@sha256:\(pinnedHex)", "-bad"])
        #expect(r.status == 64)
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(doc?["schemaVersion"] as? Int == 1)
        let refs = doc?["references"] as? [[String: Any]] ?? []
        #expect(refs.count == 3)
        guard refs.count == 3 else { return }
        #expect(refs[0]["input"] as? String == "redis:7")
        #expect(refs[0]["valid"] as? Bool == true)
        #expect(refs[0]["error"] is NSNull)
        #expect(refs[0]["name"] as? String == "docker.io/library/redis")
        #expect(refs[0]["familiar"] as? String == "redis:7")
        #expect(refs[0]["domain"] as? String == "docker.io")
        #expect(refs[0]["path"] as? String == "library/redis")
        #expect(refs[0]["tag"] as? String == "7")
        #expect(refs[0]["digest"] is NSNull)
        #expect(refs[0]["canonical"] as? String == "docker.io/library/redis:7")
        #expect(refs[1]["digest"] as? String == "sha256:\(pinnedHex)")
        #expect(refs[1]["canonical"] as? String == "docker.io/library/redis@sha256:\(pinnedHex)")
        #expect(refs[1]["familiar"] as? String == "redis@sha256:\(pinnedHex)")
        #expect(refs[2]["valid"] as? Bool == false)
        #expect(refs[2]["errorCode"] as? String == "invalid_reference_format")
        #expect(refs[2]["error"] as? String == "invalid reference \"-bad\": invalid reference format")
        #expect(refs[2]["name"] is NSNull)
    }

    @Test func noArgumentsIsUsageError() async throws {
        let r = try await runVerifyImage(["reference"])
        #expect(r.status == 64)
    }
}
