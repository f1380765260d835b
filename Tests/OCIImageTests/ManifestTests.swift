import Foundation
import Testing
@testable import OCIImage

private func fixture(_ name: String) throws -> [UInt8] { [UInt8](try Fixtures.data("oci/manifests/" + name)) }

private func decodeError(_ bytes: [UInt8], contentType: String? = nil) -> OCIError? {
    do {
        _ = try Manifest.decode(bytes, contentType: contentType)
        return nil
    } catch let e as OCIError {
        return e
    } catch {
        return OCIError(.invalidValue, "unexpected error type \(type(of: error)): \(error)")
    }
}

private let hexA = String(repeating: "a", count: 64)

@Suite struct ManifestTests {
    @Test func ociImageSpecManifest() throws {
        let bytes = try fixture("image-spec_manifest_04_Manifest.json")
        guard case .image(let m) = try Manifest.decode(bytes) else { Issue.record("not an image manifest"); return }
        #expect(m.rawBytes == bytes)
        #expect(m.mediaType == .ociManifest && !m.isDocker)
        #expect(m.schemaVersion == 2)
        #expect(m.config.mediaType == .ociConfig && m.config.size == 7023)
        #expect(m.config.digest.string == "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7")
        #expect(m.layers.map(\.size) == [32654, 16724, 73109])
        #expect(m.subject?.digest.string == "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270")
        #expect(m.annotations == ["com.example.key1": "value1", "com.example.key2": "value2"])
        #expect(m.effectiveArtifactType == MediaType.ociConfig.rawValue)
    }

    @Test func artifactManifests() throws {
        guard case .image(let a) = try Manifest.decode(try fixture("image-spec_manifest_07_Artifact-without-config.json")) else {
            Issue.record("not an image manifest"); return
        }
        #expect(a.artifactType == "application/vnd.example+type")
        #expect(a.config.mediaType == .ociEmpty)
        #expect(a.effectiveArtifactType == "application/vnd.example+type")
        for name in ["image-spec_manifest_06_Minimal-artifact.json", "image-spec_manifest_08_Artifact-with-config.json"] {
            guard case .image = try Manifest.decode(try fixture(name)) else { Issue.record("\(name) is not an image manifest"); continue }
        }
    }

    @Test func ociIndexes() throws {
        guard case .index(let i) = try Manifest.decode(try fixture("image-spec_image-index_09_Image-Index.json")) else {
            Issue.record("not an index"); return
        }
        #expect(i.manifests.count == 2)
        #expect(i.platforms.map(\.description) == ["linux/ppc64le", "linux/amd64"])
        let amd64 = try Platform(parsing: "linux/amd64")
        #expect(i.manifests(for: amd64).map(\.digest.string) == ["sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270"])
        #expect(i.manifests(for: try Platform(parsing: "linux/arm64")).isEmpty)

        guard case .index(let nested) = try Manifest.decode(try fixture("image-spec_image-index_10_Image-Index.json")) else {
            Issue.record("not an index"); return
        }
        #expect(nested.manifests[1].mediaType == .ociIndex)
        guard case .index(let layoutIndex) = try Manifest.decode(try fixture("image-spec_image-layout_12_Image-Index.json")) else {
            Issue.record("not an index"); return
        }
        #expect(layoutIndex.manifests.contains { $0.refName != nil })
    }

    static let containersImage: [(String, String)] = [
        ("oci1.index.zstd-selection.json", MediaType.ociIndex.rawValue),
        ("oci1index.json", MediaType.ociIndex.rawValue),
        ("ocilist-variants.json", MediaType.ociIndex.rawValue),
        ("ociv1.image.index.json", MediaType.ociIndex.rawValue),
        ("ociv1.manifest.json", MediaType.ociManifest.rawValue),
        ("ociv1nomime.manifest.json", MediaType.ociManifest.rawValue),
        ("schema2list-variants.json", MediaType.dockerManifestList.rawValue),
        ("schema2list.json", MediaType.dockerManifestList.rawValue),
        ("v2list.manifest.json", MediaType.dockerManifestList.rawValue),
        ("v2s2.manifest.json", MediaType.dockerManifest.rawValue),
        ("v2s2nomime.manifest.json", MediaType.dockerManifest.rawValue),
    ]

