// Manifests, image indexes and OCI layouts' index.json (OCIImage): bytes from registries and layout folders.
import FuzzSupport
import Foundation
@testable import OCIImage

private let linuxAmd64 = Platform(os: "linux", architecture: "amd64")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        // As served (no content type), as an OCI layout's index.json, and as a manifest a descriptor pointed to.
        let kinds: [(String?, MediaTypeConflictPolicy)] = [
            (nil, .reject), (MediaType.ociIndex.rawValue, .reject), (MediaType.ociManifest.rawValue, .preferContent),
        ]
        for (contentType, policy) in kinds {
            guard let manifest = try? Manifest.decode(bytes, contentType: contentType, onConflict: policy) else { continue }
            // Decoding is a pure function of the bytes.
            let again = try? Manifest.decode(bytes, contentType: contentType, onConflict: policy)
            invariant(again?.mediaType == manifest.mediaType, "decoding the same bytes twice gave different media types")
            invariant(manifest.mediaType.isManifest && !manifest.mediaType.isDockerSchema1, "accepted media type \(manifest.mediaType)")
            var descriptors: [Descriptor] = []
            switch manifest {
            case .image(let image):
                invariant(image.rawBytes == bytes, "the manifest does not keep its exact bytes")
                invariant(image.schemaVersion == 2, "schemaVersion \(image.schemaVersion) accepted")
                descriptors = [image.config] + image.layers
            case .index(let index):
                invariant(index.rawBytes == bytes, "the index does not keep its exact bytes")
                descriptors = index.manifests
                let chosen = index.manifests(for: linuxAmd64)
                invariant(chosen.allSatisfy { chosenOne in index.manifests.contains(chosenOne) }, "platform choice invented a descriptor")
                // index.json tags: the layout reads the ref.name annotation as a tag or a full reference.
                for descriptor in index.manifests {
                    if let name = descriptor.annotations?["org.opencontainers.image.ref.name"] {
                        _ = try? ImageReference.parse(name)
                    }
                }
            }
            if let subject = manifest.subject { descriptors.append(subject) }
            for descriptor in descriptors {
                invariant(descriptor.size >= 0, "negative size \(descriptor.size) accepted")
                invariant((try? Digest(validating: descriptor.digest.string)) == descriptor.digest,
                          "descriptor digest \(descriptor.digest.string.debugDescription) does not re-validate")
                // A descriptor written back out reads back the same.
                if let json = try? JSONEncoder().encode(descriptor) {
                    let decoded = try? Descriptor.decode([UInt8](json))
                    invariant(decoded == descriptor, "descriptor JSON round trip changed \(descriptor.digest)")
                }
            }
        }
        _ = try? Descriptor.decode(bytes)
    }
}
