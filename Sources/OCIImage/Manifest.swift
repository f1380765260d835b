import Foundation

/// An image manifest: OCI (`application/vnd.oci.image.manifest.v1+json`) or Docker schema 2.
public struct ImageManifest: Sendable, Hashable {
    /// The exact bytes this manifest was decoded from (digests and signatures are over these).
    public let rawBytes: [UInt8]
    /// The effective media type (from the `mediaType` field, the caller's content type, or the content's shape).
    public let mediaType: MediaType
    /// `schemaVersion` (always 2).
    public let schemaVersion: Int
    /// `artifactType`, if set.
    public let artifactType: String?
    /// The configuration descriptor.
    public let config: Descriptor
    /// The layer descriptors (empty when absent or null).
    public let layers: [Descriptor]
    /// The manifest this one refers to (`subject`, used by the referrers API).
    public let subject: Descriptor?
    /// Annotations.
    public let annotations: [String: String]?

    /// The artifact type as the referrers API reports it: `artifactType`, else the config media type.
    public var effectiveArtifactType: String { artifactType ?? config.mediaType.rawValue }
    /// True for a Docker schema 2 manifest.
    public var isDocker: Bool { mediaType == .dockerManifest }
}

/// An image index: OCI (`application/vnd.oci.image.index.v1+json`) or a Docker manifest list.
public struct ImageIndex: Sendable, Hashable {
    /// The exact bytes this index was decoded from (empty for an index built in memory).
    public let rawBytes: [UInt8]
    /// The effective media type.
    public let mediaType: MediaType
    /// `schemaVersion` (always 2).
    public let schemaVersion: Int
    /// `artifactType`, if set.
    public let artifactType: String?
    /// The entries (may be empty); unknown media types are kept, not rejected.
    public let manifests: [Descriptor]
    /// `subject`, if set.
    public let subject: Descriptor?
    /// Annotations.
    public let annotations: [String: String]?

    /// Builds an index in memory (e.g. a referrers list assembled by a content source).
    public init(manifests: [Descriptor], mediaType: MediaType = .ociIndex, artifactType: String? = nil,
                subject: Descriptor? = nil, annotations: [String: String]? = nil) {
        self.rawBytes = []
        self.mediaType = mediaType
        self.schemaVersion = 2
        self.artifactType = artifactType
        self.manifests = manifests
        self.subject = subject
        self.annotations = annotations
    }

    init(rawBytes: [UInt8], mediaType: MediaType, schemaVersion: Int, artifactType: String?, manifests: [Descriptor],
         subject: Descriptor?, annotations: [String: String]?) {
        self.rawBytes = rawBytes
        self.mediaType = mediaType
        self.schemaVersion = schemaVersion
        self.artifactType = artifactType
        self.manifests = manifests
        self.subject = subject
        self.annotations = annotations
    }

    /// The entries whose platform matches `platform`, in index order (the first is the one to use).
    public func manifests(for platform: Platform) -> [Descriptor] {
        manifests.filter { $0.platform?.matches(platform) ?? false }
    }

    /// The platforms listed, in index order, for messages ("this index has linux/amd64, linux/arm64/v8").
    public var platforms: [Platform] { manifests.compactMap(\.platform) }
}

/// A decoded manifest of either kind, keeping the exact bytes.
public enum Manifest: Sendable, Hashable {
    /// A single-image manifest.
    case image(ImageManifest)
    /// An index of manifests.
    case index(ImageIndex)

    /// The largest manifest accepted, 4 MiB (the limit distribution registries apply on push).
    public static let maximumSize = 4 * 1024 * 1024
    /// The deepest nesting of indexes a consumer should follow.
    public static let maximumIndexDepth = 8

    /// The exact bytes the manifest was decoded from.
    public var rawBytes: [UInt8] {
        switch self {
        case .image(let m): m.rawBytes
        case .index(let i): i.rawBytes
        }
    }

    /// The effective media type.
    public var mediaType: MediaType {
        switch self {
        case .image(let m): m.mediaType
        case .index(let i): i.mediaType
        }
    }

    /// The `subject` of either kind.
    public var subject: Descriptor? {
        switch self {
        case .image(let m): m.subject
        case .index(let i): i.subject
        }
    }

    /// The `annotations` of either kind.
    public var annotations: [String: String]? {
        switch self {
        case .image(let m): m.annotations
        case .index(let i): i.annotations
        }
    }

    /// The artifact type the referrers API would report for this manifest (for an index: its `artifactType`).
    public var effectiveArtifactType: String? {
        switch self {
        case .image(let m): m.effectiveArtifactType
        case .index(let i): i.artifactType
        }
    }

