import CryptoPrimitives
import Foundation
import OCIImage

/// The one policy of the product: what every piece of evidence (a Sigstore bundle, a cosign `.sig` / `.att` layer,
/// a cosign v3 bundle referrer, a containers-image signature) must satisfy, and what an image must satisfy to pass
/// the gate. The library, `verify`, `scan --verify`, `verify-bundle`, the gate's policy files and the admission
/// server all express their demands with this type.
///
/// The initializer refuses incoherent combinations (no signer, an identity with no CA to chain to, a required
/// transparency log with no log key, …) with a `policy_invalid` error naming the fix. Every option that weakens a
/// check is named `insecure…`; nothing is ever silently replaced (the production trusted root is used only when the
/// caller put it in `trust`).
///
/// ```swift
/// let policy = try VerificationPolicy(
///     trust: .init(trustedRoot: try TrustedRoot.production()),
///     signers: .identities([.init(issuer: .exact("https://token.actions.githubusercontent.com"),
///                                 subject: try .regexp("https://github.com/acme/.*"))]))
/// ```
public struct VerificationPolicy: Sendable {
    /// The trusted material, both parts explicit.
    public struct Trust: Sendable {
        /// A Sigstore trusted root: transparency-log keys, Fulcio CAs, CT logs, timestamp authorities.
        public var trustedRoot: TrustedRoot?
        /// A private CA (`--certificate-chain`): intermediates then the root. When given, certificates chain to
        /// these ONLY (never to the trusted root's CAs), and no SCT is required of them; the trusted root, if any,
        /// still supplies transparency-log keys and timestamp authorities.
        public var certificateChain: [Certificate]?
        /// The name a transparency log of the trusted root signs its checkpoints as, by the log's base URL, where it
        /// is not the host of that URL (a private Rekor whose `rekor_server.hostname` is its machine's name). A
        /// checkpoint is the log's only if its origin is `<name> - <tree id>` (Rekor v1) or `<name>` (Rekor v2).
        public var checkpointNames: [String: String]

        /// Creates trust from a trusted root and/or a private CA chain.
        public init(trustedRoot: TrustedRoot? = nil, certificateChain: [Certificate]? = nil,
                    checkpointNames: [String: String] = [:]) {
            self.trustedRoot = trustedRoot
            self.certificateChain = certificateChain
            self.checkpointNames = checkpointNames
        }

        /// Whether some CA is trusted for certificate-based signatures.
        public var hasCertificateAuthority: Bool {
            if let certificateChain { return !certificateChain.isEmpty }
            return !(trustedRoot?.certificateAuthorities.isEmpty ?? true)
        }
    }

    /// One accepted certificate identity: an OIDC issuer and a subject (SAN), each exact or an anchored regexp —
    /// the shape of policy-controller's `identities:` entries.
    public struct Identity: Sendable, Hashable, CustomStringConvertible {
        /// The OIDC issuer the certificate must name. Nil only under a private CA (`Trust.certificateChain`),
        /// whose certificates may carry no issuer; a nil issuer with a public CA is refused.
        public var issuer: StringMatcher?
        /// The subject alternative name (URI, email or Fulcio otherName).
        public var subject: StringMatcher
        /// Fulcio certificate extensions by name (`FulcioExtensions.names`) that must hold exactly these values.
        public var extensions: [String: String]

        /// Creates an identity.
        public init(issuer: StringMatcher?, subject: StringMatcher, extensions: [String: String] = [:]) {
            self.issuer = issuer
            self.subject = subject
            self.extensions = extensions
        }

        /// `subject <matcher> issued by <matcher>`.
        public var description: String { "subject \(subject)\(issuer.map { " from issuer \($0)" } ?? " (any issuer)")" }
    }

    /// Who must have signed. A piece of evidence passes when it was signed by ANY of the given keys, or by a
    /// certificate matching ANY of the given identities.
    public enum Signers: Sendable {
        /// Public keys (`--key`, repeatable); every one is tried.
        case keys([PublicKey])
        /// Certificate identities (keyless, or a private CA).
        case identities([Identity])
    }

    /// Which evidence is looked for.
    public enum Evidence: Sendable, Hashable {
        /// Signatures (cosign `verify`): simple-signing payloads, message signatures, cosign v3 sign statements.
        case signatures
        /// Attestations (cosign `verify-attestation`): in-toto statements in DSSE; a nil type accepts any predicate.
        case attestations(predicateType: String?)
    }

