import CryptoPrimitives
import Foundation
@testable import SignatureVerification

/// Policies the sigstore-conformance protocol implies, built with the one policy type.
enum ConformancePolicy {
    static let identity =
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
    static let issuer = "https://token.actions.githubusercontent.com"

    /// A certificate identity (exact subject and issuer) under `root`.
    static func identity(_ subject: String = identity, issuer: String = issuer, root: TrustedRoot) throws -> VerificationPolicy {
        try VerificationPolicy(trust: .init(trustedRoot: root),
                               signers: .identities([.init(issuer: .exact(issuer), subject: .exact(subject))]))
    }

    /// A key, as verify-bundle verifies key-signed bundles: a log entry OR a timestamp.
    static func key(_ key: PublicKey, root: TrustedRoot) throws -> VerificationPolicy {
        try VerificationPolicy(trust: .init(trustedRoot: root), signers: .keys([key]), insecureIgnoreTransparencyLog: true)
    }

    /// The one verifier for a certificate identity under `root`.
    static func verifier(_ subject: String = identity, issuer: String = issuer, root: TrustedRoot) throws -> EvidenceVerifier {
        EvidenceVerifier(policy: try Self.identity(subject, issuer: issuer, root: root))
    }
}
