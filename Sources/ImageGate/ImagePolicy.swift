import CryptoPrimitives
import Foundation
import OCIImage
import SignatureVerification

/// What the gate demands of every image: who must have signed, which evidence is required, and what is checked.
/// Build one per deployment policy and reuse it; it is immutable and `Sendable`.
public struct ImagePolicy: Sendable {
    /// Verify signatures (cosign `verify`) or attestations (cosign `verify-attestation`).
    public enum Mode: Sendable, Hashable {
        /// Simple-signing signatures (`.sig` tags, cosign OCI 1.1 referrers).
        case signatures
        /// In-toto attestations (`.att` tags, Sigstore bundle referrers); a nil type accepts any predicate.
        case attestations(predicateType: String?)
    }

    /// The signer and evidence requirements, shared with the cosign verifier.
    public var cosign: CosignVerificationPolicy
    /// Signatures or attestations.
    public var mode: Mode
    /// The trusted root for Rekor keys, Fulcio CAs, CT logs and TSAs (production by default).
    public var trustedRoot: TrustedRoot?
    /// For an index: verify this platform's manifest instead of the index itself.
    public var platform: Platform?
    /// A reference by tag is a failure (`not_digest_pinned`) unless this is true; either way the digest it resolved
    /// to is verified and reported.
    public var allowTags: Bool

    /// Creates a policy.
    public init(cosign: CosignVerificationPolicy, mode: Mode = .signatures, trustedRoot: TrustedRoot? = nil,
                platform: Platform? = nil, allowTags: Bool = false) {
        self.cosign = cosign
        self.mode = mode
        self.trustedRoot = trustedRoot
        self.platform = platform
        self.allowTags = allowTags
        if case .attestations(let type) = mode { self.cosign.predicateType = type }
    }

    /// Expands cosign's short predicate-type names (`slsaprovenance`, `spdx`, …) to the URIs in statements.
    public static func predicateTypeURI(_ name: String) -> String {
        switch name {
        case "slsaprovenance", "slsaprovenance02": return "https://slsa.dev/provenance/v0.2"
        case "slsaprovenance1": return "https://slsa.dev/provenance/v1"
        case "spdx": return "https://spdx.dev/Document"
        case "spdxjson": return "https://spdx.dev/Document"
        case "cyclonedx": return "https://cyclonedx.org/bom"
        case "vuln": return "https://cosign.sigstore.dev/attestation/vuln/v1"
        case "openvex": return "https://openvex.dev/ns"
        case "custom": return "https://cosign.sigstore.dev/attestation/v1"
        default: return name
        }
    }
}
