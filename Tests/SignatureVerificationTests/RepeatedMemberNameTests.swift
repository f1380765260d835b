import Foundation
import Testing
@testable import SignatureVerification

/// Every JSON format of signed evidence is read by StrictJSON: a member name repeated in any object is refused, as
/// protojson (sigstore-go) refuses it, instead of one reader taking the first value and another the last. And a
/// member of the wrong type is named by its path.
@Suite struct RepeatedMemberNameTests {
    static let bundlePath = "sigstore-python/bundle_v3_github.whl.sigstore"
    static let artifactPath = "sigstore-python/bundle_v3_github.whl"
    static let identity = "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
    static let issuer = "https://token.actions.githubusercontent.com"

    /// `text` with `insertion` placed right after the `{` that opens member `name`'s object (its first occurrence).
    static func inserting(_ insertion: String, intoObjectOf name: String, in text: String) throws -> String {
        guard let key = text.range(of: "\"\(name)\""), let brace = text[key.upperBound...].firstIndex(of: "{") else {
            throw Missing(description: "no object member \(name)")
        }
        var result = text
        result.insert(contentsOf: insertion, at: result.index(after: brace))
        return result
    }

    struct Missing: Error, CustomStringConvertible { let description: String }

    @Test(arguments: [
        // A second certificate chain before the real one: first-wins and last-wins readers would disagree.
        ("verificationMaterial", "\"x509CertificateChain\": {\"certificates\": [{\"rawBytes\": \"AAAA\"}]}, "),
        // A second signature inside messageSignature.
        ("messageSignature", "\"signature\": \"AAAA\", "),
        // A second log index inside the tlog entry's inclusion proof.
        ("inclusionProof", "\"logIndex\": \"1\", "),
        // An unknown member, repeated: refused though nothing reads it.
        ("verificationMaterial", "\"mediaType\": \"x\", \"mediaType\": \"y\", "),
    ])
    func aBundleRepeatingAMemberIsRefusedThoughTheOriginalVerifies(_ object: String, _ insertion: String) throws {
        let original = String(decoding: try BundleFixtures.data(Self.bundlePath), as: UTF8.self)
        let artifact = Artifact.bytes(try BundleFixtures.data(Self.artifactPath))
        let verifier = try ConformancePolicy.verifier(Self.identity, issuer: Self.issuer, root: try TrustedRoot.production())
        // The original passes, so the refusal below is the repeated member's doing.
        _ = try verifier.verify(bundle: try SigstoreBundle(json: Data(original.utf8)), artifact: artifact)

        let repeated = try Self.inserting(insertion, intoObjectOf: object, in: original)
        let error = #expect(throws: SignatureVerificationError.self) { try SigstoreBundle(json: Data(repeated.utf8)) }
        #expect(error?.code == .bundleInvalid)
        #expect(error?.message.contains("duplicate member name") == true, "\(error?.message ?? "")")
    }

    @Test func aTrustedRootRepeatingAMemberIsRefused() throws {
        let original = String(decoding: Data(EmbeddedTrustedRoots.production), as: UTF8.self)
        _ = try TrustedRoot(json: Data(original.utf8))
        let repeated = try Self.inserting("\"baseUrl\": \"https://rekor.example\", ", intoObjectOf: "tlogs", in: original)
        let error = #expect(throws: SignatureVerificationError.self) { try TrustedRoot(json: Data(repeated.utf8)) }
        #expect(error?.code == .trustedRootInvalid)
        #expect(error?.message.contains("duplicate member name \"baseUrl\"") == true, "\(error?.message ?? "")")
    }

    @Test func anInTotoStatementRepeatingItsSubjectIsRefused() throws {
        let subject = "[{\"name\": \"a\", \"digest\": {\"sha256\": \"\(String(repeating: "ab", count: 32))\"}}]"
        let one = "{\"_type\": \"https://in-toto.io/Statement/v1\", \"subject\": \(subject), \"predicateType\": \"p\"}"
        #expect(try InTotoStatement(json: Array(one.utf8)).subjects.count == 1)
        let two = "{\"_type\": \"https://in-toto.io/Statement/v1\", \"subject\": \(subject), \"subject\": [], \"predicateType\": \"p\"}"
        let error = #expect(throws: SignatureVerificationError.self) { try InTotoStatement(json: Array(two.utf8)) }
        #expect(error?.message.contains("duplicate member name \"subject\"") == true, "\(error?.message ?? "")")
    }

