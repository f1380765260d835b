import Foundation
import TestSupport
import Testing
@testable import ImageGate

/// The package root.
let packageRoot = PackagePaths.root
let imagesDir = PackagePaths.testdata("images")

/// The digests the fixture script recorded, by fixture name (testdata/images/EXPECTED.cosign.txt).
let fixtureDigests: [String: String] = {
    let text = (try? String(contentsOf: imagesDir.appendingPathComponent("EXPECTED.cosign.txt"), encoding: .utf8)) ?? ""
    var digests: [String: String] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        let fields = line.split(separator: " ")
        guard fields.count >= 2, let at = fields[1].firstIndex(of: "@") else { continue }
        digests[String(fields[0])] = String(fields[1][fields[1].index(after: at)...])
    }
    return digests
}()

func signerKey(_ name: String = "signer") throws -> PublicKey {
    try PublicKey(pem: String(contentsOf: imagesDir.appendingPathComponent("keys/\(name).pub"), encoding: .utf8))
}

func keyPolicy(_ name: String = "signer", annotations: [String: String] = [:], mode: VerificationPolicy.Evidence = .signatures,
               platform: Platform? = nil, allowTags: Bool = false) throws -> VerificationPolicy {
    try VerificationPolicy(trust: .init(), signers: .keys([try signerKey(name)]), evidence: mode,
                           requiredAnnotations: annotations, insecureIgnoreTransparencyLog: true, allowTags: allowTags,
                           indexTarget: platform.map { .platform($0) } ?? .index)
}

func verify(layout: String, fixture: String? = nil, policy: ImagePolicy, layoutRoot: URL? = nil,
            reference: String? = nil) async throws -> SubjectVerdict {
    let name = fixture ?? layout
    let digest = try #require(fixtureDigests[name == "app-v1-attestation" ? "app-v1" : name], "no digest recorded for \(name)")
    let dir = (layoutRoot ?? imagesDir.appendingPathComponent("layouts")).appendingPathComponent(layout)
    let verifier = try ImageVerifier(source: try OCILayoutSource(path: dir.path), policy: policy)
    return await verifier.verify(reference: reference ?? "127.0.0.1:5077/demo/\(layout)@\(digest)", at: Date())
}

struct Expectation: Sendable, CustomStringConvertible {
    let layout: String
    let decision: Decision
    let reason: ReasonCode?
    let failedCheck: ReasonCode?
    var description: String { "\(layout) → \(decision)" }
}

