import ArgumentParser
import Foundation
import ImageGate

/// `verify-image verify-bundle`: verifies a Sigstore bundle for an artifact (file or `sha256:` digest), offline,
/// speaking exactly the sigstore-conformance CLI protocol.
struct VerifyBundleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-bundle",
        abstract: "Verify a Sigstore bundle (v0.1–v0.3) for an artifact, offline.",
        discussion: """
            FILE_OR_DIGEST is the artifact path, or sha256:<64 hex> when that is not an existing path. For DSSE \
            bundles the artifact must be a subject of the in-toto statement. Exit status: 0 pass, 1 fail, \
            64 usage. The production Sigstore trusted root is built in; --staging selects staging.
            """
    )

    @Flag(help: "Use the Sigstore staging trusted root instead of production.")
    var staging = false

    @Option(help: "The Sigstore bundle to verify.")
    var bundle: String

    @OptionGroup var certificate: CertificateIdentityOptions

    @Option(help: "PEM public key for key-signed bundles (instead of a certificate identity).")
    var key: String?

    @Option(name: .customLong("trusted-root"), help: "A Sigstore trusted_root.json to use instead of the built-in root.")
    var trustedRoot: String?

    @Option(name: .customLong("tlog-checkpoint-name"),
            help: "URL=NAME: the name a transparency log of the trusted root (by base URL) signs its checkpoints as, where it is not the URL's host; repeatable.")
    var checkpointNames: [String] = []

    @Flag(name: .customLong("insecure-ignore-tlog"),
          help: "With --key: accept a bundle with neither a transparency-log entry nor a timestamp (one signed offline, e.g. an evidence package's), checking it at the current time — as cosign verify-blob --insecure-ignore-tlog.")
    var insecureIgnoreTlog = false

    @Option(help: "Output format: text or json.")
    var output: String = "text"

    @Argument(help: "The artifact file, or its digest as sha256:<hex>.")
    var fileOrDigest: String

    func validate() throws {
        guard output == "text" || output == "json" else {
            throw ValidationError("--output must be text or json")
        }
        try usage { try policyOptions.validate() }
        guard FileManager.default.isReadableFile(atPath: bundle) else {
            throw ValidationError("--bundle \(bundle): no such readable file; give the path of a Sigstore bundle (*.sigstore.json)")
        }
        if insecureIgnoreTlog && key == nil {
            throw ValidationError("--insecure-ignore-tlog applies to key-signed bundles only (with --key)")
        }
    }

    /// The policy the flags state, as plain values (the rules live in ImageGate's `PolicyOptions`).
    var policyOptions: PolicyOptions {
        var options = PolicyOptions(purpose: .artifact)
        certificate.fill(&options)
        options.keyFiles = key.map { [$0] } ?? []
        options.trustedRootFile = trustedRoot
        options.stagingTrustedRoot = staging
        options.checkpointNames = checkpointNames
        return options
    }

    func run() async throws {
        let json = output == "json"
        var subject = SubjectVerdict(reference: fileOrDigest, decision: .fail)
        var report = SignatureReport(kind: "bundle", source: "bundle file \(bundle)")
        do {
            let artifact = try loadArtifact()
            if case .digests(let digests) = artifact, let sha256 = digests[.sha256] {
                subject.digest = "sha256:\(sha256.hexString)"
            } else if case .bytes(let data) = artifact {
                subject.digest = "sha256:\(HashAlgorithm.sha256.hash(data).hexString)"
            }
            let (policy, notice) = try await policyOptions.makePolicy(trustStore: .forVerification())
            if let notice { FileHandle.standardError.write(Data("verify-image: note: \(notice)\n".utf8)) }
            let parsed = try SigstoreBundle(contentsOfFile: bundle)
            report = EvidenceVerifier(policy: policy).report(kind: "bundle", source: report.source, artifact: artifact,
                                                              currentTime: insecureIgnoreTlog ? Date() : nil) {
                SignedEvidence(bundle: parsed)
            }
            subject.messages = report.notes ?? []
            if let failed = report.checks.last(where: { !$0.passed }) {
                subject.reasons = report.failureReasons
                subject.messages = [failed.detail]
            } else {
                subject.decision = .pass
            }
        } catch let error as ImageGateError where error.code == .trustedRootExpired {
            report.checks.append(Check.failed(.trustedRoot, .trustedRootExpired, error.message))
            subject.reasons = [.trustedRootExpired]
            subject.messages = [error.message]
            subject.decision = .indeterminate
        } catch let error as SignatureVerificationError {
            report.checks.append(Check.failed(error.check, error.reasonCode, error.message))
            subject.reasons = [error.reasonCode]
            subject.messages = [error.message]
            subject.decision = .fail
            if error.code == .inputUnreadable || error.code == .policyInvalid {
                emit(subject: subject, report: report, json: json)
                throw ExitCode(ExitStatus.usage.rawValue)
            }
        }
        emit(subject: subject, report: report, json: json)
        let status = ExitStatus(subject.decision)
        if status != .pass { throw ExitCode(status.rawValue) }
    }

    private func emit(subject: SubjectVerdict, report: SignatureReport, json: Bool) {
        var subject = subject
        subject.signatures = [report]
        let verdict = Verdict(subjects: [subject])
        if json {
            let text = (try? ContractJSON.encode(verdict)) ?? "{\"schemaVersion\":1,\"decision\":\"\(verdict.decision.rawValue)\"}"
            print(text)
        } else {
            print(verdict.renderText(), terminator: "")
        }
    }

    /// FILE_OR_DIGEST: a digest only when it is `sha256:` + 64 hex characters (or `sha384:`/`sha512:` with the right
    /// length, an extension of the protocol) and not an existing path; otherwise a file path.
    private func loadArtifact() throws -> Artifact {
        if !FileManager.default.fileExists(atPath: fileOrDigest), let (algorithm, value) = Artifact.parseDigest(fileOrDigest) {
            return .digest(algorithm, value)
        }
        guard let handle = FileHandle(forReadingAtPath: fileOrDigest) else {
            throw SignatureVerificationError(.inputUnreadable, check: .artifactRead,
                                             "cannot open artifact \(fileOrDigest); pass an existing file or sha256:<hex>")
        }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        if size > UInt64(256 << 20) {
            // Large artifacts are hashed in a streaming pass instead of being loaded.
            do {
                return .digests([.sha256: try HashAlgorithm.sha256.hashFile(atPath: fileOrDigest),
                                 .sha512: try HashAlgorithm.sha512.hashFile(atPath: fileOrDigest)])
            } catch {
                throw SignatureVerificationError(.inputUnreadable, check: .artifactRead, "cannot read \(fileOrDigest): \(error)")
            }
        }
        do {
            try handle.seek(toOffset: 0)
            return .bytes(try handle.readToEnd() ?? Data())
        } catch {
            throw SignatureVerificationError(.inputUnreadable, check: .artifactRead, "cannot read \(fileOrDigest): \(error)")
        }
    }
}
