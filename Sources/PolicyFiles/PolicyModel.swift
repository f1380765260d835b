import CryptoPrimitives
import Foundation
import SignatureVerification

/// Where a resource or field was declared.
public struct PolicyLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file, as given.
    public let file: String
    /// 1-based line.
    public let line: Int

    /// `file:line`.
    public var description: String { "\(file):\(line)" }
}

/// A sigstore policy-controller `ClusterImagePolicy` (v1beta1, or v1alpha1 which has the same shape), as loaded
/// and validated. Everything in it can be evaluated here: loading refuses what cannot.
public struct ClusterImagePolicy: Sendable {
    /// `enforce` (a failure denies) or `warn` (a failure is reported, never denies).
    public enum Mode: String, Sendable, Hashable {
        /// A failure denies the image.
        case enforce
        /// A failure is reported as a warning.
        case warn
    }

    /// `metadata.name`.
    public let name: String
    /// `policy.sigstore.dev/v1beta1` or `…/v1alpha1`.
    public let apiVersion: String
    /// Where the resource starts.
    public let location: PolicyLocation
    /// `spec.images[].glob`: the policy applies to an image any of them matches.
    public let images: [ImageGlob]
    /// `spec.authorities`: at least one must pass.
    public let authorities: [PolicyAuthority]
    /// `spec.mode`.
    public let mode: Mode
    /// `spec.match`: the kinds of resource the policy applies to (empty: every resource).
    public let match: [MatchResource]

    /// Whether one of the policy's globs matches `image` (as written in a manifest). An invalid reference matches
    /// nothing.
    public func applies(to image: String) -> Bool {
        images.contains { (try? $0.matches(image: image)) ?? false }
    }

    /// The first glob that matches `image`.
    public func matchingGlob(for image: String) -> ImageGlob? {
        images.first { (try? $0.matches(image: image)) ?? false }
    }

    /// Whether the policy applies to an object of this kind (`Deployment`, `Pod`…); nil kind (not known, e.g. a
    /// Helm values file) is treated as matching, which only ever makes the gate stricter.
    public func applies(toKind kind: String?) -> Bool {
        guard !match.isEmpty, let kind else { return true }
        return match.contains { $0.matches(kind: kind) }
    }
}

/// `spec.match[]`: a resource kind the policy is limited to.
public struct MatchResource: Sendable, Hashable {
    /// API group (`apps`, or empty for the core group).
    public let group: String
    /// API version.
    public let version: String
    /// Plural resource name (`deployments`, `pods`…).
    public let resource: String
    /// `selector.matchLabels`: not evaluable from a manifest's image alone, so the policy is applied regardless
    /// (stricter than in a cluster, never looser).
    public let matchLabels: [String: String]

    /// The resources policy-controller accepts in `match`, with the kinds they select.
    static let kinds: [String: String] = [
        "pods": "Pod", "deployments": "Deployment", "replicasets": "ReplicaSet", "statefulsets": "StatefulSet",
        "daemonsets": "DaemonSet", "jobs": "Job", "cronjobs": "CronJob",
    ]

    func matches(kind: String) -> Bool { MatchResource.kinds[resource] == kind }
}

/// One entry of `spec.authorities`: a way an image can satisfy the policy.
public struct PolicyAuthority: Sendable {
    /// What proves the image.
    public enum Evidence: Sendable {
        /// `key:` a signature by this public key (`hashAlgorithm` is the digest the signature was made over).
        case key(PublicKey, hashAlgorithm: String)
        /// `keyless:` a Fulcio (or private CA) certificate with one of the identities.
        case keyless(KeylessAuthority)
        /// `static: {action: pass|fail}`.
        case staticAction(pass: Bool, message: String?)
    }

    /// `name`, or `authority-<index>` as policy-controller names it.
    public let name: String
    /// Where the authority is declared.
    public let location: PolicyLocation
    /// The evidence kind.
    public let evidence: Evidence
    /// `ctlog:` when given: a verified transparency-log entry is required.
    public let transparencyLog: TransparencyLogAuthority?
    /// `rfc3161timestamp.trustRootRef` when given: an RFC 3161 timestamp from that TrustRoot's TSAs is required.
    public let timestampTrustRoot: String?
    /// `attestations[]`: when present, each predicate type must have a verified attestation (instead of a
    /// signature), as in policy-controller.
    public let attestations: [AttestationRequirement]

    /// Whether a transparency-log entry is required: always for keyless (policy-controller defaults `ctlog` to the
    /// public Rekor), for keys only when `ctlog` is given.
    public var requiresTransparencyLog: Bool {
        switch evidence {
        case .keyless: return true
        case .key: return transparencyLog != nil
        case .staticAction: return false
        }
    }
}

/// `keyless:` of an authority.
public struct KeylessAuthority: Sendable {
    /// `url` (the Fulcio instance; informational — trust comes from the roots).
    public let url: String?
    /// `identities`: a certificate must match one.
    public let identities: [KeylessIdentity]
    /// `ca-cert.data`: a private CA chain (intermediates then root, PEM), instead of the trusted root's Fulcio.
    public let certificateChain: [Certificate]?
    /// `trustRootRef`: the TrustRoot whose CAs and CT logs apply.
    public let trustRootRef: String?
    /// `insecureIgnoreSCT`.
    public let insecureIgnoreSCT: Bool
}

/// One `identities[]` entry: issuer and subject, each exact or an anchored regular expression.
public struct KeylessIdentity: Sendable, Hashable {
    /// `issuer` / `issuerRegExp`.
    public let issuer: StringMatcher
    /// `subject` / `subjectRegExp`.
    public let subject: StringMatcher
}

/// `ctlog:` of an authority.
public struct TransparencyLogAuthority: Sendable, Hashable {
    /// `url` (informational; the log key comes from the roots).
    public let url: String?
    /// `trustRootRef`: the TrustRoot whose transparency-log keys apply.
    public let trustRootRef: String?
}

/// `attestations[]` of an authority.
public struct AttestationRequirement: Sendable, Hashable {
    /// `name`.
    public let name: String
    /// `predicateType`, expanded to a URI (`slsaprovenance` → `https://slsa.dev/provenance/v0.2`…).
    public let predicateType: String
}

/// A policy-controller `TrustRoot` with `sigstoreKeys`, converted to a Sigstore trusted root.
public struct TrustRootResource: Sendable {
    /// `metadata.name`, what `trustRootRef` names.
    public let name: String
    /// Where the resource starts.
    public let location: PolicyLocation
    /// The trusted root built from `sigstoreKeys`.
    public let trustedRoot: TrustedRoot
    /// The same as `trusted_root.json` bytes (for the evidence package).
    public let trustedRootJSON: Data
}
