import Foundation
import OCIImage
import RegistryAccess
import SignatureVerification

/// A signature manifest found for an image, and where it was found.
struct SignatureCandidate: Sendable {
    /// `tag sha256-….sig`, `referrers API`, `referrers tag sha256-…`.
    let source: String
    /// Its cosign layers, each one signature or attestation, with digest-checked payloads.
    var layers: [CosignLayer] = []
    /// Sigstore bundles (cosign v3 referrers), the exact digest-checked bytes.
    var bundles: [[UInt8]] = []
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
    /// Sigstore bundle media types (`application/vnd.dev.sigstore.bundle.v0.3+json`, `…bundle+json;version=0.3`).
    static let bundleMediaTypePrefix = "application/vnd.dev.sigstore.bundle"
    /// The artifact type cosign gives its OCI 1.1 attestation manifests.
    static let cosignAttestationArtifactType = "application/vnd.dev.cosign.artifact.att.v1+json"

    func candidates(for repository: ImageReference, digest: Digest, mode: VerificationPolicy.Evidence) async throws -> [SignatureCandidate] {
        var found: [SignatureCandidate] = []
        let suffix = mode == .signatures ? "sig" : "att"
        let tag = digest.cosignTag(suffix: suffix)
        // The legacy tag and the referrers are independent lookups: over a network they run at the same time.
        async let legacy = legacyTag(repository, tag: tag, digest: digest)
        async let listed = referrers(of: digest, in: repository)
        if let descriptor = try await legacy {
            found.append(try await candidate(repository, manifest: descriptor, source: "tag \(tag)"))
        }
        let wanted = mode == .signatures ? SignatureDiscovery.cosignSignatureArtifactType
                                         : SignatureDiscovery.cosignAttestationArtifactType
        let (referrers, where_) = try await listed
        // The index entry's artifactType is only a hint (cosign writes the config's type there); the manifest decides.
        for descriptor in referrers.prefix(SignatureDiscovery.maximumCandidates) {
            let hint = descriptor.artifactType ?? ""
            guard hint.isEmpty || hint == wanted || hint.hasPrefix(SignatureDiscovery.bundleMediaTypePrefix)
                || hint == "application/vnd.oci.empty.v1+json" else { continue }
            let fetched = try await source.manifest(repository, descriptor: descriptor)
            guard case .image(let manifest) = fetched.manifest else { continue }
            if let subject = manifest.subject, subject.digest != digest { continue }
            let type = manifest.effectiveArtifactType
            if type == wanted {
                found.append(try await candidate(repository, manifest: descriptor, source: where_))
            } else if type.hasPrefix(SignatureDiscovery.bundleMediaTypePrefix) {
                // cosign v3: exactly one layer holding a Sigstore bundle.
                let layers = manifest.layers.filter { $0.mediaType.rawValue.hasPrefix(SignatureDiscovery.bundleMediaTypePrefix) }
                guard layers.count == 1, let layer = layers.first else { continue }
                let bytes = try await source.blob(repository, descriptor: layer, maxSize: SignatureDiscovery.maximumLayerSize)
                found.append(SignatureCandidate(source: "\(where_) (Sigstore bundle)", bundles: [bytes]))
            }
        }
        return found
    }

    /// The referrers of `digest`: from the referrers API when the source has one, else from the referrers tag.
    private func referrers(of digest: Digest, in repository: ImageReference) async throws -> ([Descriptor], String) {
        if let index = try await source.referrers(repository, subject: digest, artifactType: nil) {
            return (index.manifests, "referrers API")
        }
        guard let indexDescriptor = try await resolveIfPresent(repository, tag: digest.referrersTag) else {
            return ([], "referrers API")
        }
        let fetched = try await source.manifest(repository, descriptor: indexDescriptor)
        guard case .index(let index) = fetched.manifest else { return ([], "referrers tag \(digest.referrersTag)") }
        return (index.manifests, "referrers tag \(digest.referrersTag)")
    }

    /// The manifest the legacy cosign tag points to; nil when there is none, or when the digest can have none (a
    /// sha512 digest's tag would be too long to be a tag: only its referrers are looked at).
    private func legacyTag(_ repository: ImageReference, tag: String, digest: Digest) async throws -> Descriptor? {
        guard digest.hasCosignTags else { return nil }
        return try await resolveIfPresent(repository, tag: tag)
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

extension SigstoreBundle {
    /// The predicate type of the in-toto statement a DSSE bundle carries; nil for message signatures or an
    /// unreadable statement (the verifier then rejects it with a precise reason).
    var dsseStatementPredicateType: String? {
        guard case .dsseEnvelope(let envelope) = content, envelope.payloadType == DSSEEnvelope.inTotoPayloadType,
              let statement = try? InTotoStatement(json: envelope.payload)
        else { return nil }
        return statement.predicateType
    }
}