    @Test(arguments: containersImage)
    func containersImageFixturesDecode(_ name: String, _ expected: String) throws {
        let bytes = try fixture("containers-image/" + name)
        let m = try Manifest.decode(bytes)
        #expect(m.mediaType.rawValue == expected)
        #expect(m.rawBytes == bytes)
    }

    static let containersImageRejected: [(String, OCIError.Code)] = [
        ("non-json.manifest.json", .malformedJSON),
        ("unknown-version.manifest.json", .invalidSchemaVersion),
        ("v2s1.manifest.json", .unsupportedMediaType),
        ("v2s1-unsigned.manifest.json", .unsupportedMediaType),
        ("ociv1.artifact.json", .malformedDigest),  // config digest "" (and layers null)
    ]

    @Test(arguments: containersImageRejected)
    func containersImageFixturesRejected(_ name: String, _ code: OCIError.Code) throws {
        #expect(decodeError(try fixture("containers-image/" + name))?.code == code)
    }

    @Test func platformVariants() throws {
        guard case .index(let i) = try Manifest.decode(try fixture("containers-image/ocilist-variants.json")) else {
            Issue.record("not an index"); return
        }
        #expect(i.manifests(for: try Platform(parsing: "linux/arm/v7")).first?.digest.string == "sha256:" + String(repeating: "e", count: 64))
        #expect(i.manifests(for: try Platform(parsing: "linux/arm/v6")).first?.digest.string == "sha256:" + String(repeating: "d", count: 64))
        #expect(i.manifests(for: try Platform(parsing: "linux/armel")).first?.digest.string == "sha256:" + String(repeating: "d", count: 64))
    }

    @Test func descriptors() throws {
        let d1 = try Descriptor.decode(try fixture("image-spec_descriptor_01_Content-Descriptor.json"))
        #expect(d1.mediaType == .ociManifest && d1.size == 7682 && d1.urls == nil)
        let d2 = try Descriptor.decode(try fixture("image-spec_descriptor_02_Content-Descriptor.json"))
        #expect(d2.urls == ["https://example.com/example-manifest"])
        let d3 = try Descriptor.decode(try fixture("image-spec_descriptor_03_Content-Descriptor.json"))
        #expect(d3.artifactType == "application/vnd.example.sbom.v1")
        let empty = try Descriptor.decode(try fixture("image-spec_manifest_05_empty-config.json"))
        #expect(empty.mediaType == .ociEmpty && empty.data == Array("{}".utf8) && empty.size == 2)
        let roundTrip = try JSONDecoder().decode(Descriptor.self, from: try JSONEncoder().encode(empty))
        #expect(roundTrip == empty)
    }

    // MARK: - Mistakes and attacks

    static func manifest(config: String, layers: String = "[]", extra: String = "") -> [UInt8] {
        Array("""
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":\(config),"layers":\(layers)\(extra)}
            """.utf8)
    }
    static let goodConfig = #"{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:\#(hexA)","size":2}"#

