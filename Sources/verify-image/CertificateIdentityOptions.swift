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

    /// Whether an identity was given at all.
    var hasIdentity: Bool { identity != nil || identityRegexp != nil }
    /// Whether an issuer was given at all.
    var hasIssuer: Bool { issuer != nil || issuerRegexp != nil }
    /// Whether any of the four flags was given.
    var isGiven: Bool { hasIdentity || hasIssuer }

    /// Rejects contradictory pairs (exact and regexp of the same thing).
    func validateExclusive() throws {
        if identity != nil && identityRegexp != nil {
            throw ValidationError("--certificate-identity and --certificate-identity-regexp exclude each other; give one")
        }
        if issuer != nil && issuerRegexp != nil {
            throw ValidationError("--certificate-oidc-issuer and --certificate-oidc-issuer-regexp exclude each other; give one")
        }
    }

    /// The identity matcher (a bad regexp is a usage error).
    func identityMatcher() throws -> StringMatcher {
        try usage { try identityRegexp.map { try StringMatcher.regexp($0) } ?? .exact(identity ?? "") }
    }

    /// The issuer matcher, nil when no issuer was given (private PKI certificates carry none).
    func issuerMatcher() throws -> StringMatcher? {
        try usage { try issuerRegexp.map { try StringMatcher.regexp($0) } ?? issuer.map { .exact($0) } }
    }
}