    /// Decodes a manifest or index from its exact bytes.
    ///
    /// The kind is taken from the `mediaType` field; `contentType` (e.g. an HTTP `Content-Type` or the media type
    /// of the descriptor that pointed here) is used when the field is absent, and when both are present they must
    /// agree. Generic types (`application/json`, `application/octet-stream`, `text/plain`) are ignored. Without
    /// either, the shape decides (`manifests` → index, `config` → manifest; a Docker config type → Docker).
    /// - Parameter onConflict: what to do when the `mediaType` field and `contentType` disagree: reject (the
    ///   distribution-spec rule for served manifests) or trust the content (for bytes already verified against
    ///   their digest, where the pointer's media type is only a hint, as in OCI layouts written by some tools).
    /// - Throws: ``OCIError``: `too_large` over 4 MiB, `malformed_json`, `missing_field`, `wrong_type`,
    ///   `invalid_schema_version`, `unknown_media_type`, `unsupported_media_type` (Docker schema 1),
    ///   `media_type_mismatch`, `malformed_digest`, `negative_size`, `invalid_data`.
    public static func decode(_ bytes: [UInt8], contentType: String? = nil,
                              onConflict: MediaTypeConflictPolicy = .reject) throws -> Manifest {
        guard bytes.count <= maximumSize else {
            throw OCIError(.tooLarge, "manifest is \(bytes.count) bytes; the limit is \(maximumSize) bytes (4 MiB)")
        }
        let raw: RawManifest
        do {
            raw = try JSONDecoder().decode(RawManifest.self, from: Data(bytes))
        } catch {
            throw OCIError.from(error, document: "manifest")
        }
        let given = contentType.map(MediaType.init(contentType:)).flatMap { $0.isGeneric ? nil : $0 }
        let field = raw.mediaType
        if let field, let given, field != given, onConflict == .reject {
            throw OCIError(.mediaTypeMismatch, path: "mediaType",
                           "the manifest says it is \(field) but was served or referenced as \(given)")
        }
        let mediaType: MediaType
        if let t = field ?? given {
            mediaType = t
        } else if raw.schemaVersion == 1 {
            mediaType = .dockerSchema1
        } else if let version = raw.schemaVersion, version != 2 {
            throw OCIError(.invalidSchemaVersion, path: "schemaVersion", "schemaVersion is \(version); it must be 2")
        } else if raw.manifests != nil {
            mediaType = .ociIndex
        } else if let config = raw.config {
            mediaType = config.mediaType == .dockerConfig ? .dockerManifest : .ociManifest
        } else {
            throw OCIError(.unknownMediaType, path: "mediaType",
                           "cannot tell what this document is: it has no mediaType, no config and no manifests")
        }
        if mediaType.isDockerSchema1 {
            throw OCIError(.unsupportedMediaType, path: "mediaType",
                           "Docker schema 1 manifests (\(mediaType)) are not supported: the format is deprecated and its digest does not cover the served bytes; re-push the image as Docker schema 2 or OCI")
        }
        guard mediaType.isManifest else {
            throw OCIError(.unknownMediaType, path: "mediaType",
                           "unknown manifest media type \(quotedForDisplay(mediaType.rawValue)); expected an OCI or Docker schema 2 manifest or index")
        }
        guard let version = raw.schemaVersion else {
            throw OCIError(.missingField, path: "schemaVersion", "required field \"schemaVersion\" is missing from the manifest")
        }
        guard version == 2 else {
            throw OCIError(.invalidSchemaVersion, path: "schemaVersion", "schemaVersion is \(version); it must be 2")
        }
        if mediaType.isIndex {
            guard let manifests = raw.manifests else {
                throw OCIError(.missingField, path: "manifests", "required field \"manifests\" is missing from the index")
            }
            return .index(ImageIndex(rawBytes: bytes, mediaType: mediaType, schemaVersion: version,
                                     artifactType: raw.artifactType, manifests: manifests, subject: raw.subject,
                                     annotations: raw.annotations))
        }
        guard let config = raw.config else {
            throw OCIError(.missingField, path: "config", "required field \"config\" is missing from the manifest")
        }
        return .image(ImageManifest(rawBytes: bytes, mediaType: mediaType, schemaVersion: version,
                                    artifactType: raw.artifactType, config: config, layers: raw.layers ?? [],
                                    subject: raw.subject, annotations: raw.annotations))
    }
}

/// What ``Manifest/decode(_:contentType:onConflict:)`` does when the content's `mediaType` field and the given
/// content type disagree.
public enum MediaTypeConflictPolicy: Sendable, Hashable {
    /// Throw `media_type_mismatch`.
    case reject
    /// Use the content's own `mediaType` field.
    case preferContent
}

/// Every field of either manifest kind, all optional: the document is decoded once, then checked by kind.
private struct RawManifest: Decodable {
    var schemaVersion: Int?
    var mediaType: MediaType?
    var artifactType: String?
    var config: Descriptor?
    var layers: [Descriptor]?
    var manifests: [Descriptor]?
    var subject: Descriptor?
    var annotations: [String: String]?
}

extension MediaType {
    /// Content types that say nothing about which manifest kind a document is.
    var isGeneric: Bool {
        rawValue.isEmpty || rawValue == "application/json" || rawValue == "application/octet-stream"
            || rawValue == "text/plain"
    }
}
