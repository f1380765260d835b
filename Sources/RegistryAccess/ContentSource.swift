import OCIImage

/// A place to read images and their signatures from: an OCI image layout on disk, or a registry.
///
/// Every method verifies what it returns: manifests and blobs hash to the digest they were asked for and have the
/// expected size, so callers never see unverified bytes. Repositories are ``ImageReference`` values; their tag and
/// digest are ignored where a method takes a digest. Errors are ``RegistryError``; its ``RegistryError/category``
/// separates "does not exist" from "could not tell".
///
/// Signature discovery builds on these five calls: cosign's legacy tags (`sha256-<hex>.sig` / `.att`) through
/// ``resolve(_:)`` and ``tags(_:)``, OCI 1.1 referrers through ``referrers(_:subject:artifactType:)``, and the
/// referrers-tag fallback (``OCIImage/Digest/referrersTag``) through ``resolve(_:)`` + ``manifest(_:digest:expectedSize:mediaType:)``.
public protocol ContentSource: Sendable {
    /// A short description for messages, e.g. `OCI layout /tmp/img` or `registry ghcr.io`.
    var sourceDescription: String { get }

    /// The descriptor of the manifest `reference` names: for a digest reference the manifest with that digest (the
    /// digest is authoritative; a tag beside it is ignored), else the manifest the tag (default `latest`) points to
    /// now. The descriptor's size and media type come from the source; fetch the manifest to verify the bytes.
    /// - Throws: ``RegistryError`` `manifest_unknown` when nothing has that tag or digest.
    func resolve(_ reference: ImageReference) async throws -> Descriptor

    /// The manifest with `digest`, verified: the bytes hash to `digest` and, when given, have `expectedSize`.
    /// `mediaType` (e.g. from the descriptor that pointed here) helps decode documents without a `mediaType` field.
    func manifest(_ repository: ImageReference, digest: Digest, expectedSize: Int64?,
                  mediaType: MediaType?) async throws -> FetchedManifest

    /// The blob with `digest`, verified against the digest and, when given, `expectedSize`.
    /// - Throws: ``RegistryError`` `too_large` when it is larger than `maxSize` bytes (checked before reading).
    func blob(_ repository: ImageReference, digest: Digest, expectedSize: Int64?, maxSize: Int) async throws -> [UInt8]

    /// The tags of `repository`, sorted.
    func tags(_ repository: ImageReference) async throws -> [String]

    /// The manifests whose `subject` is `subject` (OCI 1.1 referrers), filtered by `artifactType` when given.
    /// Returns nil when the source has no referrers API, in which case the caller falls back to the referrers tag.
    func referrers(_ repository: ImageReference, subject: Digest, artifactType: String?) async throws -> ImageIndex?
}

/// A manifest fetched from a content source and verified against its digest, with its exact bytes.
public struct FetchedManifest: Sendable, Hashable {
    /// The digest the bytes were verified against.
    public let digest: Digest
    /// The decoded manifest; its `rawBytes` are the exact bytes fetched.
    public let manifest: Manifest

    /// Creates a value from a verified digest and the manifest decoded from the bytes.
    public init(digest: Digest, manifest: Manifest) {
        self.digest = digest
        self.manifest = manifest
    }

    /// The exact bytes.
    public var bytes: [UInt8] { manifest.rawBytes }
    /// The effective media type.
    public var mediaType: MediaType { manifest.mediaType }
    /// A descriptor of this manifest (media type, digest, size; artifact type for image manifests).
    public var descriptor: Descriptor {
        var d = Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
        if case .image(let m) = manifest { d.artifactType = m.artifactType }
        return d
    }
}

extension ContentSource {
    /// The manifest with `digest`, verified (size unknown).
    public func manifest(_ repository: ImageReference, digest: Digest) async throws -> FetchedManifest {
        try await manifest(repository, digest: digest, expectedSize: nil, mediaType: nil)
    }

    /// The manifest `descriptor` points to, verified against its digest and size.
    public func manifest(_ repository: ImageReference, descriptor: Descriptor) async throws -> FetchedManifest {
        try await manifest(repository, digest: descriptor.digest, expectedSize: descriptor.size,
                           mediaType: descriptor.mediaType)
    }

    /// The blob `descriptor` points to, verified; embedded `data` is used (and verified) instead of a fetch.
    public func blob(_ repository: ImageReference, descriptor: Descriptor, maxSize: Int) async throws -> [UInt8] {
        if let data = try ContentVerifier.verifiedEmbeddedData(descriptor) { return data }
        return try await blob(repository, digest: descriptor.digest, expectedSize: descriptor.size, maxSize: maxSize)
    }

    /// The manifest `tag` points to in `repository`, or nil when the tag does not exist (other errors are thrown).
    /// This is the lookup behind cosign's `.sig`/`.att` tags and the referrers-tag fallback.
    public func manifest(_ repository: ImageReference, tag: String) async throws -> FetchedManifest? {
        let tagged: ImageReference
        do {
            tagged = try repository.repository.withTag(tag)
        } catch {
            throw RegistryError(.invalidResponse, "\(tag) is not a valid tag: \(error)")
        }
        let descriptor: Descriptor
        do {
            descriptor = try await resolve(tagged)
        } catch let e as RegistryError where e.code == .manifestUnknown {
            return nil
        }
        return try await manifest(repository, descriptor: descriptor)
    }

    /// The image manifest for `platform` in `index` (the first matching entry, as the OCI spec says), verified.
    /// Follows nested indexes up to ``OCIImage/Manifest/maximumIndexDepth`` levels.
    /// - Throws: ``RegistryError`` `manifest_unknown` naming the platforms the index does have.
    public func platformManifest(_ repository: ImageReference, index: ImageIndex, indexDigest: Digest,
                                 platform: Platform) async throws -> FetchedManifest {
        var current = index
        var currentDigest = indexDigest
        for _ in 0..<Manifest.maximumIndexDepth {
            let candidates = current.manifests(for: platform)
            guard let entry = candidates.first(where: { $0.mediaType.isManifest }) ?? candidates.first else {
                let have = current.platforms.map(\.description)
                throw RegistryError(.manifestUnknown,
                                    "index \(currentDigest) has no manifest for \(platform); it has " +
                                    (have.isEmpty ? "no platform entries" : have.joined(separator: ", ")),
                                    digest: currentDigest)
            }
            let fetched = try await manifest(repository, descriptor: entry)
            switch fetched.manifest {
            case .image: return fetched
            case .index(let nested):
                current = nested
                currentDigest = fetched.digest
            }
        }
        throw RegistryError(.tooLarge, "indexes nested deeper than \(Manifest.maximumIndexDepth) levels under \(indexDigest)",
                            digest: indexDigest)
    }

    /// The referrers of `subject`, using the referrers API when the source has one and otherwise the referrers
    /// tag (`<alg>-<hex>`), filtered by `artifactType` client-side. An absent tag means no referrers.
    public func referrersWithFallback(_ repository: ImageReference, subject: Digest,
                                      artifactType: String? = nil) async throws -> ImageIndex {
        if let index = try await referrers(repository, subject: subject, artifactType: artifactType) {
            return index
        }
        guard let fetched = try await manifest(repository, tag: subject.referrersTag),
              case .index(let index) = fetched.manifest else {
            return ImageIndex(manifests: [])
        }
        guard let artifactType else { return index }
        return ImageIndex(manifests: index.manifests.filter { $0.artifactType == artifactType })
    }
}
