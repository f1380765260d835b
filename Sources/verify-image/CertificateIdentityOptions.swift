import ArgumentParser
import ImageGate

/// cosign's certificate identity flags, shared by `verify`, `scan --verify` and `verify-bundle`. Regular expressions
/// are anchored: the whole value must match.
struct CertificateIdentityOptions: ParsableArguments {
    @Option(name: .customLong("certificate-identity"), help: "Expected certificate identity (SAN), exact.")
    var identity: String?

    @Option(name: .customLong("certificate-identity-regexp"), help: "Expected certificate identity, anchored regexp.")
    var identityRegexp: String?

    @Option(name: .customLong("certificate-oidc-issuer"), help: "Expected OIDC issuer, exact.")
    var issuer: String?

    @Option(name: .customLong("certificate-oidc-issuer-regexp"), help: "Expected OIDC issuer, anchored regexp.")
    var issuerRegexp: String?

    /// Copies the four flags into policy options.
    func fill(_ options: inout PolicyOptions) {
        options.identity = identity
        options.identityRegexp = identityRegexp
        options.issuer = issuer
        options.issuerRegexp = issuerRegexp
    }
}
