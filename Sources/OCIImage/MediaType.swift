/// A media type (RFC 6838), e.g. `application/vnd.oci.image.manifest.v1+json`, with the types OCI and Docker use.
///
/// Stored lowercased without parameters, so a served `Content-Type: application/vnd.oci.image.index.v1+json;
/// charset=utf-8` compares equal to ``ociIndex``.
public struct MediaType: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible,
                         ExpressibleByStringLiteral {
    /// The type text.
    public let rawValue: String

    /// Wraps a media type exactly as written (used for values read from JSON).
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Wraps a literal media type.
    public init(stringLiteral value: String) { self.rawValue = value }

    /// Parses an HTTP `Content-Type` value: parameters after `;` removed, whitespace trimmed, lowercased.
    public init(contentType: String) {
        let base = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        self.rawValue = String(base.filter { !$0.isWhitespace }).lowercased()
    }

    /// Decodes a media type string.
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    /// Encodes the media type string.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    /// The type text.
    public var description: String { rawValue }

    /// OCI image manifest.
    public static let ociManifest: MediaType = "application/vnd.oci.image.manifest.v1+json"
    /// OCI image index.
    public static let ociIndex: MediaType = "application/vnd.oci.image.index.v1+json"
    /// OCI content descriptor.
    public static let ociDescriptor: MediaType = "application/vnd.oci.descriptor.v1+json"
    /// OCI image layout header (`oci-layout`).
    public static let ociLayoutHeader: MediaType = "application/vnd.oci.layout.header.v1+json"
    /// OCI image configuration.
    public static let ociConfig: MediaType = "application/vnd.oci.image.config.v1+json"
    /// The OCI empty value `{}` (config of artifacts).
    public static let ociEmpty: MediaType = "application/vnd.oci.empty.v1+json"
    /// OCI uncompressed layer.
    public static let ociLayerTar: MediaType = "application/vnd.oci.image.layer.v1.tar"
    /// OCI gzip layer.
    public static let ociLayerTarGzip: MediaType = "application/vnd.oci.image.layer.v1.tar+gzip"
    /// OCI zstd layer.
    public static let ociLayerTarZstd: MediaType = "application/vnd.oci.image.layer.v1.tar+zstd"
    /// Docker image manifest, schema 2.
    public static let dockerManifest: MediaType = "application/vnd.docker.distribution.manifest.v2+json"
    /// Docker manifest list.
    public static let dockerManifestList: MediaType = "application/vnd.docker.distribution.manifest.list.v2+json"
    /// Docker container configuration.
    public static let dockerConfig: MediaType = "application/vnd.docker.container.image.v1+json"
    /// Docker gzip layer.
    public static let dockerLayerGzip: MediaType = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    /// Docker schema 1 manifest (not supported: deprecated, its digest is not over the served bytes).
    public static let dockerSchema1: MediaType = "application/vnd.docker.distribution.manifest.v1+json"
    /// Docker signed schema 1 manifest (not supported).
    public static let dockerSchema1Signed: MediaType = "application/vnd.docker.distribution.manifest.v1+prettyjws"
    /// cosign simple-signing payload layer.
    public static let cosignSimpleSigning: MediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
    /// cosign's artifact type for signatures stored as OCI 1.1 referrers.
    public static let cosignSignatureArtifact: MediaType = "application/vnd.dev.cosign.artifact.sig.v1+json"
    /// DSSE envelope (cosign attestations).
    public static let dsseEnvelope: MediaType = "application/vnd.dsse.envelope.v1+json"
    /// Sigstore bundle (OCI 1.1 referrers made by newer cosign).
    public static let sigstoreBundle: MediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

    /// The media types of single-image manifests (OCI and Docker schema 2).
    public static let imageManifestTypes: Set<MediaType> = [.ociManifest, .dockerManifest]
    /// The media types of indexes (OCI index and Docker manifest list).
    public static let indexTypes: Set<MediaType> = [.ociIndex, .dockerManifestList]

    /// True for OCI and Docker schema 2 image manifests.
    public var isImageManifest: Bool { Self.imageManifestTypes.contains(self) }
    /// True for OCI indexes and Docker manifest lists.
    public var isIndex: Bool { Self.indexTypes.contains(self) }
    /// True for any manifest type this project decodes (image manifest or index).
    public var isManifest: Bool { isImageManifest || isIndex }
    /// True for Docker schema 1 manifests.
    public var isDockerSchema1: Bool { self == .dockerSchema1 || self == .dockerSchema1Signed }
}