@Test(arguments: [
    Expectation(layout: "app-v1", decision: .pass, reason: nil, failedCheck: nil),
    Expectation(layout: "app-v2", decision: .pass, reason: nil, failedCheck: nil),       // signed by skopeo 1.18
    Expectation(layout: "oci11", decision: .pass, reason: nil, failedCheck: nil),        // OCI 1.1 referrers tag
    Expectation(layout: "multi", decision: .pass, reason: nil, failedCheck: nil),        // index signed
    Expectation(layout: "unsigned", decision: .fail, reason: .noSignaturesFound, failedCheck: nil),
    Expectation(layout: "other", decision: .fail, reason: .noMatchingSignature, failedCheck: .keyMismatch),
    Expectation(layout: "replay", decision: .fail, reason: .noMatchingSignature, failedCheck: .payloadDigestMismatch),
])
func fixturesGiveTheExpectedVerdict(_ expected: Expectation) async throws {
    let verdict = try await verify(layout: expected.layout, policy: try keyPolicy())
    #expect(verdict.decision == expected.decision, "\(verdict.renderText())")
    if let reason = expected.reason { #expect(verdict.reasons.first == reason) }
    if let failed = expected.failedCheck {
        #expect(verdict.signatures.flatMap(\.failureReasons).contains(failed), "\(verdict.renderText())")
        #expect(verdict.messages.contains { $0.contains("1 signature found") })
    }
    if expected.decision == .pass {
        let signature = try #require(verdict.signatures.first(where: { $0.verified }))
        #expect(try signature.keyID == signerKey().keyID)
    }
}

@Test func annotationsAreRequiredWhenAsked() async throws {
    let ok = try await verify(layout: "app-v1", policy: try keyPolicy(annotations: ["env": "prod", "team": "platform"]))
    #expect(ok.decision == .pass)
    let wrong = try await verify(layout: "app-v1", policy: try keyPolicy(annotations: ["env": "staging"]))
    #expect(wrong.decision == .fail)
    #expect(wrong.signatures.flatMap(\.failureReasons).contains(.annotationMismatch))
}

@Test func theWrongKeyFailsAGoodSignature() async throws {
    let verdict = try await verify(layout: "app-v1", policy: try keyPolicy("other"))
    #expect(verdict.decision == .fail)
    #expect(verdict.reasons.first == .noMatchingSignature)
}

@Test func attestationsAreVerifiedAndFilteredByType() async throws {
    let slsa = try await verify(layout: "app-v1", fixture: "app-v1-attestation",
                                policy: try keyPolicy(mode: .attestations(predicateType: VerificationPolicy.predicateTypeURI("slsaprovenance"))))
    #expect(slsa.decision == .pass, "\(slsa.renderText())")
    #expect(slsa.signatures.first(where: { $0.verified })?.predicateType == "https://slsa.dev/provenance/v0.2")
    let spdx = try await verify(layout: "app-v1", fixture: "app-v1-attestation",
                                policy: try keyPolicy(mode: .attestations(predicateType: VerificationPolicy.predicateTypeURI("spdx"))))
    #expect(spdx.decision == .fail)
    #expect(spdx.signatures.flatMap(\.failureReasons).contains(.predicateTypeMismatch))
    let none = try await verify(layout: "app-v2", policy: try keyPolicy(mode: .attestations(predicateType: nil)))
    #expect(none.reasons.first == .noSignaturesFound)
}

@Test func aPlatformChildOfASignedIndexIsNotSigned() async throws {
    let verdict = try await verify(layout: "multi", policy: try keyPolicy(platform: try Platform(parsing: "linux/amd64")))
    #expect(verdict.decision == .fail)
    #expect(verdict.digest != fixtureDigests["multi"])
    #expect(verdict.messages.contains { $0.contains("index") && $0.contains("is signed") }, "\(verdict.messages)")
    let missing = try await verify(layout: "multi", policy: try keyPolicy(platform: try Platform(parsing: "windows/amd64")))
    #expect(missing.reasons == [.platformNotFound])
}

@Test func aPrivateCACertificateVerifiesWithItsChain() async throws {
    let chain = try Certificate.parsePEM(String(contentsOf: imagesDir.appendingPathComponent("keys/pki-chain.pem"), encoding: .utf8))
    func pki(_ identity: String, chain: [Certificate]) throws -> VerificationPolicy {
        try VerificationPolicy(trust: .init(certificateChain: chain),
                               signers: .identities([.init(issuer: nil, subject: .exact(identity))]),
                               insecureIgnoreTransparencyLog: true)
    }
    let good = try await verify(layout: "pki", policy: try pki("release@example.com", chain: chain))
    #expect(good.decision == .pass, "\(good.renderText())")
    #expect(good.signatures.first?.certificateIdentity == "release@example.com")
    let wrong = try await verify(layout: "pki", policy: try pki("someone@example.com", chain: chain))
    #expect(wrong.signatures.flatMap(\.failureReasons).contains(.identityMismatch))
    // Another CA: one that issued nothing here.
    let unrelated = try Certificate.parsePEM(String(contentsOf: imagesDir.appendingPathComponent("keys/unrelated-root.pem"), encoding: .utf8))
    let wrongCA = try await verify(layout: "pki", policy: try pki("release@example.com", chain: unrelated))
    #expect(wrongCA.decision == .fail)
    #expect(wrongCA.signatures.flatMap(\.failureReasons).contains(.certificateChainInvalid))
}

@Test func missingTransparencyLogEvidenceFailsUnlessIgnored() async throws {
    let policy = try VerificationPolicy(trust: .init(trustedRoot: try TrustedRoot.production()),
                                        signers: .keys([try signerKey()]))
    let verdict = try await verify(layout: "app-v1", policy: policy)
    #expect(verdict.decision == .fail)
    #expect(verdict.signatures.flatMap(\.failureReasons).contains(.tlogEntryMissing))
}

@Test func aTagIsResolvedButNotPinned() async throws {
    let dir = imagesDir.appendingPathComponent("layouts/oci11")
    let verifier = try ImageVerifier(source: try OCILayoutSource(path: dir.path), policy: try keyPolicy())
    let verdict = await verifier.verify(reference: "127.0.0.1:5077/demo/oci11:latest", at: Date())
    #expect(verdict.decision == .fail)
    #expect(verdict.reasons.contains(.notDigestPinned))
    #expect(verdict.digest == fixtureDigests["oci11"])
    #expect(verdict.signatures.contains(where: { $0.verified }))
    let allowed = await (try ImageVerifier(source: try OCILayoutSource(path: dir.path), policy: try keyPolicy(allowTags: true)))
        .verify(reference: "127.0.0.1:5077/demo/oci11:latest", at: Date())
    #expect(allowed.decision == .pass)
    #expect(allowed.reasons == [.notDigestPinned])
}

/// Flips one byte of every blob of a passing layout in turn and verifies again, in every mode the layout passes in.
/// A flipped manifest, signature manifest or signature payload that the mode reads must turn the pass into a fail;
/// blobs the mode never reads (image layers, configs, the other mode's manifests) are skipped.
@Test(arguments: ["app-v1", "app-v2", "oci11", "bundled"])
func flippingAnyBlobByteFailsAPass(_ layout: String) async throws {
    let fm = FileManager.default
    let original = imagesDir.appendingPathComponent("layouts/\(layout)")
    let blobs = try fm.contentsOfDirectory(atPath: original.appendingPathComponent("blobs/sha256").path)
    var modes: [VerificationPolicy.Evidence] = [.signatures]
    if layout == "app-v1" { modes.append(.attestations(predicateType: nil)) }
    if layout == "bundled" { modes = [.attestations(predicateType: nil)] }
    var checked = 0
    for blob in blobs {
        let copy = fm.temporaryDirectory.appendingPathComponent("mutate-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: copy) }
        try fm.copyItem(at: original, to: copy.appendingPathComponent(layout))
        let path = copy.appendingPathComponent("\(layout)/blobs/sha256/\(blob)")
        var bytes = try Data(contentsOf: path)
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: path)
        for mode in modes where try blobsRead(by: mode, in: original).contains(blob) {
            let verdict = try await verify(layout: layout, fixture: layout, policy: try keyPolicy(mode: mode), layoutRoot: copy)
            #expect(verdict.decision != .pass, "flipping a byte of \(blob) in \(layout) still passed (\(mode))")
            checked += 1
        }
    }
    #expect(checked >= 3, "too few blobs on the verification path of \(layout)")
}

/// The blobs a verification in `mode` reads from a fixture layout: the image manifest, and the signature (or
/// attestation) manifests with their layers, and a referrers-tag index.
func blobsRead(by mode: VerificationPolicy.Evidence, in layout: URL) throws -> Set<String> {
    let blobsDir = layout.appendingPathComponent("blobs/sha256")
    let wantedLayers: Set<String> = mode == .signatures ? ["application/vnd.dev.cosign.simplesigning.v1+json"]
        : ["application/vnd.dsse.envelope.v1+json", "application/vnd.dev.sigstore.bundle.v0.3+json"]
    var read = Set<String>()
    for name in try FileManager.default.contentsOfDirectory(atPath: blobsDir.path) {
        let data = try Data(contentsOf: blobsDir.appendingPathComponent(name))
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], object["schemaVersion"] != nil
        else { continue }
        let layers = object["layers"] as? [[String: Any]] ?? []
        if layers.contains(where: { wantedLayers.contains($0["mediaType"] as? String ?? "") }) {
            read.insert(name)
            for layer in layers { if let d = layer["digest"] as? String { read.insert(String(d.split(separator: ":")[1])) } }
        } else if layers.contains(where: { ($0["mediaType"] as? String ?? "").contains("image.layer") }) {
            read.insert(name)   // the image manifest
        } else if object["manifests"] != nil {
            read.insert(name)   // a referrers-tag index
        }
    }
    return read
}