    /// How much evidence of each kind a signature needs. Lowering a default is done with the `insecure…` options,
    /// never with a threshold of zero.
    public struct Thresholds: Sendable, Hashable {
        /// Verified transparency-log entries (default 1).
        public var transparencyLogEntries: Int
        /// Verified RFC 3161 timestamps (default 0).
        public var timestamps: Int
        /// Verified embedded SCTs of a certificate issued by a trusted root's CA (default 1).
        public var signedCertificateTimestamps: Int

        /// Creates thresholds; the defaults are what cosign demands.
        public init(transparencyLogEntries: Int = 1, timestamps: Int = 0, signedCertificateTimestamps: Int = 1) {
            self.transparencyLogEntries = transparencyLogEntries
            self.timestamps = timestamps
            self.signedCertificateTimestamps = signedCertificateTimestamps
        }
    }

    /// What verifying a multi-platform index means.
    public enum IndexTarget: Sendable, Hashable {
        /// The index's own signature (what `cosign verify` checks for an index digest). Default.
        case index
        /// The manifest of one platform: its own signature.
        case platform(Platform)
        /// Every child manifest must carry its own passing signature (as `cosign sign --recursive` makes).
        case everyChild
    }

    /// The trusted material.
    public let trust: Trust
    /// Who must have signed.
    public let signers: Signers
    /// Signatures or attestations.
    public let evidence: Evidence
    /// `-a KEY=VALUE`: each key must be present in the signed payload's annotations with exactly this JSON string
    /// value (compared as JSON, never coerced from numbers or booleans).
    public let requiredAnnotations: [String: String]
    /// How much evidence is needed.
    public let thresholds: Thresholds
    /// Accept evidence without a transparency-log entry (`--insecure-ignore-tlog`).
    public let insecureIgnoreTransparencyLog: Bool
    /// Accept certificates from a trusted root's CA without a verified SCT (`--insecure-ignore-sct`).
    public let insecureIgnoreSCT: Bool
    /// A reference by tag passes (it is still resolved, verified and reported) instead of failing with
    /// `not_digest_pinned`.
    public let allowTags: Bool
    /// What verifying an index means.
    public let indexTarget: IndexTarget

    /// Creates a policy, refusing incoherent combinations.
    /// - Throws: `SignatureVerificationError` with code `policy_invalid`, naming the problem and the fix.
    public init(trust: Trust, signers: Signers, evidence: Evidence = .signatures,
                requiredAnnotations: [String: String] = [:], thresholds: Thresholds = Thresholds(),
                insecureIgnoreTransparencyLog: Bool = false, insecureIgnoreSCT: Bool = false,
                allowTags: Bool = false, indexTarget: IndexTarget = .index) throws {
        func invalid(_ message: String) -> SignatureVerificationError {
            SignatureVerificationError(.policyInvalid, check: .policy, message)
        }
        switch signers {
        case .keys(let keys):
            try PolicyRules.requireSigner(named: !keys.isEmpty)
        case .identities(let identities):
            try PolicyRules.requireSigner(named: !identities.isEmpty)
            guard trust.hasCertificateAuthority else {
                throw invalid("certificate identities need a CA to chain to: give a trusted root with certificate authorities, or a certificate chain")
            }
            try PolicyRules.requireIssuer(identityWithoutIssuer: identities.contains { $0.issuer == nil },
                                          privateCA: trust.certificateChain != nil)
        }
        if let chain = trust.certificateChain, chain.isEmpty {
            throw invalid("the certificate chain holds no certificate; give intermediates then the root, PEM")
        }
        guard thresholds.transparencyLogEntries >= 1, thresholds.signedCertificateTimestamps >= 1, thresholds.timestamps >= 0 else {
            throw invalid("thresholds must be at least 1 (0 for timestamps); to accept less evidence use insecureIgnoreTransparencyLog or insecureIgnoreSCT")
        }
        if !insecureIgnoreTransparencyLog && (trust.trustedRoot?.transparencyLogs.isEmpty ?? true) {
            throw invalid("a transparency-log entry is required, but no trusted root with log keys is given; give a trusted root, or accept the risk with --insecure-ignore-tlog")
        }
        let logURLs = Set(trust.trustedRoot?.transparencyLogs.map(\.baseURL) ?? [])
        for (url, name) in trust.checkpointNames.sorted(by: { $0.key < $1.key }) {
            guard logURLs.contains(url) else {
                throw invalid("a checkpoint name is given for \(url), which is not a transparency log of the trusted root (its logs: \(logURLs.sorted().joined(separator: ", "))); give the log's base URL exactly")
            }
            guard !name.isEmpty, !name.contains(where: \.isNewline) else {
                throw invalid("the checkpoint name for \(url) must be one non-empty line: the name the log signs its checkpoints as")
            }
        }
        if thresholds.timestamps > 0 && (trust.trustedRoot?.timestampAuthorities.isEmpty ?? true) {
            throw invalid("\(thresholds.timestamps) timestamp(s) are required, but no trusted root with timestamp authorities is given")
        }
        if case .identities = signers, trust.certificateChain == nil, !insecureIgnoreSCT,
           trust.trustedRoot?.ctLogs.isEmpty ?? true {
            throw invalid("certificates from the trusted root's CAs need a verified SCT, but the trusted root has no CT log; give one with CT logs, or --insecure-ignore-sct")
        }
        if case .keys = signers, insecureIgnoreSCT {
            throw invalid("--insecure-ignore-sct applies only to certificate identities, not to keys")
        }
        try PolicyRules.checkAnnotations(keys: requiredAnnotations.keys.sorted(), attestations: evidence != .signatures)
        self.trust = trust
        self.signers = signers
        self.evidence = evidence
        self.requiredAnnotations = requiredAnnotations
        self.thresholds = thresholds
        self.insecureIgnoreTransparencyLog = insecureIgnoreTransparencyLog
        self.insecureIgnoreSCT = insecureIgnoreSCT
        self.allowTags = allowTags
        self.indexTarget = indexTarget
    }

