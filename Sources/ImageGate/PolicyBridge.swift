import CryptoPrimitives
import SignatureVerification

/// Temporary bridge from the one `VerificationPolicy` to the two verifiers that still exist (M1 of issue 9); it
/// disappears with them when the one verifier lands.
extension VerificationPolicy {
    /// One cosign-layer policy per accepted identity, or one for all keys.
    var cosignPolicies: [CosignVerificationPolicy] {
        let signers: [CosignVerificationPolicy.Signer]
        switch self.signers {
        case .keys(let keys): signers = [.keys(keys)]
        case .identities(let identities):
            signers = identities.map { .certificate(identity: $0.subject, issuer: $0.issuer, extensions: $0.extensions) }
        }
        return signers.map {
            CosignVerificationPolicy(signer: $0, requireTransparencyLog: requiresTransparencyLog, requireSCT: !insecureIgnoreSCT,
                                     requiredAnnotations: requiredAnnotations, predicateType: predicateType,
                                     certificateChain: trust.certificateChain)
        }
    }

    /// The bundle verifier's signer requirements: every key, and every identity.
    var bundleSigners: [BundleSignerPolicy.Signer] {
        switch signers {
        case .keys(let keys): return keys.map { .key($0) }
        case .identities(let identities):
            return identities.map { .certificate(identity: $0.subject, issuer: $0.issuer ?? ImageVerifier.anyIssuer, extensions: $0.extensions) }
        }
    }

    /// Bridge (issue 9, M1): the `BundleVerifier` requirements this policy stands for, one per key or identity.
    /// Removed, with `BundleSignerPolicy`, when the one verifier lands.
    public var bundleSignerPolicies: [BundleSignerPolicy] {
        bundleSigners.map {
            BundleSignerPolicy(signer: $0, requireTransparencyLog: requiresTransparencyLog, requireSCT: !insecureIgnoreSCT)
        }
    }
}
