import CryptoPrimitives
import Foundation

/// One piece of signed evidence, taken apart into the parts every format shares (in the spirit of sigstore-go's
/// `SignedEntity`): who vouches for the signing key, what was signed, the transparency-log entries and the RFC 3161
/// timestamps. Each evidence format is an adapter that builds this value — `SignedEvidence(bundle:)` for Sigstore
/// bundles v0.1–v0.3 (files, and cosign v3 bundle referrers), `SignedEvidence(cosignLayer:)` for cosign `.sig` /
/// `.att` layers and containers-image (skopeo) sigstore signatures — and `EvidenceVerifier` checks it, every check
/// once, in one order.
///
/// The adapters only parse; they never decide. Every byte is kept as found, so signatures are verified over the
/// original bytes.
public struct SignedEvidence: Sendable {
    /// Which format the evidence came in.
    public enum Format: String, Sendable, Hashable {
        /// A Sigstore bundle (a `.sigstore.json` file, or a cosign v3 bundle referrer).
        case sigstoreBundle = "sigstore-bundle"
        /// A cosign simple-signing layer (`.sig` tag, cosign OCI 1.1 referrer, containers-image signature).
        case cosignSignature = "cosign-signature"
        /// A cosign DSSE attestation layer (`.att` tag, cosign OCI 1.1 referrer).
        case cosignAttestation = "cosign-attestation"
    }

    /// What vouches for the signing key.
    public enum Material: Sendable, Equatable {
        /// A public key known out of band (the policy's keys).
        case publicKey
        /// A signing certificate (DER), with the intermediates the evidence carries (untrusted; a chain is only
        /// ever built to the policy's CAs).
        case certificate(leaf: [UInt8], intermediates: [[UInt8]])
    }

    /// What was signed.
    public enum Content: Sendable, Equatable {
        /// A signature over the artifact itself (a Sigstore message signature, optionally with a digest hint).
        case messageSignature(SigstoreBundle.MessageSignature)
        /// A signature over a payload that names the artifact: cosign's simple-signing JSON, exact bytes.
        case payloadSignature(signature: [UInt8], payload: [UInt8])
        /// A DSSE envelope (an in-toto statement naming the artifact as a subject). `rawEnvelope` is the envelope's
        /// exact bytes when it was stored on its own (a cosign `.att` layer), which a log entry may hash.
        case dsseEnvelope(DSSEEnvelope, rawEnvelope: [UInt8]?)

        /// The signature bytes (what RFC 3161 timestamps and log entries cover); nil when a DSSE envelope does not
        /// hold exactly one signature.
        public var signatureBytes: [UInt8]? {
            switch self {
            case .messageSignature(let message): return message.signature
            case .payloadSignature(let signature, _): return signature
            case .dsseEnvelope(let envelope, _): return envelope.signatures.count == 1 ? envelope.signatures[0].signature : nil
            }
        }
    }

    /// The format.
    public let format: Format
    /// A short description of the format and version, for reports (`Sigstore bundle v0.3`, `cosign signature layer`).
    public let formatDescription: String
    /// The key or certificate material.
    public let material: Material
    /// The signed content.
    public let content: Content
    /// Transparency-log entries, as the log helper verifies them.
    public let transparencyLogEntries: [TransparencyLogEntry]
    /// Whether each entry must carry an inclusion proof (bundles v0.2 and later); otherwise a SET suffices.
    public let requiresInclusionProof: Bool
    /// DER RFC 3161 timestamp responses or tokens, each over the signature bytes.
    public let timestamps: [[UInt8]]

    /// Creates evidence from its parts (adapters use this; so can a caller with a format of its own).
    public init(format: Format, formatDescription: String, material: Material, content: Content,
                transparencyLogEntries: [TransparencyLogEntry], requiresInclusionProof: Bool, timestamps: [[UInt8]]) {
        self.format = format
        self.formatDescription = formatDescription
        self.material = material
        self.content = content
        self.transparencyLogEntries = transparencyLogEntries
        self.requiresInclusionProof = requiresInclusionProof
        self.timestamps = timestamps
    }
}

extension SignedEvidence {
    /// The Sigstore bundle adapter (v0.1–v0.3). The bundle was parsed strictly by `SigstoreBundle`.
    public init(bundle: SigstoreBundle) {
        let material: Material
        switch bundle.verificationMaterial {
        case .publicKey: material = .publicKey
        // Like sigstore-go, a bundle's own chain beyond the leaf is never used: chains are built to trusted CAs.
        case .certificateChain(let chain): material = .certificate(leaf: chain.first ?? [], intermediates: [])
        case .certificate(let der): material = .certificate(leaf: der, intermediates: [])
        }
        let content: Content
        switch bundle.content {
        case .messageSignature(let message): content = .messageSignature(message)
        case .dsseEnvelope(let envelope): content = .dsseEnvelope(envelope, rawEnvelope: nil)
        }
        self.init(format: .sigstoreBundle, formatDescription: "Sigstore bundle v\(bundle.version.rawValue) (\(bundle.mediaType))",
                  material: material, content: content, transparencyLogEntries: bundle.tlogEntries,
                  requiresInclusionProof: bundle.version >= .v0_2, timestamps: bundle.rfc3161Timestamps)
    }
}
