import Foundation
import Testing
import OCIImage
@testable import RegistryAccess

private let repo = try! ImageReference(normalizing: "example.com/demo/app")

@Suite("OCILayoutSource")
struct OCILayoutSourceTests {
    // MARK: go-containerregistry test_index: tags, mixed media types, nested indexes

    @Test func ggcrTestIndexTags() async throws {
        let layout = try OCILayoutSource(path: LayoutFixtures.ggcr("test_index"))
        #expect(try await layout.tags(repo) == ["1", "2", "3", "4"])
        #expect(layout.index.manifests.count == 4)
    }

    @Test func ggcrTestIndexResolveAndFetch() async throws {
        let layout = try OCILayoutSource(path: LayoutFixtures.ggcr("test_index"))
        // "1": listed as OCI, bytes are a Docker schema 2 manifest; the verified content's own type wins.
        let one = try await layout.resolve(try repo.withTag("1"))
        #expect(one.digest.string == "sha256:eebff607b1628d67459b0596643fc07de70d702eccf030f0bc7bb6fc2b278650")
        let m1 = try await layout.manifest(repo, descriptor: one)
        #expect(m1.mediaType == .dockerManifest)
        #expect(m1.bytes.count == 423)
        guard case .image(let image) = m1.manifest else { Issue.record("not an image"); return }
        let config = try await layout.blob(repo, descriptor: image.config, maxSize: 1 << 20)
        #expect(config.count == 330)
        // "2": descriptor media type application/vnd.oci.descriptor.v1+json.
        let m2 = try await layout.manifest(repo, descriptor: try await layout.resolve(try repo.withTag("2")))
        #expect(m2.mediaType == .dockerManifest)
        // "3": nested OCI index; "4": Docker list whose bytes have no mediaType field.
        let m3 = try await layout.manifest(repo, descriptor: try await layout.resolve(try repo.withTag("3")))
        #expect(m3.mediaType == .ociIndex)
        let m4 = try await layout.manifest(repo, descriptor: try await layout.resolve(try repo.withTag("4")))
        #expect(m4.mediaType == .dockerManifestList)
        guard case .index(let list) = m4.manifest else { Issue.record("not an index"); return }
        #expect(list.manifests.first?.refName == "4")
    }

    @Test func resolveByDigestAndUnknowns() async throws {
        let layout = try OCILayoutSource(path: LayoutFixtures.ggcr("test_index_one_image"))
        let hex = "98ceaf93e482fe91b9bfd6bba07137c098e49ee2d55e69f09fb6c951e75e0e46"
        let d = try await layout.resolve(repo.withDigest(LayoutFixtures.digest(hex)))
        #expect(d.size == 344 && d.mediaType == .ociManifest)
        let fetched = try await layout.manifest(repo, descriptor: d)
        #expect(fetched.mediaType == .ociManifest)  // no mediaType field; the descriptor's type is used
        // A tag when the layout has none.
        let noTag = await registryError { try await layout.resolve(repo) }
        #expect(noTag?.code == .manifestUnknown && noTag?.isNotFound == true)
        #expect(noTag?.message.contains("name the image by digest") == true)
        // A digest that is not there.
        let absent = await registryError {
            try await layout.resolve(repo.withDigest(LayoutFixtures.digest(String(repeating: "0", count: 64))))
        }
        #expect(absent?.code == .manifestUnknown)
        let absentBlob = await registryError {
            try await layout.blob(repo, digest: LayoutFixtures.digest(String(repeating: "1", count: 64)),
                                  expectedSize: nil, maxSize: 100)
        }
        #expect(absentBlob?.code == .blobUnknown && absentBlob?.category == .notFound)
        // A digest whose blob is a config, not a manifest.
        let config = await registryError {
            try await layout.resolve(repo.withDigest(LayoutFixtures.digest("381d958b555884ba59574ab5c066e9f6116b5aec3567675aa13bec63331f0810")))
        }
        #expect(config?.code == .manifestInvalid)
    }

