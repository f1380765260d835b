import Foundation
import OCIImage

/// A ``ContentSource`` over an OCI image layout directory: `oci-layout` (`imageLayoutVersion` 1.x), `index.json`
/// (an image index) and `blobs/<alg>/<encoded>`, as written by `cosign save`, `skopeo copy … oci:DIR:TAG`,
/// `oras`, `crane`, buildkit and go-containerregistry.
///
/// - Tags come from the `org.opencontainers.image.ref.name` annotation of `index.json` entries: a plain tag
///   (`latest`) belongs to every repository; a full reference (`ghcr.io/org/app:v1`, as some tools write it, also
///   in `io.containerd.image.name`) only to its own repository.
/// - `cosign save` marks entries with `kind` annotations instead of tags; for such a layout with one image, the
///   signature, attestation and SBOM entries are also reachable as cosign's tags `sha256-<hex>.sig`, `.att`,
///   `.sbom` of that image, exactly as in a registry.
/// - Every blob read is checked against its digest (and the size its descriptor states); a tampered blob is a
///   `digest_mismatch` / `size_mismatch` naming the digest and the file. Digests are validated before a path is
///   formed from them, so no input can reach outside `blobs/`. Only regular files are read, with size limits.
/// - ``referrers(_:subject:artifactType:)`` answers from the manifests listed in `index.json` whose `subject` is the
///   digest plus the referrers-tag index (`sha256-<hex>`) if the layout has one, so it never returns nil.
public struct OCILayoutSource: ContentSource {
    /// Size and count limits for reading a layout.
    public struct Limits: Sendable, Hashable {
        /// The largest manifest or `index.json` read (default 4 MiB).
        public var maxManifestSize: Int
        /// The deepest nesting of indexes followed when looking for a digest (default 8).
        public var maxIndexDepth: Int
        /// The most index entries visited in one search (default 10 000).
        public var maxEntriesVisited: Int

        /// Creates limits; the defaults suit any real layout.
        public init(maxManifestSize: Int = Manifest.maximumSize, maxIndexDepth: Int = Manifest.maximumIndexDepth,
                    maxEntriesVisited: Int = 10_000) {
            self.maxManifestSize = maxManifestSize
            self.maxIndexDepth = maxIndexDepth
            self.maxEntriesVisited = maxEntriesVisited
        }
    }

    /// The `kind` annotation `cosign save` puts on `index.json` entries.
    public static let cosignKindAnnotation = "kind"
    /// containerd's / buildkit's full image name annotation.
    public static let containerdNameAnnotation = "io.containerd.image.name"

    /// The layout directory.
    public let path: String
    /// The decoded `index.json`.
    public let index: ImageIndex
    /// The limits in force.
    public let limits: Limits

    /// A short description for messages.
    public var sourceDescription: String { "OCI layout \(path)" }

    /// Opens the layout at `path`: checks `oci-layout`, decodes `index.json`, checks that `blobs/` exists.
    /// - Throws: ``RegistryError`` `layout_invalid` naming the file and the problem, `io_error`, `too_large`.
    public init(path: String, limits: Limits = Limits()) throws {
        self.path = path
        self.limits = limits
        guard FileReading.isDirectory(path) else {
            throw RegistryError(.layoutInvalid, "\(path) is not a directory; an OCI image layout is a directory holding oci-layout, index.json and blobs/",
                                location: path)
        }
        let layoutFile = path + "/oci-layout"
        guard case .bytes(let header) = try FileReading.readFile(layoutFile, maxSize: 64 * 1024, what: "oci-layout") else {
            throw RegistryError(.layoutInvalid, "\(path) is not an OCI image layout: oci-layout is missing", location: layoutFile)
        }
        struct Header: Decodable { let imageLayoutVersion: String }
        guard let version = try? JSONDecoder().decode(Header.self, from: Data(header)).imageLayoutVersion else {
            throw RegistryError(.layoutInvalid, "\(layoutFile) must be a JSON object with a string imageLayoutVersion",
                                location: layoutFile)
        }
        guard version.hasPrefix("1.") else {
            throw RegistryError(.layoutInvalid, "\(layoutFile) has imageLayoutVersion \"\(version)\"; only 1.x layouts are supported",
                                location: layoutFile)
        }
        let indexFile = path + "/index.json"
        guard case .bytes(let indexBytes) = try FileReading.readFile(indexFile, maxSize: limits.maxManifestSize,
                                                                     what: "index.json") else {
            throw RegistryError(.layoutInvalid, "\(path) is not an OCI image layout: index.json is missing", location: indexFile)
        }
        do {
            guard case .index(let index) = try Manifest.decode(indexBytes, contentType: MediaType.ociIndex.rawValue) else {
                throw RegistryError(.layoutInvalid, "\(indexFile) is an image manifest; it must be an image index",
                                    location: indexFile)
            }
            self.index = index
        } catch let e as OCIError {
            throw RegistryError(.layoutInvalid, "\(indexFile) is not a valid image index: \(e) [\(e.code.rawValue)]",
                                location: indexFile)
        }
        guard FileReading.isDirectory(path + "/blobs") else {
            throw RegistryError(.layoutInvalid, "\(path) is not an OCI image layout: blobs/ is missing", location: path + "/blobs")
        }
    }