    @Test func aCosignRekorBundleRepeatingItsTimestampIsRefused() throws {
        let payload = "{\"body\": \"AAAA\", \"integratedTime\": 1, \"logIndex\": 2, \"logID\": \"\(String(repeating: "0", count: 64))\"}"
        let once = "{\"SignedEntryTimestamp\": \"AAAA\", \"Payload\": \(payload)}"
        #expect(try CosignRekorBundle.parse(Array(once.utf8)).logIndex == 2)
        let twice = "{\"SignedEntryTimestamp\": \"AAAA\", \"SignedEntryTimestamp\": \"BBBB\", \"Payload\": \(payload)}"
        let error = #expect(throws: TransparencyLogError.self) { try CosignRekorBundle.parse(Array(twice.utf8)) }
        #expect(error?.code == .tlogEntryInvalid)
        #expect(error?.message.contains("duplicate member name") == true, "\(error?.message ?? "")")
    }

    @Test func aMemberOfTheWrongTypeIsNamedByItsPath() throws {
        let text = "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"certificate\":{\"rawBytes\":5}}}"
        let error = #expect(throws: SignatureVerificationError.self) { try SigstoreBundle(json: Data(text.utf8)) }
        #expect(error?.message == "bundle is not of the bundle shape: verificationMaterial.certificate.rawBytes is a number, expected a string")
        let entry = "{\"logIndex\": true}"
        let entryError = #expect(throws: TransparencyLogError.self) { try TransparencyLogEntry(json: Array(entry.utf8)) }
        #expect(entryError?.message == "logIndex is a boolean, expected a 64-bit integer")
    }
}

/// The signed payloads and log bodies read by StrictJSON refuse a repeated member name too.
@Suite struct RepeatedMemberNameInSignedPayloadTests {
    @Test func aCosignPayloadNamingTwoDigestsIsRefused() throws {
        let digest = "sha256:" + String(repeating: "a", count: 64), other = "sha256:" + String(repeating: "b", count: 64)
        let once = "{\"critical\":{\"identity\":{\"docker-reference\":\"example.com/app\"},\"image\":{\"docker-manifest-digest\":\"\(digest)\"},"
            + "\"type\":\"cosign container image signature\"},\"optional\":null}"
        #expect(try SimpleSigningPayload(bytes: Array(once.utf8)).manifestDigest == digest)
        // Go's encoding/json (cosign) would read the last digest, a first-wins reader the first.
        let twice = once.replacingOccurrences(of: "\"docker-manifest-digest\":\"\(digest)\"",
                                              with: "\"docker-manifest-digest\":\"\(digest)\",\"docker-manifest-digest\":\"\(other)\"")
        let error = #expect(throws: SignatureVerificationError.self) { try SimpleSigningPayload(bytes: Array(twice.utf8)) }
        #expect(error?.code == .payloadInvalid)
        #expect(error?.message.contains("duplicate member name \"docker-manifest-digest\"") == true, "\(error?.message ?? "")")
    }

    @Test func aRekorEntryBodyRepeatingAMemberIsRefused() throws {
        let entry = try TLogFixtures.entry("bundles/sigstore-python/bundle_v3_github.whl.sigstore")
        let body = entry.canonicalizedBody
        #expect(try RekorEntryBody.parseBody(body).kind == "hashedrekord")
        let repeated = Array("{\"kind\":\"dsse\",".utf8) + body.dropFirst()
        let error = #expect(throws: TransparencyLogError.self) { try RekorEntryBody.parseBody(repeated) }
        #expect(error?.code == .entryBodyInvalid)
        #expect(error?.message.contains("duplicate member name \"kind\"") == true, "\(error?.message ?? "")")
    }
}
