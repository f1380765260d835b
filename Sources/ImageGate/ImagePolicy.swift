import CryptoPrimitives
import Foundation
import OCIImage
import SignatureVerification

/// The gate's policy is the one `VerificationPolicy`; this name is kept for readers of the image API.
public typealias ImagePolicy = VerificationPolicy

extension VerificationPolicy {
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