    /// Whether a transparency-log entry is required.
    public var requiresTransparencyLog: Bool { !insecureIgnoreTransparencyLog }

    /// The predicate type required of attestations (nil: any, or signatures).
    public var predicateType: String? {
        if case .attestations(let type) = evidence { return type }
        return nil
    }

    /// The platform selected in an index, if any.
    public var platform: Platform? {
        if case .platform(let platform) = indexTarget { return platform }
        return nil
    }
}

extension PublicKey {
    /// How keys are named in verdicts: the hex SHA-256 of the key's SubjectPublicKeyInfo DER.
    public var keyID: String { HashAlgorithm.sha256.hash(spkiDER).hexString }
}

/// The coherence rules that need no trusted material, each written once: `VerificationPolicy.init` applies them to a
/// policy, and `PolicyOptions.validate()` (ImageGate) to flags before any file is read.
public enum PolicyRules {
    /// Someone must be named as the signer: a public key or a certificate identity.
    /// - Throws: `policy_invalid` when `named` is false.
    public static func requireSigner(named: Bool) throws {
        guard named else {
            throw invalid("say who must have signed: a public key (--key FILE), or a certificate identity (--certificate-identity[-regexp] with --certificate-oidc-issuer[-regexp])")
        }
    }

    /// A certificate identity must name its OIDC issuer unless its CA is a private one (`--certificate-chain`), whose
    /// certificates may carry no issuer; with a public CA, any issuer would do.
    /// - Throws: `policy_invalid` for an identity without issuer and no private CA.
    public static func requireIssuer(identityWithoutIssuer: Bool, privateCA: Bool) throws {
        guard !identityWithoutIssuer || privateCA else {
            throw invalid("keyless verification needs --certificate-oidc-issuer (or -regexp) as well as the identity; only with a private CA (--certificate-chain) may the issuer be left out")
        }
    }

    /// Required annotations (`-a KEY=VALUE`) each have a key, and apply to signatures' payloads only.
    /// - Throws: `policy_invalid` for an empty key, or annotations required of attestations.
    public static func checkAnnotations(keys: [String], attestations: Bool) throws {
        if keys.contains(where: \.isEmpty) {
            throw invalid("a required annotation has an empty key; give -a KEY=VALUE")
        }
        if attestations && !keys.isEmpty {
            throw invalid("-a applies to signatures' payloads; attestations carry no such annotations — drop -a, or verify signatures")
        }
    }

    private static func invalid(_ message: String) -> SignatureVerificationError {
        SignatureVerificationError(.policyInvalid, check: .policy, message)
    }
}