    @Test func nestedIndexSearch() async throws {
        // test_index "3" is an index listing eebff…; the multi layout's platform manifests are only in a nested index.
        let layout = try OCILayoutSource(path: LayoutFixtures.cosignMade("multi"))
        let arm = try await layout.resolve(repo.withDigest(LayoutFixtures.digest("9bdec1ada22949f0b7e52dacc4b1ffb1382ec62f1dfb3a165964314b54b4f4b3")))
        #expect(arm.platform?.description == "linux/arm64")
        let top = try await layout.manifest(repo, descriptor: try #require(layout.primaryImage()))
        guard case .index(let index) = top.manifest else { Issue.record("not an index"); return }
        #expect(index.manifests(for: try Platform(parsing: "linux/amd64")).first?.digest.encoded
                == "3f4c74c806ac8ed798876af09750b985ee7080740cc679de8af2aeddec13d9f1")
    }

    @Test func platformSelection() async throws {
        let layout = try OCILayoutSource(path: LayoutFixtures.cosignMade("multi"))
        let top = try await layout.manifest(repo, descriptor: try #require(layout.primaryImage()))
        guard case .index(let index) = top.manifest else { Issue.record("not an index"); return }
        let arm = try await layout.platformManifest(repo, index: index, indexDigest: top.digest,
                                                    platform: try Platform(parsing: "linux/arm64/v8"))
        #expect(arm.digest.encoded == "9bdec1ada22949f0b7e52dacc4b1ffb1382ec62f1dfb3a165964314b54b4f4b3")
        let missing = await registryError {
            try await layout.platformManifest(repo, index: index, indexDigest: top.digest,
                                              platform: try Platform(parsing: "linux/s390x"))
        }
        #expect(missing?.code == .manifestUnknown)
        #expect(missing?.message.contains("linux/amd64, linux/arm64") == true)
    }

    // MARK: cosign save and OCI 1.1 layouts

    @Test func cosignSaveLayoutExposesCosignTags() async throws {
        let layout = try OCILayoutSource(path: LayoutFixtures.cosignMade("app-v1"))
        let image = "87c3f0200da9d05c2077d2b0d29e61dc3239974f1d826cc51c3bc43ae3e414a9"
        #expect(layout.primaryImage()?.digest.encoded == image)
        #expect(try await layout.tags(repo) == ["sha256-\(image).att", "sha256-\(image).sig"])
        // The signature manifest changes whenever the fixtures are re-signed; take its digest from index.json.
        let sigEntry = try #require(try LayoutFixtures.indexEntries(LayoutFixtures.cosignMade("app-v1"))
            .first { ($0["annotations"] as? [String: String])?["kind"] == "dev.cosignproject.cosign/sigs" })
        let sig = try #require(try await layout.manifest(repo, tag: "sha256-\(image).sig"))
        #expect(sig.digest.string == sigEntry["digest"] as? String)
        guard case .image(let sigManifest) = sig.manifest else { Issue.record("not an image manifest"); return }
        let layer = try #require(sigManifest.layers.first)
        #expect(layer.mediaType == .cosignSimpleSigning)
        let payload = try await layout.blob(repo, descriptor: layer, maxSize: 1 << 20)
        #expect(String(decoding: payload, as: UTF8.self).contains("sha256:\(image)"))
        #expect(try await layout.manifest(repo, tag: "sha256-\(String(repeating: "0", count: 64)).sig") == nil)
        // The image itself resolves by digest.
        let d = try await layout.resolve(repo.withDigest(LayoutFixtures.digest(image)))
        #expect(d.size == 401)
    }

    @Test func unsignedCosignLayoutHasNoSignatureTag() async throws {
        let layout = try OCILayoutSource(path: LayoutFixtures.cosignMade("unsigned"))
        let image = try #require(layout.primaryImage())
        #expect(try await layout.manifest(repo, tag: image.digest.cosignTag(suffix: "sig")) == nil)
    }

