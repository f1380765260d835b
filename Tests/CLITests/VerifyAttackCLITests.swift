import Foundation
import TestSupport
import Testing

/// Issue 9's flag findings, end to end: flags that cannot apply are usage errors (exit 64), never silent no-ops.
@Suite("verify-image verify: flags that cannot apply")
struct VerifyAttackCLITests {
    static func verify(_ layout: String, _ extra: [String]) async throws -> VerifyImageCLI.Run {
        try await VerifyCLITests.verify(layout, extra)
    }

    /// `-a` with `--attestations` was silently ignored: an attestation passed whatever `-a` demanded.
    @Test func annotationsWithAttestationsAreAUsageErrorNotIgnored() async throws {
        let run = try await Self.verify("app-v1", ["--attestations", "-a", "env=staging"])
        #expect(run.status == 64, "\(run.out)\(run.err)")
        #expect(run.err.contains("-a"))
    }

    /// `-a env=prod -a env=dev` kept one of the two values silently.
    @Test func aRepeatedAnnotationKeyWithTwoValuesIsAUsageError() async throws {
        let run = try await Self.verify("app-v1", ["-a", "env=prod", "-a", "env=dev"])
        #expect(run.status == 64, "\(run.out)\(run.err)")
        #expect(run.err.contains("env"))
        #expect(try await Self.verify("app-v1", ["-a", "env=prod", "-a", "env=prod"]).status == 0)
    }

    /// `--platform` on a single-platform manifest was silently ignored; it is now stated.
    @Test func platformOnASinglePlatformImageIsStatedNotIgnored() async throws {
        let run = try await Self.verify("app-v1", ["--platform", "linux/arm64"])
        #expect(run.status == 0, "\(run.out)\(run.err)")
        #expect(run.out.contains("--platform linux/arm64 does not apply"), "\(run.out)")
    }

    /// Verifying an index means its own signature; `--every-platform` demands every child's, and the fixture's
    /// children are unsigned (only the index is signed).
    @Test func everyPlatformDemandsEveryChildsOwnSignature() async throws {
        #expect(try await Self.verify("multi", []).status == 0)
        let run = try await Self.verify("multi", ["--every-platform"])
        #expect(run.status == 1, "\(run.out)\(run.err)")
        #expect(run.out.contains("has no passing signature"), "\(run.out)")
        #expect(try await Self.verify("multi", ["--every-platform", "--platform", "linux/amd64"]).status == 64)
    }
}
