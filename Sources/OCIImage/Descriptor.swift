import Foundation

/// An OCI content descriptor: what a piece of content is, its digest and size, and optional metadata.
///
/// Decoding validates the digest grammar, `size ≥ 0` and base64 `data` (whose length must equal `size`); whether
/// `data` hashes to `digest` is checked by the consumer that hashes (RegistryAccess), as for any fetched content.
public struct Descriptor: Sendable, Hashable, Codable {
    /// The media type of the referenced content.
    public var mediaType: MediaType
    /// The digest of the referenced content's exact bytes.
    public var digest: Digest
    /// The size of the referenced content in bytes (never negative).
    public var size: Int64
    /// Alternate locations of the content (`urls`).
    public var urls: [String]?
    /// Annotations (`annotations`).
    public var annotations: [String: String]?
    /// The content itself, embedded (`data`, base64 in JSON).
    public var data: [UInt8]?
    /// The artifact type of the referenced manifest (`artifactType`).
    public var artifactType: String?
    /// The platform of the referenced image manifest (`platform`, index entries only).
    public var platform: Platform?

    /// The annotation naming a tag (or a full reference) in an OCI layout's `index.json`.
    public static let refNameAnnotation = "org.opencontainers.image.ref.name"

    /// Creates a descriptor.
    public init(mediaType: MediaType, digest: Digest, size: Int64, urls: [String]? = nil,
                annotations: [String: String]? = nil, data: [UInt8]? = nil, artifactType: String? = nil,
                platform: Platform? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.urls = urls
        self.annotations = annotations
        self.data = data
        self.artifactType = artifactType
        self.platform = platform
    }

    private enum CodingKeys: String, CodingKey {
        case mediaType, digest, size, urls, annotations, data, artifactType, platform
    }

    /// Decodes and validates a descriptor; throws ``OCIError`` for a negative size or bad `data`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mediaType = try c.decode(MediaType.self, forKey: .mediaType)
        digest = try c.decode(Digest.self, forKey: .digest)
        size = try c.decode(Int64.self, forKey: .size)
        let here = OCIError.render(decoder.codingPath)
        guard size >= 0 else {
            throw OCIError(.negativeSize, path: here.isEmpty ? "size" : here + ".size",
                           "size is \(size); a descriptor's size must not be negative")
        }
        urls = try c.decodeIfPresent([String].self, forKey: .urls)
        annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations)
        if let text = try c.decodeIfPresent(String.self, forKey: .data) {
            guard let bytes = Data(base64Encoded: text) else {
                throw OCIError(.invalidData, path: here.isEmpty ? "data" : here + ".data", "data is not valid base64")
            }
            guard Int64(bytes.count) == size else {
                throw OCIError(.invalidData, path: here.isEmpty ? "data" : here + ".data",
                               "embedded data is \(bytes.count) bytes but the descriptor's size is \(size)")
            }
            data = [UInt8](bytes)
        } else {
            data = nil
        }
        artifactType = try c.decodeIfPresent(String.self, forKey: .artifactType)
        platform = try c.decodeIfPresent(Platform.self, forKey: .platform)
    }

    /// Encodes the descriptor (`data` as base64; absent fields omitted).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mediaType, forKey: .mediaType)
        try c.encode(digest, forKey: .digest)
        try c.encode(size, forKey: .size)
        try c.encodeIfPresent(urls, forKey: .urls)
        try c.encodeIfPresent(annotations, forKey: .annotations)
        try c.encodeIfPresent(data.map { Data($0).base64EncodedString() }, forKey: .data)
        try c.encodeIfPresent(artifactType, forKey: .artifactType)
        try c.encodeIfPresent(platform, forKey: .platform)
    }

    /// Decodes one descriptor from JSON bytes (e.g. an `application/vnd.oci.descriptor.v1+json` document).
    /// - Throws: ``OCIError`` naming the field.
    public static func decode(_ bytes: [UInt8]) throws -> Descriptor {
        do {
            return try JSONDecoder().decode(Descriptor.self, from: Data(bytes))
        } catch {
            throw OCIError.from(error, document: "descriptor")
        }
    }

    /// The `org.opencontainers.image.ref.name` annotation, if present.
    public var refName: String? { annotations?[Self.refNameAnnotation] }
}