    @Test func oci11ReferrersFromTagIndex() async throws {
        let layout = try OCILayoutSource(path: LayoutFixtures.cosignMade("oci11"))
        let subject = LayoutFixtures.digest("3181817f7c902d6ec1a3327db1c2bfd7207ac1568994242f64a1b7269dfb090c")
        #expect(try await layout.tags(repo) == ["latest", subject.referrersTag])
        #expect(layout.primaryImage()?.digest == subject)
        let referrers = try #require(try await layout.referrers(repo, subject: subject, artifactType: nil))
        // Expected: the entries of the referrers-tag index, read here straight from the files.
        let tagEntry = try #require(try LayoutFixtures.indexEntries(LayoutFixtures.cosignMade("oci11"))
            .first { ($0["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"] == subject.referrersTag })
        let tagIndexDigest = try #require(tagEntry["digest"] as? String)
        let tagIndexFile = LayoutFixtures.cosignMade("oci11") + "/blobs/sha256/" + tagIndexDigest.dropFirst("sha256:".count)
        let tagIndex = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tagIndexFile))) as? [String: Any]
        let expected = (tagIndex?["manifests"] as? [[String: Any]] ?? []).compactMap { $0["digest"] as? String }
        #expect(!expected.isEmpty)
        #expect(referrers.manifests.map(\.digest.string) == expected)
        #expect(referrers.manifests.first?.artifactType == MediaType.cosignSignatureArtifact.rawValue)
        let filtered = try await layout.referrersWithFallback(repo, subject: subject,
                                                              artifactType: MediaType.cosignSignatureArtifact.rawValue)
        #expect(filtered.manifests.count == 1)
        let none = try await layout.referrersWithFallback(repo, subject: subject, artifactType: "application/vnd.example")
        #expect(none.manifests.isEmpty)
        let referrer = try await layout.manifest(repo, descriptor: try #require(referrers.manifests.first))
        #expect(referrer.manifest.subject?.digest == subject)
        // An image with no referrers has an empty list, not an error.
        let other = try await layout.referrers(repo, subject: LayoutFixtures.digest(String(repeating: "a", count: 64)),
                                               artifactType: nil)
        #expect(other?.manifests.isEmpty == true)
    }

    // MARK: Tampering (copies made at run time)

    @Test func tamperedBlobIsDigestMismatchNamingDigestAndFile() async throws {
        let (path, cleanup) = try LayoutFixtures.copy(LayoutFixtures.cosignMade("app-v1"))
        defer { cleanup() }
        let sigEntry = try #require(try LayoutFixtures.indexEntries(path)
            .first { ($0["annotations"] as? [String: String])?["kind"] == "dev.cosignproject.cosign/sigs" })
        let sigHex = String(try #require(sigEntry["digest"] as? String).dropFirst("sha256:".count))
        let file = path + "/blobs/sha256/" + sigHex
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        // Change one character of the signature annotation: same size, different bytes.
        let marker = Array(#""dev.cosignproject.cosign/signature":""#.utf8)
        let start = try #require((0...(bytes.count - marker.count)).first { Array(bytes[$0..<($0 + marker.count)]) == marker })
        let i = start + marker.count + 10
        bytes[i] = bytes[i] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let layout = try OCILayoutSource(path: path)
        let image = try #require(layout.primaryImage())
        let e = await registryError { try await layout.manifest(repo, tag: image.digest.cosignTag(suffix: "sig")) as Any }
        #expect(e?.code == .digestMismatch)
        #expect(e?.category == .integrity)
        #expect(e?.digest?.encoded == sigHex)
        #expect(e?.location == file)
        #expect(e?.message.contains(sigHex) == true && e?.message.contains(file) == true)
    }

    @Test func truncatedOrSwappedBlobs() async throws {
        let (path, cleanup) = try LayoutFixtures.copy(LayoutFixtures.ggcr("test_index"))
        defer { cleanup() }
        let blobs = path + "/blobs/sha256/"
        // Truncate the manifest tagged "1" (423 bytes in its descriptor).
        let one = "eebff607b1628d67459b0596643fc07de70d702eccf030f0bc7bb6fc2b278650"
        let original = try Data(contentsOf: URL(fileURLWithPath: blobs + one))
        try original.prefix(400).write(to: URL(fileURLWithPath: blobs + one))
        let layout = try OCILayoutSource(path: path)
        let truncated = await registryError { try await layout.manifest(repo, descriptor: try await layout.resolve(try repo.withTag("1"))) }
        #expect(truncated?.code == .sizeMismatch && truncated?.location == blobs + one)
        // Swap a blob for another's bytes of the same size (both 423 bytes): the size passes, the digest does not.
        let two = "32589985702551b6c56033bb3334432a0a513bf9d6aceda0f67c42b003850720"
        try original.write(to: URL(fileURLWithPath: blobs + two))
        let swapped = await registryError { try await layout.manifest(repo, descriptor: try await layout.resolve(try repo.withTag("2"))) }
        #expect(swapped?.code == .digestMismatch && swapped?.digest?.encoded == two)
    }

    @Test func tamperedEmbeddedData() async throws {
        let layout = try OCILayoutSource(path: LayoutFixtures.ggcr("test_index"))
        let emptyDigest = LayoutFixtures.digest("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
        let good = Descriptor(mediaType: .ociEmpty, digest: emptyDigest, size: 2, data: Array("{}".utf8))
        #expect(try await layout.blob(repo, descriptor: good, maxSize: 10) == Array("{}".utf8))
        let bad = Descriptor(mediaType: .ociEmpty, digest: emptyDigest, size: 2, data: Array("[]".utf8))
        #expect(await registryError { try await layout.blob(repo, descriptor: bad, maxSize: 10) }?.code == .digestMismatch)
    }

    // MARK: Hostile and malformed layouts

    @Test func digestsCannotEscapeTheLayout() async throws {
        let layout = try OCILayoutSource(path: LayoutFixtures.ggcr("test_index"))
        // A reference digest only checked against the reference grammar (40 hex) is not verifiable.
        let short = try repo.withDigest("sha256:" + String(repeating: "a", count: 40))
        let e1 = await registryError { try await layout.resolve(short) }
        #expect(e1?.code == .digestInvalid)
        let blake = try Digest(validating: "blake3:" + String(repeating: "a", count: 64))
        let e2 = await registryError { try await layout.blob(repo, digest: blake, expectedSize: nil, maxSize: 10) }
        #expect(e2?.code == .digestUnsupported && e2?.isIndeterminate == true)
        #expect(throws: (any Error).self) { try Digest(validating: "sha256:../../../../etc/passwd") }
    }

    @Test func sizeLimitsAndSpecialFiles() async throws {
        let (path, cleanup) = try LayoutFixtures.copy(LayoutFixtures.ggcr("test_index"))
        defer { cleanup() }
        let layout = try OCILayoutSource(path: path)
        let config = LayoutFixtures.digest("6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e")
        let tooLarge = await registryError { try await layout.blob(repo, digest: config, expectedSize: nil, maxSize: 100) }
        #expect(tooLarge?.code == .tooLarge)
        let declaredTooLarge = await registryError { try await layout.blob(repo, digest: config, expectedSize: 1 << 40, maxSize: 1 << 20) }
        #expect(declaredTooLarge?.code == .tooLarge)
        // A FIFO where a blob should be must not hang the reader.
        let fifoHex = String(repeating: "f", count: 64)
        #expect(mkfifo(path + "/blobs/sha256/" + fifoHex, 0o644) == 0)
        let fifo = await registryError { try await layout.blob(repo, digest: LayoutFixtures.digest(fifoHex), expectedSize: nil, maxSize: 100) }
        #expect(fifo?.code == .ioError)
    }

    @Test func malformedLayouts() async throws {
        #expect(await registryError { try OCILayoutSource(path: "/nonexistent/layout") }?.code == .layoutInvalid)
        let (path, cleanup) = try LayoutFixtures.copy(LayoutFixtures.ggcr("test_index_one_image"))
        defer { cleanup() }
        let fm = FileManager.default
        try Data(#"{"imageLayoutVersion":"2.0.0"}"#.utf8).write(to: URL(fileURLWithPath: path + "/oci-layout"))
        #expect(await registryError { try OCILayoutSource(path: path) }?.code == .layoutInvalid)
        try Data(#"{"imageLayoutVersion":1}"#.utf8).write(to: URL(fileURLWithPath: path + "/oci-layout"))
        #expect(await registryError { try OCILayoutSource(path: path) }?.code == .layoutInvalid)
        try fm.removeItem(atPath: path + "/oci-layout")
        #expect(await registryError { try OCILayoutSource(path: path) }?.code == .layoutInvalid)
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: path + "/oci-layout"))
        let index = try Data(contentsOf: URL(fileURLWithPath: path + "/index.json"))
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: path + "/index.json"))
        let badIndex = await registryError { try OCILayoutSource(path: path) }
        #expect(badIndex?.code == .layoutInvalid && badIndex?.message.contains("malformed_json") == true)
        try Data(#"{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"sha256:\#(String(repeating: "a", count: 64))","size":1}}"#.utf8)
            .write(to: URL(fileURLWithPath: path + "/index.json"))
        #expect(await registryError { try OCILayoutSource(path: path) }?.code == .layoutInvalid)
        try index.write(to: URL(fileURLWithPath: path + "/index.json"))
        try fm.removeItem(atPath: path + "/blobs")
        #expect(await registryError { try OCILayoutSource(path: path) }?.code == .layoutInvalid)
    }

    @Test func fullReferenceTagsAndAmbiguity() async throws {
        let (path, cleanup) = try LayoutFixtures.copy(LayoutFixtures.ggcr("test_index_one_image"))
        defer { cleanup() }
        let hex = "98ceaf93e482fe91b9bfd6bba07137c098e49ee2d55e69f09fb6c951e75e0e46"
        let entry = #"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\#(hex)","size":344,"annotations":{"org.opencontainers.image.ref.name":"ghcr.io/org/app:v1"}}"#
        try Data(#"{"schemaVersion":2,"manifests":[\#(entry)]}"#.utf8).write(to: URL(fileURLWithPath: path + "/index.json"))
        let layout = try OCILayoutSource(path: path)
        let app = try ImageReference(normalizing: "ghcr.io/org/app")
        #expect(try await layout.tags(app) == ["v1"])
        #expect(try await layout.tags(repo).isEmpty)
        #expect(try await layout.resolve(try ImageReference(normalizing: "ghcr.io/org/app:v1")).digest.encoded == hex)
        let other = await registryError { try await layout.resolve(try ImageReference(normalizing: "ghcr.io/org/other:v1")) }
        #expect(other?.code == .manifestUnknown)

        // Two entries with the same tag and different digests: ambiguous, never a guess.
        let config = "381d958b555884ba59574ab5c066e9f6116b5aec3567675aa13bec63331f0810"
        let a = #"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\#(hex)","size":344,"annotations":{"org.opencontainers.image.ref.name":"v1"}}"#
        let b = #"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\#(config)","size":452,"annotations":{"org.opencontainers.image.ref.name":"v1"}}"#
        try Data(#"{"schemaVersion":2,"manifests":[\#(a),\#(b)]}"#.utf8).write(to: URL(fileURLWithPath: path + "/index.json"))
        let ambiguous = try OCILayoutSource(path: path)
        #expect(await registryError { try await ambiguous.resolve(try repo.withTag("v1")) }?.code == .layoutInvalid)
        #expect(ambiguous.primaryImage() == nil)
    }
}