    // MARK: - Paths

    /// The file of `digest` under `blobs/`, formed only from a validated digest (lowercase hex of the algorithm's
    /// length, algorithm one of sha256/sha384/sha512), so it can never point outside the layout.
    public func blobPath(_ digest: Digest) throws -> String {
        _ = try ContentVerifier.hashAlgorithm(for: digest)
        return path + "/blobs/" + digest.algorithm + "/" + digest.encoded
    }

    // MARK: - Tags

    /// The tag an index entry carries for `repository`, if any.
    func tag(of entry: Descriptor, for repository: ImageReference) -> String? {
        if let name = entry.refName, let tag = Self.tagPart(name, repository: repository) { return tag }
        if let name = entry.annotations?[Self.containerdNameAnnotation],
           let tag = Self.tagPart(name, repository: repository) { return tag }
        return nil
    }

    /// A plain tag as is; a full reference's tag when its repository is `repository`.
    static func tagPart(_ name: String, repository: ImageReference) -> String? {
        if !name.contains("/"), !name.contains(":"), !name.contains("@"),
           (try? repository.repository.withTag(name)) != nil {
            return name
        }
        guard let ref = try? ImageReference(normalizing: name), let tag = ref.tag,
              ref.name == repository.name else { return nil }
        return tag
    }

    /// The entries `cosign save` marked with `kind`.
    func cosignEntries(_ kind: String) -> [Descriptor] {
        index.manifests.filter { $0.annotations?[Self.cosignKindAnnotation] == "dev.cosignproject.cosign/" + kind }
    }

    /// The image `cosign save` stored (the one entry marked `image` or `imageIndex`), if the layout is one.
    func cosignImage() -> Descriptor? {
        let images = cosignEntries("image") + cosignEntries("imageIndex")
        return images.count == 1 ? images[0] : nil
    }

    /// cosign's tag names for the signature, attestation and SBOM entries of a `cosign save` layout.
    func cosignTags() -> [(tag: String, entry: Descriptor)] {
        guard let image = cosignImage() else { return [] }
        var out: [(String, Descriptor)] = []
        for (kind, suffix) in [("sigs", "sig"), ("atts", "att"), ("sboms", "sbom")] {
            if let entry = cosignEntries(kind).first {
                out.append((image.digest.cosignTag(suffix: suffix), entry))
            }
        }
        return out
    }

    /// The entries tagged `tag` for `repository` (explicit tags first, then cosign's synthesized ones).
    func entries(tagged tag: String, repository: ImageReference) -> [Descriptor] {
        let explicit = index.manifests.filter { self.tag(of: $0, for: repository) == tag }
        if !explicit.isEmpty { return explicit }
        return cosignTags().filter { $0.tag == tag }.map(\.entry)
    }

    /// The tags of `repository`, sorted: `ref.name` tags and, for `cosign save` layouts, cosign's tags.
    public func tags(_ repository: ImageReference) async throws -> [String] {
        var tags = Set(index.manifests.compactMap { tag(of: $0, for: repository) })
        for (tag, _) in cosignTags() { tags.insert(tag) }
        return tags.sorted()
    }

