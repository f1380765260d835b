/// One layer of a cosign classic signature (`.sig`) or attestation (`.att`) manifest, or of a cosign OCI 1.1
/// referrer: the payload blob exactly as stored (already checked against its digest by the content source) and the
/// layer's annotations, which carry the signature, certificate, chain, Rekor bundle and RFC 3161 timestamp.
public struct CosignLayer: Sendable, Hashable {
    /// What the layer holds.
    public enum Kind: String, Sendable, Hashable {
        /// A simple-signing payload signed with the `dev.cosignproject.cosign/signature` annotation.
        case signature
        /// A DSSE envelope holding an in-toto statement.
        case attestation
    }

    /// The annotation holding the base64 signature over the payload (empty for attestations).
    public static let signatureAnnotation = "dev.cosignproject.cosign/signature"
    /// The annotation holding the PEM signing certificate.
    public static let certificateAnnotation = "dev.sigstore.cosign/certificate"
    /// The annotation holding the PEM chain (intermediates…root).
    public static let chainAnnotation = "dev.sigstore.cosign/chain"
    /// The annotation holding the Rekor bundle (SET and entry).
    public static let rekorBundleAnnotation = "dev.sigstore.cosign/bundle"
    /// The annotation holding `{"SignedRFC3161Timestamp": base64 DER}`.
    public static let timestampAnnotation = "dev.sigstore.cosign/rfc3161timestamp"
    /// The layer media type of simple-signing payloads.
    public static let simpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
    /// The layer media type of DSSE envelopes.
    public static let dsseMediaType = "application/vnd.dsse.envelope.v1+json"

    /// Signature or attestation.
    public let kind: Kind
    /// The layer's media type.
    public let mediaType: String
    /// The layer blob: the exact signed payload (or DSSE envelope) bytes.
    public let payload: [UInt8]
    /// The layer's annotations.
    public let annotations: [String: String]

    /// Creates a layer; the kind follows from the media type (DSSE envelopes are attestations).
    public init(mediaType: String, payload: [UInt8], annotations: [String: String]) {
        self.kind = mediaType == CosignLayer.dsseMediaType ? .attestation : .signature
        self.mediaType = mediaType
        self.payload = payload
        self.annotations = annotations
    }
}