/// The signature annotation, flipped, fails the signature.
@Test func flippingTheSignatureAnnotationFails() async throws {
    let fm = FileManager.default
    let original = imagesDir.appendingPathComponent("layouts/app-v1")
    let copy = fm.temporaryDirectory.appendingPathComponent("mutate-\(UUID().uuidString)")
    defer { try? fm.removeItem(at: copy) }
    try fm.copyItem(at: original, to: copy.appendingPathComponent("app-v1"))
    // Rewrite the signature manifest with a changed signature, then re-address it (new digest) so that only the
    // signature check, not the digest check, can catch it.
    let blobsDir = copy.appendingPathComponent("app-v1/blobs/sha256")
    let indexURL = copy.appendingPathComponent("app-v1/index.json")
    var index = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: indexURL)) as? [String: Any])
    var entries = try #require(index["manifests"] as? [[String: Any]])
    let sigEntry = try #require(entries.firstIndex { ($0["annotations"] as? [String: String])?["kind"] == "dev.cosignproject.cosign/sigs" })
    let oldDigest = try #require((entries[sigEntry]["digest"] as? String)?.split(separator: ":").last.map(String.init))
    var manifestText = try String(contentsOf: blobsDir.appendingPathComponent(oldDigest), encoding: .utf8)
    let marker = "\"dev.cosignproject.cosign/signature\":\""
    let start = try #require(manifestText.range(of: marker)).upperBound
    let original64 = manifestText[start...].prefix(20)
    var mutated = Array(original64)
    mutated[10] = mutated[10] == "A" ? "B" : "A"
    manifestText.replaceSubrange(start..<manifestText.index(start, offsetBy: 20), with: String(mutated))
    let newBytes = Data(manifestText.utf8)
    let newDigest = HashAlgorithm.sha256.hash(newBytes).hexString
    try newBytes.write(to: blobsDir.appendingPathComponent(newDigest))
    entries[sigEntry]["digest"] = "sha256:\(newDigest)"
    entries[sigEntry]["size"] = newBytes.count
    index["manifests"] = entries
    try JSONSerialization.data(withJSONObject: index).write(to: indexURL)
    let verdict = try await verify(layout: "app-v1", policy: try keyPolicy(), layoutRoot: copy)
    #expect(verdict.decision == .fail, "\(verdict.renderText())")
    #expect(verdict.reasons.first == .noMatchingSignature)
}