    @Test func negativeSizeRejected() {
        let e = decodeError(Self.manifest(config: #"{"mediaType":"x/y","digest":"sha256:\#(hexA)","size":-1}"#))
        #expect(e?.code == .negativeSize)
        #expect(e?.path == "config.size")
        let layer = decodeError(Self.manifest(config: Self.goodConfig,
                                              layers: #"[{"mediaType":"x/y","digest":"sha256:\#(hexA)","size":1},{"mediaType":"x/y","digest":"sha256:\#(hexA)","size":-5}]"#))
        #expect(layer?.code == .negativeSize && layer?.path == "layers[1].size")
    }

    @Test func malformedDigestsRejected() {
        for digest in ["sha256:ABC", "sha256:" + String(repeating: "A", count: 64), "sha256:../../x", "", "md5"] {
            let e = decodeError(Self.manifest(config: #"{"mediaType":"x/y","digest":"\#(digest)","size":1}"#))
            #expect(e?.code == .malformedDigest, "\(digest)")
            #expect(e?.path == "config.digest", "\(digest)")
        }
    }

    @Test func missingAndMistypedFields() {
        #expect(decodeError(Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}"#.utf8))?.code == .missingField)
        let noDigest = decodeError(Self.manifest(config: #"{"mediaType":"x/y","size":1}"#))
        #expect(noDigest?.code == .missingField && noDigest?.path == "config.digest")
        let stringSize = decodeError(Self.manifest(config: #"{"mediaType":"x/y","digest":"sha256:\#(hexA)","size":"1"}"#))
        #expect(stringSize?.code == .wrongType && stringSize?.path == "config.size")
        #expect(decodeError(Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json"}"#.utf8))?.code == .missingField)
        #expect(decodeError(Array(#"{"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#.utf8))?.code == .missingField)
        #expect(decodeError(Array("[1,2]".utf8))?.code == .malformedJSON)
        #expect(decodeError(Array("".utf8))?.code == .malformedJSON)
        #expect(decodeError(Array(#"{"schemaVersion":3,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#.utf8))?.code == .invalidSchemaVersion)
    }

    @Test func mediaTypeRules() throws {
        let index = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#.utf8)
        #expect(decodeError(index, contentType: "application/vnd.oci.image.manifest.v1+json")?.code == .mediaTypeMismatch)
        #expect(decodeError(index, contentType: "application/vnd.oci.image.index.v1+json; charset=utf-8") == nil)
        #expect(decodeError(index, contentType: "application/json") == nil)
        guard case .index = try Manifest.decode(index, contentType: MediaType.ociManifest.rawValue, onConflict: .preferContent) else {
            Issue.record("preferContent should use the field"); return
        }
        let noField = Array(#"{"schemaVersion":2,"manifests":[]}"#.utf8)
        #expect(try Manifest.decode(noField, contentType: MediaType.dockerManifestList.rawValue).mediaType == .dockerManifestList)
        let unknown = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.example.thing+json","manifests":[]}"#.utf8)
        #expect(decodeError(unknown)?.code == .unknownMediaType)
    }

    @Test func tooLargeRejectedBeforeParsing() {
        var big = Self.manifest(config: Self.goodConfig)
        big.removeLast()
        big += Array(#","annotations":{"x":""#.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: Manifest.maximumSize) + Array("\"}}".utf8)
        #expect(decodeError(big)?.code == .tooLarge)
    }

    @Test func embeddedDataChecked() {
        let badBase64 = decodeError(Self.manifest(config: #"{"mediaType":"x/y","digest":"sha256:\#(hexA)","size":2,"data":"!!!"}"#))
        #expect(badBase64?.code == .invalidData)
        let wrongLength = decodeError(Self.manifest(config: #"{"mediaType":"x/y","digest":"sha256:\#(hexA)","size":3,"data":"e30="}"#))
        #expect(wrongLength?.code == .invalidData && wrongLength?.path == "config.data")
    }

    @Test func unknownDescriptorMediaTypesKept() throws {
        let bytes = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.example.future+json","digest":"sha256:\#(hexA)","size":10}]}"#.utf8)
        guard case .index(let i) = try Manifest.decode(bytes) else { Issue.record("not an index"); return }
        #expect(i.manifests.first?.mediaType.rawValue == "application/vnd.example.future+json")
    }

    @Test func platforms() throws {
        #expect(try Platform(parsing: "linux/amd64").description == "linux/amd64")
        #expect(try Platform(parsing: "linux/x86_64").architecture == "amd64")
        #expect(try Platform(parsing: "linux/aarch64").description == "linux/arm64")
        let arm64 = Platform(os: "linux", architecture: "arm64")
        #expect(arm64.matches(try Platform(parsing: "linux/arm64/v8")))
        #expect(arm64.matches(try Platform(parsing: "linux/arm64")))
        #expect(!Platform(os: "linux", architecture: "arm", variant: "v6").matches(try Platform(parsing: "linux/arm/v7")))
        #expect(!arm64.matches(try Platform(parsing: "windows/arm64")))
        for bad in ["linux", "linux/", "/amd64", "a/b/c/d", "linux/amd 64", ""] {
            #expect(throws: OCIError.self, "\(bad)") { try Platform(parsing: bad) }
        }
    }
}
