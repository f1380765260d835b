import ArgumentParser
import Foundation
import ImageGate

/// The flags that say how images are verified — who must have signed, which evidence is required, where images
/// are read from — shared by `verify` and `scan --verify`. Names follow cosign's.
struct VerificationOptions: ParsableArguments {
    @Option(name: .customLong("key"), help: "Trusted public key (PEM SubjectPublicKeyInfo); repeat for several.")
    var keys: [String] = []

    @OptionGroup var certificate: CertificateIdentityOptions

    @Option(name: .customLong("trusted-root"), help: "Sigstore trusted_root.json (default: the production root shipped in keys/).")
    var trustedRoot: String?

    @Option(name: .customLong("certificate-chain"), help: "Private PKI: PEM intermediates and root for certificate-based signatures.")
    var certificateChain: String?

    @Flag(name: .customLong("insecure-ignore-tlog"), help: "Accept signatures without a transparency-log entry.")
    var insecureIgnoreTlog = false

    @Flag(name: .customLong("insecure-ignore-sct"), help: "Accept Fulcio certificates without an embedded SCT.")
    var insecureIgnoreSCT = false

    @Option(name: .customShort("a"), help: "Required annotation KEY=VALUE in the signed payload; repeatable.")
    var annotations: [String] = []

    @Flag(name: .customLong("attestations"), help: "Verify attestations (DSSE / in-toto) instead of signatures.")
    var attestations = false

    @Option(name: .customLong("type"), help: "With --attestations: predicate type (slsaprovenance, spdx, cyclonedx, vuln, custom, or a URI).")
    var predicateType: String?

    @Option(name: .customLong("platform"), help: "For a multi-platform index: verify this OS/ARCH[/VARIANT] manifest's own signature instead of the index's (stated as not applying to a single-platform manifest).")
    var platform: String?

    @Flag(name: .customLong("every-platform"), help: "For a multi-platform index: every platform manifest must carry its own passing signature (default: the index's own signature).")
    var everyPlatform = false

    @Option(name: .customLong("tlog-checkpoint-name"),
            help: "URL=NAME: the name a transparency log of the trusted root (by base URL) signs its checkpoints as, where it is not the URL's host; repeatable.")
    var checkpointNames: [String] = []

    @Flag(name: .customLong("allow-tags"), help: "Let a reference by tag pass (it is still resolved and reported).")
    var allowTags = false

    @OptionGroup var source: ContentSourceOptions

    /// The policy the flags state, as plain values (the rules live in ImageGate's `PolicyOptions`).
    var policyOptions: PolicyOptions {
        var options = PolicyOptions(purpose: .images)
        certificate.fill(&options)
        options.keyFiles = keys
        options.trustedRootFile = trustedRoot
        options.certificateChainFile = certificateChain
        options.insecureIgnoreTransparencyLog = insecureIgnoreTlog
        options.insecureIgnoreSCT = insecureIgnoreSCT
        options.annotations = annotations
        options.attestations = attestations
        options.predicateType = predicateType
        options.platform = platform
        options.allowTags = allowTags
        options.everyPlatform = everyPlatform
        options.checkpointNames = checkpointNames
        return options
    }

    /// Checks the flags that verification needs (called by `verify`, and by `scan` when `--verify` is given).
    func validateForVerification() throws {
        try usage { try policyOptions.validate() }
        try source.validateSource()
    }

    /// The overall deadline.
    var deadline: Duration { source.deadline }

    /// The verifier for these flags: the policy and the content source.
    func makeVerifier() async throws -> ImageVerifier {
        let source = try makeSource()  // usage errors first, before any trusted-root notice
        let policy = try await makePolicy()
        return try usage { try ImageVerifier(source: source, policy: policy) }
    }

    /// The content source: the OCI layout given with --layout, else the registries the references name.
    func makeSource() throws -> any ContentSource { try source.makeSource() }

    /// The policy, built by ImageGate from the flags.
    /// Without `--trusted-root`/`--staging`, the trusted root comes from the TUF cache (`verify-image trust update`);
    /// its notice (built-in root, stale cache) goes to stderr. An expired cache throws `ImageGateError`
    /// `trusted_root_expired`, which the commands report as indeterminate.
    func makePolicy() async throws -> VerificationPolicy {
        let made: (policy: VerificationPolicy, notice: String?)
        do {
            made = try await policyOptions.makePolicy(trustStore: .forVerification())
        } catch let error as ImageGateError where error.code == .trustedRootExpired {
            throw error
        } catch {
            throw ValidationError("\(error)")
        }
        if let notice = made.notice { FileHandle.standardError.write(Data("verify-image: note: \(notice)\n".utf8)) }
        return made.policy
    }
}
