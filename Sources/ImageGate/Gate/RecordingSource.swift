import Foundation
import OCIImage
import RegistryAccess

/// A ``ContentSource`` that passes every call through and remembers what was read — manifests, blobs, the
/// descriptor each tag resolved to, referrers answers — so that an evidence package can hold exactly what the
/// decision rested on, as an OCI image layout.
public final class RecordingSource: ContentSource, @unchecked Sendable {
    /// The source read from.
    public let inner: any ContentSource
    private let lock = NSLock()
    private var manifests: [Digest: FetchedManifest] = [:]
    private var blobs: [Digest: [UInt8]] = [:]
    private var tagged: [String: Descriptor] = [:]

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// Records what is read from `inner`.
    public init(_ inner: any ContentSource) { self.inner = inner }

    /// The description of the source read from.
    public var sourceDescription: String { inner.sourceDescription }

    /// Passes through; a tag resolution is recorded under `repository:tag`.
    public func resolve(_ reference: ImageReference) async throws -> Descriptor {
        let descriptor = try await inner.resolve(reference)
        if reference.digest == nil {
            let name = reference.repository.name + ":" + (reference.tag ?? ImageReference.defaultTag)
            locked { tagged[name] = descriptor }
        }
        return descriptor
    }

    /// Passes through and records the manifest.
    public func manifest(_ repository: ImageReference, digest: Digest, expectedSize: Int64?,
                         mediaType: MediaType?) async throws -> FetchedManifest {
        let fetched = try await inner.manifest(repository, digest: digest, expectedSize: expectedSize, mediaType: mediaType)
        locked { manifests[digest] = fetched }
        return fetched
    }

    /// Passes through and records the blob.
    public func blob(_ repository: ImageReference, digest: Digest, expectedSize: Int64?, maxSize: Int) async throws -> [UInt8] {
        let bytes = try await inner.blob(repository, digest: digest, expectedSize: expectedSize, maxSize: maxSize)
        locked { blobs[digest] = bytes }
        return bytes
    }

    /// Passes through.
    public func tags(_ repository: ImageReference) async throws -> [String] { try await inner.tags(repository) }

    /// Passes through; the referrer manifests themselves are recorded when they are fetched.
    public func referrers(_ repository: ImageReference, subject: Digest, artifactType: String?) async throws -> ImageIndex? {
        try await inner.referrers(repository, subject: subject, artifactType: artifactType)
    }

    /// What was recorded: manifests (with their bytes), blobs, and tag resolutions (`repository:tag` → descriptor).
    public func recorded() -> (manifests: [FetchedManifest], blobs: [(Digest, [UInt8])], tags: [(String, Descriptor)]) {
        locked {
            (manifests.values.sorted { $0.digest.string < $1.digest.string },
             blobs.sorted { $0.key.string < $1.key.string }.map { ($0.key, $0.value) },
             tagged.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        }
    }
}
