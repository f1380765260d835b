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

    @Option(name: .customLong("layout"), help: "Read images and signatures from this OCI image layout (e.g. `cosign save` output).")
    var layout: String?

    @Option(name: .customLong("registry-cacert"), help: "Trust this CA certificate (PEM) for registry TLS, besides the system roots; repeatable.")
    var registryCACerts: [String] = []

    @Option(name: .customLong("registry-username"), help: "Registry user name (with --registry-password); default: Docker's config.json and credential helpers.")
    var registryUsername: String?

    @Option(name: .customLong("registry-password"), help: "Registry password or token (with --registry-username).")
    var registryPassword: String?

    @Flag(name: .customLong("allow-insecure-registry"), help: "Do not verify the registry's TLS certificate.")
    var allowInsecureRegistry = false

    @Flag(name: .customLong("allow-http-registry"), help: "Allow plain HTTP to the registry (always allowed for localhost / 127.0.0.1).")
    var allowHTTPRegistry = false

    @Flag(name: .customLong("no-cache"), help: "Do not use the on-disk cache of verified manifests and blobs ($XDG_CACHE_HOME/image-verifier).")
    var noCache = false

    @Flag(name: .customLong("attestations"), help: "Verify attestations (DSSE / in-toto) instead of signatures.")
    var attestations = false

    @Option(name: .customLong("type"), help: "With --attestations: predicate type (slsaprovenance, spdx, cyclonedx, vuln, custom, or a URI).")
    var predicateType: String?

    @Option(name: .customLong("platform"), help: "For a multi-platform index: verify this OS/ARCH[/VARIANT] manifest.")
    var platform: String?

    @Flag(name: .customLong("allow-tags"), help: "Let a reference by tag pass (it is still resolved and reported).")
    var allowTags = false

    @Option(name: .customLong("timeout"), help: "Give up after this many seconds (indeterminate).")
    var timeout: Double = 120

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
        return options
    }

    /// Checks the flags that verification needs (called by `verify`, and by `scan` when `--verify` is given).
    func validateForVerification() throws {
        try usage { try policyOptions.validate() }
        if !(timeout > 0 && timeout <= 86_400) { throw ValidationError("--timeout \(timeout): give seconds between 0 and 86400") }
        if (registryUsername == nil) != (registryPassword == nil) {
            throw ValidationError("--registry-username and --registry-password go together; give both or neither")
        }
        if layout != nil && (registryUsername != nil || !registryCACerts.isEmpty || allowInsecureRegistry || allowHTTPRegistry) {
            throw ValidationError("--layout reads from disk; the --registry-* and --allow-*-registry flags apply only without it")
        }
    }

    /// The overall deadline.
    var deadline: Duration { .milliseconds(Int(timeout * 1000)) }

    /// The verifier for these flags: the policy and the content source.
    func makeVerifier() throws -> ImageVerifier {
        let policy = try makePolicy()
        let source = try makeSource()
        return try usage { try ImageVerifier(source: source, policy: policy) }
    }

    /// The content source: the OCI layout given with --layout, else the registries the references name.
    func makeSource() throws -> any ContentSource {
        if let layout { return try usage { try OCILayoutSource(path: layout) } }
        var options = RemoteRegistry.Options()
        if let registryUsername, let registryPassword {
            options.credentials = RegistryCredentials(username: registryUsername, password: registryPassword)
        }
        options.credentialStore = DockerCredentialStore()
        options.caCertificateFiles = registryCACerts
        options.allowInsecureTLS = allowInsecureRegistry
        options.allowHTTP = allowHTTPRegistry
        options.timeout = timeout
        options.requestTimeout = min(30, timeout)
        if !noCache { options.cache = ContentCache(directory: ContentCache.defaultDirectory) }
        return try usage { try RemoteRegistry(options: options) }
    }

    /// The policy, built by ImageGate from the flags.
    func makePolicy() throws -> VerificationPolicy {
        try usage { try policyOptions.makePolicy() }
    }
}
