import Foundation
import OCIImage
import RegistryAccess
import SignatureVerification

/// A signature manifest found for an image, and where it was found.
struct SignatureCandidate: Sendable {
    /// `tag sha256-….sig`, `referrers API`, `referrers tag sha256-…`.
    let source: String
    /// Its layers, each one signature or attestation, with digest-checked payloads.
    let layers: [CosignLayer]
}

/// Finds every signature or attestation cosign and its peers write for an image digest: the legacy `.sig` / `.att`
/// tags, and OCI 1.1 referrers (the API when the source has it, else the `sha256-<hex>` referrers tag).
struct SignatureDiscovery: Sendable {
    let source: any ContentSource

    /// The largest signature payload or envelope read (cosign's are a few KiB).
    static let maximumLayerSize = 4 << 20
    /// At most this many referrers or layers are looked at per image (hostile registries).
    static let maximumCandidates = 64

    /// The artifact type cosign gives its OCI 1.1 signature manifests.
    static let cosignSignatureArtifactType = "application/vnd.dev.cosign.artifact.sig.v1+json"
    /// The artifact type cosign gives its OCI 1.1 attestation manifests.
    static let cosignAttestationArtifactType = "application/vnd.dev.cosign.artifact.att.v1+json"

    func candidates(for repository: ImageReference, digest: Digest, mode: ImagePolicy.Mode) async throws -> [SignatureCandidate] {
        var found: [SignatureCandidate] = []
        let suffix = mode == .signatures ? "sig" : "att"
        let tag = digest.cosignTag(suffix: suffix)
        if let descriptor = try await resolveIfPresent(repository, tag: tag) {
            found.append(try await candidate(repository, manifest: descriptor, source: "tag \(tag)"))
        }
        let wanted = mode == .signatures ? SignatureDiscovery.cosignSignatureArtifactType
                                         : SignatureDiscovery.cosignAttestationArtifactType
        var referrers: [Descriptor] = []
        var where_ = "referrers API"
        if let index = try await source.referrers(repository, subject: digest, artifactType: nil) {
            referrers = index.manifests
        } else if let indexDigest = try await resolveIfPresent(repository, tag: digest.referrersTag) {
            where_ = "referrers tag \(digest.referrersTag)"
            let fetched = try await source.manifest(repository, descriptor: indexDigest)
            if case .index(let index) = fetched.manifest { referrers = index.manifests }
        }
        for descriptor in referrers.prefix(SignatureDiscovery.maximumCandidates) {
            if let type = descriptor.artifactType, type != wanted { continue }
            let fetched = try await source.manifest(repository, descriptor: descriptor)
            guard case .image(let manifest) = fetched.manifest else { continue }
            guard manifest.effectiveArtifactType == wanted else { continue }
            if let subject = manifest.subject, subject.digest != digest { continue }
            found.append(try await candidate(repository, manifest: descriptor, source: where_))
        }
        return found
    }

    /// The manifest a tag points to, or nil when there is no such tag ("not found" is an answer; any other error
    /// means the source could not tell, and propagates).
    private func resolveIfPresent(_ repository: ImageReference, tag: String) async throws -> Descriptor? {
        do {
            return try await source.resolve(try repository.withTag(tag))
        } catch let error as RegistryError where error.category == .notFound {
            return nil
        }
    }

    private func candidate(_ repository: ImageReference, manifest descriptor: Descriptor, source where_: String) async throws -> SignatureCandidate {
        let fetched = try await source.manifest(repository, descriptor: descriptor)
        guard case .image(let manifest) = fetched.manifest else {
            throw RegistryError(.manifestInvalid, "the signature manifest \(descriptor.digest) (\(where_)) is an index, not an image manifest")
        }
        var layers: [CosignLayer] = []
        for layer in manifest.layers.prefix(SignatureDiscovery.maximumCandidates) {
            let payload = try await source.blob(repository, descriptor: layer, maxSize: SignatureDiscovery.maximumLayerSize)
            layers.append(CosignLayer(mediaType: layer.mediaType.rawValue, payload: payload, annotations: layer.annotations ?? [:]))
        }
        return SignatureCandidate(source: where_, layers: layers)
    }
}