    /// The image this layout holds when there is exactly one: the entry `cosign save` marked as the image, else the
    /// only entry that is not a signature, attestation, SBOM or referrers index. Nil when there is none or several.
    public func primaryImage() -> Descriptor? {
        if let image = cosignImage() { return image }
        let candidates = index.manifests.filter { entry in
            if entry.annotations?[Self.cosignKindAnnotation]?.hasPrefix("dev.cosignproject.cosign/") == true { return false }
            if let name = entry.refName, name.hasSuffix(".sig") || name.hasSuffix(".att") || name.hasSuffix(".sbom") { return false }
            if let name = entry.refName, Self.isReferrersTag(name) { return false }
            return entry.mediaType.isManifest || entry.mediaType == .ociDescriptor
        }
        return Set(candidates.map(\.digest)).count == 1 ? candidates[0] : nil
    }

    /// Whether `name` has the referrers-tag shape `<alg>-<64 hex>`.
    static func isReferrersTag(_ name: String) -> Bool {
        guard let dash = name.firstIndex(of: "-") else { return false }
        let hex = name[name.index(after: dash)...]
        return hex.count == 64 && hex.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    // MARK: - ContentSource

    /// Resolves a digest (searching `index.json` and nested indexes, then `blobs/`) or a tag (default `latest`).
    public func resolve(_ reference: ImageReference) async throws -> Descriptor {
        if let digest = reference.digest {
            if let found = try findDescriptor(digest) { return found }
            // Not listed in any index: a manifest may still be stored as a blob.
            let fetched = try manifest(reference, digest: digest, expectedSize: nil, mediaType: nil,
                                       missing: .manifestUnknown)
            return fetched.descriptor
        }
        let tag = reference.tag ?? ImageReference.defaultTag
        let matches = entries(tagged: tag, repository: reference)
        guard let first = matches.first else {
            let known = try await tags(reference)
            let hint = known.isEmpty ? "the layout has no tags; name the image by digest (name@sha256:…)"
                : "tags in this layout: " + known.prefix(10).joined(separator: ", ") + (known.count > 10 ? ", …" : "")
            throw RegistryError(.manifestUnknown, "tag \"\(tag)\" not found for \(reference.name) in \(sourceDescription); \(hint)",
                                location: path + "/index.json")
        }
        guard Set(matches.map(\.digest)).count == 1 else {
            throw RegistryError(.layoutInvalid,
                                "tag \"\(tag)\" names \(Set(matches.map(\.digest)).count) different manifests in \(path)/index.json; the layout is ambiguous",
                                location: path + "/index.json")
        }
        return first
    }

    /// Looks for a descriptor of `digest` in `index.json` and, breadth first, in the indexes it lists.
    func findDescriptor(_ digest: Digest) throws -> Descriptor? {
        if let hit = index.manifests.first(where: { $0.digest == digest }) { return hit }
        var frontier = index.manifests.filter { $0.mediaType.isIndex }
        var visited = Set<Digest>()
        var entriesSeen = index.manifests.count
        var depth = 1
        while !frontier.isEmpty, depth <= limits.maxIndexDepth {
            var next: [Descriptor] = []
            for entry in frontier where visited.insert(entry.digest).inserted {
                let fetched = try manifest(ImageReference.layoutRepository, digest: entry.digest,
                                           expectedSize: entry.size, mediaType: entry.mediaType, missing: .manifestUnknown)
                guard case .index(let nested) = fetched.manifest else { continue }
                entriesSeen += nested.manifests.count
                guard entriesSeen <= limits.maxEntriesVisited else {
                    throw RegistryError(.tooLarge, "\(path) lists more than \(limits.maxEntriesVisited) index entries; refusing to search further",
                                        location: path)
                }
                if let hit = nested.manifests.first(where: { $0.digest == digest }) { return hit }
                next += nested.manifests.filter { $0.mediaType.isIndex }
            }
            frontier = next
            depth += 1
        }
        return nil
    }

    /// Reads, verifies and decodes the manifest with `digest`.
    public func manifest(_ repository: ImageReference, digest: Digest, expectedSize: Int64?,
                         mediaType: MediaType?) async throws -> FetchedManifest {
        try manifest(repository, digest: digest, expectedSize: expectedSize, mediaType: mediaType, missing: .manifestUnknown)
    }

    func manifest(_ repository: ImageReference, digest: Digest, expectedSize: Int64?, mediaType: MediaType?,
                  missing: RegistryError.Code) throws -> FetchedManifest {
        let bytes = try readVerified(digest, expectedSize: expectedSize, maxSize: limits.maxManifestSize,
                                     what: "manifest", missing: missing)
        // The bytes match the digest, so the content's own mediaType is authoritative; the pointer's is a hint.
        let hint = mediaType.flatMap { $0.isManifest ? $0.rawValue : nil }
        do {
            return FetchedManifest(digest: digest,
                                   manifest: try Manifest.decode(bytes, contentType: hint, onConflict: .preferContent))
        } catch let e as OCIError {
            throw RegistryError(.manifestInvalid, "manifest \(digest) in \(sourceDescription) is invalid: \(e) [\(e.code.rawValue)]",
                                digest: digest, location: (try? blobPath(digest)) ?? path)
        }
    }

    /// Reads and verifies the blob with `digest`.
    public func blob(_ repository: ImageReference, digest: Digest, expectedSize: Int64?,
                     maxSize: Int) async throws -> [UInt8] {
        try readVerified(digest, expectedSize: expectedSize, maxSize: maxSize, what: "blob", missing: .blobUnknown)
    }

    /// Reads `blobs/<alg>/<hex>` (size-limited) and verifies it against the digest and expected size.
    func readVerified(_ digest: Digest, expectedSize: Int64?, maxSize: Int, what: String,
                      missing: RegistryError.Code) throws -> [UInt8] {
        let file = try blobPath(digest)
        if let expectedSize, expectedSize > Int64(maxSize) {
            throw RegistryError(.tooLarge, "\(what) \(digest) is \(expectedSize) bytes by its descriptor; the limit is \(maxSize)",
                                digest: digest, location: file)
        }
        switch try FileReading.readFile(file, maxSize: maxSize, what: "\(what) \(digest)", digest: digest) {
        case .missing:
            throw RegistryError(missing, "\(what) \(digest) is not in \(sourceDescription) (no file \(file))",
                                digest: digest, location: file)
        case .bytes(let bytes):
            try ContentVerifier.verify(bytes, digest: digest, expectedSize: expectedSize, location: file)
            return bytes
        }
    }

    /// The manifests in this layout that refer to `subject`: those listed in `index.json` with that `subject`, and
    /// the entries of the referrers-tag index (`<alg>-<hex>`) if present; filtered by `artifactType` when given.
    public func referrers(_ repository: ImageReference, subject: Digest,
                          artifactType: String?) async throws -> ImageIndex? {
        var found: [Descriptor] = []
        var seen = Set<Digest>()
        for entry in index.manifests where entry.mediaType.isImageManifest && entry.digest != subject {
            let fetched = try manifest(repository, digest: entry.digest, expectedSize: entry.size,
                                       mediaType: entry.mediaType, missing: .manifestUnknown)
            guard fetched.manifest.subject?.digest == subject, seen.insert(entry.digest).inserted else { continue }
            var d = fetched.descriptor
            d.artifactType = fetched.manifest.effectiveArtifactType
            d.annotations = fetched.manifest.annotations
            found.append(d)
        }
        let tagEntries = entries(tagged: subject.referrersTag, repository: repository)
        if let tagEntry = tagEntries.first {
            let fetched = try manifest(repository, digest: tagEntry.digest, expectedSize: tagEntry.size,
                                       mediaType: tagEntry.mediaType, missing: .manifestUnknown)
            if case .index(let tagIndex) = fetched.manifest {
                for var d in tagIndex.manifests where seen.insert(d.digest).inserted {
                    if d.artifactType == nil, d.mediaType.isManifest {
                        // Some writers omit artifactType in the tag index; the manifest itself says what it is.
                        let referrer = try manifest(repository, digest: d.digest, expectedSize: d.size,
                                                    mediaType: d.mediaType, missing: .manifestUnknown)
                        d.artifactType = referrer.manifest.effectiveArtifactType
                    }
                    found.append(d)
                }
            }
        }
        if let artifactType { found = found.filter { $0.artifactType == artifactType } }
        return ImageIndex(manifests: found)
    }
}

extension ImageReference {
    /// A placeholder repository for layout reads that do not depend on the repository.
    static let layoutRepository = ImageReference.layoutPlaceholder()

    private static func layoutPlaceholder() -> ImageReference {
        // "layout" is a valid repository name, so this cannot fail; a failure would be a broken invariant.
        guard let ref = try? ImageReference.withName("layout") else { preconditionFailure("invalid placeholder") }
        return ref
    }
}