@Test func aCosignBundleReferrerIsVerified() async throws {
    let slsa = VerificationPolicy.Evidence.attestations(predicateType: VerificationPolicy.predicateTypeURI("slsaprovenance"))
    let verdict = try await verify(layout: "bundled", policy: try keyPolicy(mode: slsa))
    #expect(verdict.decision == .pass, "\(verdict.renderText())")
    let report = try #require(verdict.signatures.first { $0.verified })
    #expect(report.source.contains("Sigstore bundle"))
    #expect(report.predicateType == "https://slsa.dev/provenance/v0.2")
    #expect(try report.keyID == signerKey().keyID)
    let wrongKey = try await verify(layout: "bundled", policy: try keyPolicy("other", mode: slsa))
    #expect(wrongKey.decision == .fail)
    #expect(wrongKey.reasons.first == .noMatchingSignature)
    // An attestation is not a signature.
    let signatures = try await verify(layout: "bundled", policy: try keyPolicy())
    #expect(signatures.reasons.first == .noSignaturesFound)
}

/// A source that never answers in time: every call waits an hour (cancellable). Tests the deadline only.
struct UnansweringSource: ContentSource {
    var sourceDescription: String { "a source that does not answer" }
    func resolve(_ reference: ImageReference) async throws -> Descriptor {
        try await Task.sleep(for: .seconds(3600))
        throw RegistryError(.timeout, "unreachable")
    }
    func manifest(_ repository: ImageReference, digest: Digest, expectedSize: Int64?, mediaType: MediaType?) async throws -> FetchedManifest {
        throw RegistryError(.timeout, "unreachable")
    }
    func blob(_ repository: ImageReference, digest: Digest, expectedSize: Int64?, maxSize: Int) async throws -> [UInt8] {
        throw RegistryError(.timeout, "unreachable")
    }
    func tags(_ repository: ImageReference) async throws -> [String] { [] }
    func referrers(_ repository: ImageReference, subject: Digest, artifactType: String?) async throws -> ImageIndex? { nil }
}

@Test func theDeadlineMakesUndecidedSubjectsIndeterminate() async throws {
    let verifier = try ImageVerifier(source: UnansweringSource(), policy: try keyPolicy())
    let verdict = await verifier.verify(["example.com/a@sha256:" + String(repeating: "1", count: 64),
                                         "example.com/b@sha256:" + String(repeating: "2", count: 64)],
                                        at: Date(), timeout: .milliseconds(200))
    #expect(verdict.decision == .indeterminate)
    #expect(verdict.exitStatus == .indeterminate)
    #expect(verdict.subjects.allSatisfy { $0.reasons == [.deadlineExceeded] })
}

/// An attestation copied into the signature tag's manifest is not accepted as a signature.
@Test func anAttestationLayerIsNotASignature() async throws {
    let fm = FileManager.default
    let original = imagesDir.appendingPathComponent("layouts/app-v1")
    let copy = fm.temporaryDirectory.appendingPathComponent("swap-\(UUID().uuidString)")
    defer { try? fm.removeItem(at: copy) }
    try fm.copyItem(at: original, to: copy.appendingPathComponent("app-v1"))
    // Point the `sigs` entry of index.json at the attestation manifest.
    let indexURL = copy.appendingPathComponent("app-v1/index.json")
    var index = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: indexURL)) as? [String: Any])
    var entries = try #require(index["manifests"] as? [[String: Any]])
    let sig = try #require(entries.firstIndex { ($0["annotations"] as? [String: String])?["kind"] == "dev.cosignproject.cosign/sigs" })
    let att = try #require(entries.firstIndex { ($0["annotations"] as? [String: String])?["kind"] == "dev.cosignproject.cosign/atts" })
    entries[sig]["digest"] = entries[att]["digest"]
    entries[sig]["size"] = entries[att]["size"]
    index["manifests"] = entries
    try JSONSerialization.data(withJSONObject: index).write(to: indexURL)
    let verdict = try await verify(layout: "app-v1", policy: try keyPolicy(), layoutRoot: copy)
    #expect(verdict.decision == .fail, "\(verdict.renderText())")
}
