import ArgumentParser
import Foundation
import ImageGate

/// Where images and signatures are read from: an OCI layout, or the registries the references name (with their
/// credentials and TLS settings), and the overall deadline.
struct ContentSourceOptions: ParsableArguments {
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

    @Option(name: .customLong("timeout"), help: "Give up after this many seconds (indeterminate).")
    var timeout: Double = 120

    /// Checks the source flags.
    func validateSource() throws {
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
}
