import ArgumentParser
import ImageGate

/// Flags of commands that look digests up (`pin`, `scan --resolve`) beside the registry flags of
/// ``VerificationOptions``.
struct DigestResolutionOptions: ParsableArguments {
    @Option(name: .customLong("registry-mirror"),
            help: "Look images of DOMAIN up in a mirror: DOMAIN=HOST[/PREFIX] (e.g. docker.io=harbor.example/dockerhub); repeatable.")
    var mirrors: [String] = []

    /// The resolver for these flags over `source`.
    func makeResolver(source: any ContentSource) throws -> DigestResolver {
        let routes = try usage { try RegistryMirrors(parsing: mirrors) }
        return DigestResolver(source: source, mirrors: routes)
    }
}
