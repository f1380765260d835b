import CryptoPrimitives
import Foundation
import Testing
@testable import SignatureVerification

@Suite struct BundleTrustedRootTests {
    @Test func productionRootIsEmbedded() throws {
        let root = try TrustedRoot.production()
        #expect(root.transparencyLogs.count == 2)
        #expect(root.certificateAuthorities.count == 2)
        #expect(root.ctLogs.count == 2)
        #expect(root.timestampAuthorities.count == 1)
        #expect(root.transparencyLogs.contains { $0.baseURL == "https://rekor.sigstore.dev"
                && $0.logID.hexString == "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d" })
        #expect(root.transparencyLogs.contains { $0.host == "log2025-1.rekor.sigstore.dev" })
        // The embedded bytes are exactly keys/sigstore-production-trusted_root.json.
        let file = try Data(contentsOf: BundleFixtures.packageRoot.appendingPathComponent("keys/sigstore-production-trusted_root.json"))
        #expect(Data(EmbeddedTrustedRoots.production) == file)
    }

    @Test func stagingRootIsEmbedded() throws {
        let root = try TrustedRoot.staging()
        #expect(root.transparencyLogs.count == 4)
        #expect(root.transparencyLogs.contains { $0.host == "log2025-alpha1.rekor.sigstage.dev" })
        let file = try Data(contentsOf: BundleFixtures.packageRoot.appendingPathComponent("keys/sigstore-staging-trusted_root.json"))
        #expect(Data(EmbeddedTrustedRoots.staging) == file)
    }

    @Test(arguments: [
        "sigstore-python/trusted_root/trustedroot.v1.json",
        "sigstore-python/trusted_root/trustedroot.v1.local_tlog_ed25519_rekor-tiles.json",
        "sigstore-go/public-good.json", "sigstore-go/scaffolding.json", "sigstore-go/public-key-validity.json",
        "cosign/trusted_root_pgi.json", "sigstore-python/tsa/trust_config.json",
    ])
    func realRootsParse(_ file: String) throws {
        var data = try BundleFixtures.data(file)
        // trust_config.json wraps the trusted root in {"trustedRoot": …}.
        if file.hasSuffix("trust_config.json"),
           let object = try JSONSerialization.jsonObject(with: data) as? [String: Any], let inner = object["trustedRoot"] {
            data = try JSONSerialization.data(withJSONObject: inner)
        }
        let root = try TrustedRoot(json: data)
        #expect(!root.transparencyLogs.isEmpty || !root.timestampAuthorities.isEmpty)
    }

    @Test func wrongMediaTypeIsRejected() throws {
        let error = #expect(throws: SignatureVerificationError.self) {
            try TrustedRoot(json: BundleFixtures.data("sigstore-python/trusted_root/trustedroot.badtype.json"))
        }
        #expect(error?.code == .trustedRootInvalid)
        #expect(error?.check == .trustedRoot)
    }

    @Test func tlogWithoutValidityStartIsRejected() throws {
        let error = #expect(throws: SignatureVerificationError.self) {
            try TrustedRoot(json: Data(contentsOf: BundleFixtures.conformance
                .appendingPathComponent("trust-root-tlog-missing-validity-start_fail/trusted_root.json")))
        }
        #expect(error?.code == .trustedRootInvalid)
        #expect(error?.message.contains("validFor.start") == true)
    }

    /// Each required field, removed from a real root, must make parsing fail with a message naming it.
    @Test(arguments: [
        ("tlogs.0.publicKey.rawBytes", "rawBytes"), ("tlogs.0.logId", "logId"), ("tlogs.0.publicKey.validFor", "validFor"),
        ("ctlogs.0.publicKey.validFor.start", "validFor.start"), ("certificateAuthorities.0.certChain", "certChain"),
        ("certificateAuthorities.0.validFor", "validFor"), ("timestampAuthorities.0.certChain.certificates", "certChain"),
        ("mediaType", "mediaType"),
    ])
    func missingRequiredFieldIsRejected(_ path: String, _ named: String) throws {
        let data = try Data(contentsOf: BundleFixtures.packageRoot.appendingPathComponent("keys/sigstore-production-trusted_root.json"))
        let mutated = try removing(path: path.split(separator: ".").map(String.init), from: data)
        let error = #expect(throws: SignatureVerificationError.self) { try TrustedRoot(json: mutated) }
        #expect(error?.code == .trustedRootInvalid)
        #expect(error?.message.contains(named) == true, "\(error?.message ?? "")")
    }

    @Test func malformedRootsAreRejected() {
        for text in ["", "{", "[]", "{\"mediaType\": 5}", "{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\",\"tlogs\":{}}"] {
            #expect(throws: SignatureVerificationError.self) { try TrustedRoot(json: Data(text.utf8)) }
        }
    }

    @Test func validityIsClosed() throws {
        let start = try #require(parseRFC3339("2021-01-12T11:53:27Z"))
        let end = try #require(parseRFC3339("2022-12-31T23:59:59.999Z"))
        let period = ValidityPeriod(start: start, end: end)
        #expect(period.contains(start))
        #expect(period.contains(end))
        #expect(!period.contains(start.addingTimeInterval(-0.001)))
        #expect(!period.contains(end.addingTimeInterval(0.001)))
        #expect(ValidityPeriod(start: start).contains(Date(timeIntervalSince1970: 4_000_000_000)))
    }

    @Test(arguments: [
        ("2021-01-12T11:53:27Z", 1610452407.0), ("2021-01-12T11:53:27.000Z", 1610452407.0),
        ("2022-12-31T23:59:59.999Z", 1672531199.999), ("1970-01-01T00:00:00Z", 0), ("2024-02-29T12:00:00+01:00", 1709204400),
    ])
    func rfc3339(_ text: String, _ seconds: Double) throws {
        let date = try #require(parseRFC3339(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.0005)
    }

    @Test(arguments: ["", "2021-01-12", "2021-01-12T11:53:27", "2021-13-12T11:53:27Z", "2021-01-12T11:53:27.Z", "2021-01-12 11:53:27Z", "x021-01-12T11:53:27Z"])
    func badRFC3339(_ text: String) { #expect(parseRFC3339(text) == nil) }

    private func removing(path: [String], from data: Data) throws -> Data {
        func remove(_ path: ArraySlice<String>, in value: Any) -> Any {
            guard let head = path.first else { return value }
            if var array = value as? [Any], let index = Int(head), index < array.count {
                if path.count == 1 { array.remove(at: index) } else { array[index] = remove(path.dropFirst(), in: array[index]) }
                return array
            }
            if var object = value as? [String: Any] {
                if path.count == 1 { object[head] = nil } else if let inner = object[head] { object[head] = remove(path.dropFirst(), in: inner) }
                return object
            }
            return value
        }
        let object = try JSONSerialization.jsonObject(with: data)
        return try JSONSerialization.data(withJSONObject: remove(path[...], in: object))
    }
}

@Suite struct BundleFormatTests {
    /// Conformance bundles that are structurally invalid, with the check that must reject them at parse time.
    static let parseFailures: [String: String] = [
        "bundle-malformed-json_fail": "bundle.parse",
        "bundle-unknown-version_fail": "bundle.media_type",
        "bundle-invalid-base64-signature_fail": "bundle.parse",
        "bundle-negative-log-index_fail": "bundle.tlog_entries",
        "bundle-empty-certificate-chain_fail": "bundle.verification_material",
        "intoto-missing-inclusion-proof_fail": "bundle.tlog_entries",
        "bundle-with-root-cert_fail": "bundle.tlog_entries",
        "invalid-inclusion-proof_fail": "bundle.tlog_entries",     // v0.2 proof without checkpoint
        "rekor2-no-inclusion-proof_fail": "bundle.tlog_entries",   // v0.3 entry without proof
    ]

    @Test(arguments: BundleFixtures.conformanceCases)
    func conformanceBundleParses(_ name: String) throws {
        let path = BundleFixtures.conformance.appendingPathComponent(name).appendingPathComponent("bundle.sigstore.json").path
        if let check = BundleFormatTests.parseFailures[name] {
            let error = #expect(throws: SignatureVerificationError.self) { try SigstoreBundle(contentsOfFile: path) }
            #expect(error?.code == .bundleInvalid)
            #expect(error?.check.rawValue == check, "\(error?.description ?? "")")
        } else {
            let bundle = try SigstoreBundle(contentsOfFile: path)
            #expect(!bundle.tlogEntries.isEmpty || !bundle.rfc3161Timestamps.isEmpty)
            #expect(bundle.tlogEntries.count == bundle.tlogEntryShapes.count)
        }
    }

    @Test func conformanceHasSeventyCases() { #expect(BundleFixtures.conformanceCases.count == 70) }

    @Test(arguments: [
        ("application/vnd.dev.sigstore.bundle+json;version=0.1", SigstoreBundle.Version.v0_1),
        ("application/vnd.dev.sigstore.bundle+json;version=0.2", .v0_2),
        ("application/vnd.dev.sigstore.bundle+json;version=0.3", .v0_3),
        ("application/vnd.dev.sigstore.bundle.v0.3+json", .v0_3),
    ])
    func mediaTypes(_ mediaType: String, _ version: SigstoreBundle.Version) {
        #expect(SigstoreBundle.version(ofMediaType: mediaType) == version)
    }

    @Test(arguments: ["application/vnd.dev.sigstore.bundle+json;version=99.9", "application/json", "",
                      "application/vnd.dev.sigstore.bundle.v0.4+json", "application/vnd.dev.sigstore.bundle+json"])
    func unknownMediaTypes(_ mediaType: String) { #expect(SigstoreBundle.version(ofMediaType: mediaType) == nil) }

    @Test func newAndOldMediaTypeParseAlike() throws {
        let old = try SigstoreBundle(contentsOfFile: BundleFixtures.conformance.appendingPathComponent("happy-path-v0.3/bundle.sigstore.json").path)
        let new = try SigstoreBundle(contentsOfFile: BundleFixtures.conformance.appendingPathComponent("happy-path-v0.3-new-mediaType/bundle.sigstore.json").path)
        #expect(old.version == .v0_3 && new.version == .v0_3)
        #expect(old.content == new.content)
        #expect(old.verificationMaterial == new.verificationMaterial)
    }

    @Test(arguments: [
        ("sigstore-python/bundle_invalid_version.txt.sigstore", "bundle.media_type"),
        ("sigstore-python/bundle_no_cert_v1.txt.sigstore", "bundle.verification_material"),
        ("sigstore-python/bundle_no_checkpoint.txt.sigstore", "bundle.tlog_entries"),
        ("sigstore-python/tsa/bundle.many_timestamp.sigstore", "bundle.timestamps"),
        ("sigstore-python/tsa/bundle.duplicate.sigstore", "bundle.timestamps"),
        ("sigstore-python/Python-3.12.5.tgz.sigstore", "bundle.tlog_entries"),
    ])
    func invalidPythonBundles(_ file: String, _ check: String) {
        let error = #expect(throws: SignatureVerificationError.self) { try SigstoreBundle(contentsOfFile: BundleFixtures.path(file)) }
        #expect(error?.code == .bundleInvalid)
        #expect(error?.check.rawValue == check, "\(error?.description ?? "")")
    }

    @Test func v01BundleWithoutPromiseIsRejected() throws {
        var object = try jsonObject("conformance/bundle-verify/happy-path-v0.1/bundle.sigstore.json")
        var material = object["verificationMaterial"] as! [String: Any]
        var entries = material["tlogEntries"] as! [[String: Any]]
        entries[0]["inclusionPromise"] = nil
        material["tlogEntries"] = entries
        object["verificationMaterial"] = material
        let error = #expect(throws: SignatureVerificationError.self) {
            try SigstoreBundle(json: JSONSerialization.data(withJSONObject: object))
        }
        #expect(error?.message.contains("inclusion promise") == true)
    }

    @Test func v03BundleWithChainIsRejected() throws {
        var object = try jsonObject("conformance/bundle-verify/happy-path-v0.2/bundle.sigstore.json")
        object["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.3+json"
        let error = #expect(throws: SignatureVerificationError.self) {
            try SigstoreBundle(json: JSONSerialization.data(withJSONObject: object))
        }
        #expect(error?.check == "bundle.verification_material")
    }

    @Test func tooManyTlogEntriesAreRejected() throws {
        var object = try jsonObject("conformance/bundle-verify/happy-path-v0.2/bundle.sigstore.json")
        var material = object["verificationMaterial"] as! [String: Any]
        let entries = material["tlogEntries"] as! [[String: Any]]
        material["tlogEntries"] = (0..<33).map { index -> [String: Any] in
            var entry = entries[0]
            entry["logIndex"] = String(index)
            return entry
        }
        object["verificationMaterial"] = material
        let error = #expect(throws: SignatureVerificationError.self) {
            try SigstoreBundle(json: JSONSerialization.data(withJSONObject: object))
        }
        #expect(error?.message.contains("33") == true)
    }

    @Test func duplicateTlogEntriesAreRejected() throws {
        var object = try jsonObject("conformance/bundle-verify/happy-path-v0.2/bundle.sigstore.json")
        var material = object["verificationMaterial"] as! [String: Any]
        let entries = material["tlogEntries"] as! [[String: Any]]
        material["tlogEntries"] = [entries[0], entries[0]]
        object["verificationMaterial"] = material
        #expect(throws: SignatureVerificationError.self) { try SigstoreBundle(json: JSONSerialization.data(withJSONObject: object)) }
    }

    @Test func bothContentsAreRejected() throws {
        var object = try jsonObject("conformance/bundle-verify/happy-path-v0.2/bundle.sigstore.json")
        object["dsseEnvelope"] = ["payload": "e30=", "payloadType": "application/vnd.in-toto+json", "signatures": []]
        let error = #expect(throws: SignatureVerificationError.self) { try SigstoreBundle(json: JSONSerialization.data(withJSONObject: object)) }
        #expect(error?.check == "bundle.content")
    }

    @Test func protojsonNullAndNumbersAreAccepted() throws {
        // sigstore-go's example: "inclusionProof": null; int64 given as JSON numbers must also be accepted.
        let bundle = try SigstoreBundle(contentsOfFile: BundleFixtures.path("sigstore-go/bundle-provenance.json"))
        #expect(bundle.version == .v0_1)
        #expect(bundle.tlogEntryShapes.first?.hasInclusionProof == false)
        var object = try jsonObject("conformance/bundle-verify/happy-path-v0.2/bundle.sigstore.json")
        var material = object["verificationMaterial"] as! [String: Any]
        var entries = material["tlogEntries"] as! [[String: Any]]
        entries[0]["logIndex"] = Int(entries[0]["logIndex"] as! String)!
        material["tlogEntries"] = entries
        object["verificationMaterial"] = material
        let parsed = try SigstoreBundle(json: JSONSerialization.data(withJSONObject: object))
        #expect(parsed.tlogEntryShapes[0].logIndex == 27246492)
    }

    @Test func messageDigestIsDecoded() throws {
        let bundle = try SigstoreBundle(contentsOfFile: BundleFixtures.conformance.appendingPathComponent("happy-path-v0.3/bundle.sigstore.json").path)
        guard case .messageSignature(let message) = bundle.content else {
            Issue.record("expected a message signature")
            return
        }
        #expect(message.digestAlgorithm == .sha256)
        #expect(message.digest.map(\.hexString) == "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf")
    }

    @Test(arguments: [("aGVsbG8=", "hello"), ("aGVsbG8", "hello"), ("aGVs\nbG8=\n", "hello"), ("aGk-_w==", "hi\u{3E}\u{FF}"), ("", "")])
    func base64(_ text: String, _ expected: String) {
        let expectedBytes: [UInt8] = expected == "hi\u{3E}\u{FF}" ? [0x68, 0x69, 0x3E, 0xFF] : Array(expected.utf8)
        #expect(protoBase64Decode(text) == expectedBytes)
    }

    @Test(arguments: ["a", "aGVsbG8===", "aGVs bG8=", "aGVsbG9=", "a=bc", "****"])
    func badBase64(_ text: String) { #expect(protoBase64Decode(text) == nil) }

    private func jsonObject(_ file: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: BundleFixtures.data(file)) as? [String: Any])
    }
}

@Suite struct BundleDSSETests {
    @Test func paeMatchesTheSpecExample() {
        // DSSE protocol.md example.
        let pae = DSSEEnvelope.pae(payloadType: "http://example.com/HelloWorld", payload: Array("hello world".utf8))
        #expect(String(decoding: pae, as: UTF8.self) == "DSSEv1 29 http://example.com/HelloWorld 11 hello world")
    }

    @Test func paeCountsBytesNotCharacters() {
        let pae = DSSEEnvelope.pae(payloadType: "t", payload: Array("é".utf8))
        #expect(pae == Array("DSSEv1 1 t 2 ".utf8) + [0xC3, 0xA9])
    }

    @Test func statementSubjectsMatchDigests() throws {
        let bundle = try SigstoreBundle(contentsOfFile: BundleFixtures.conformance.appendingPathComponent("happy-path-intoto-in-dsse-v3/bundle.sigstore.json").path)
        guard case .dsseEnvelope(let envelope) = bundle.content else {
            Issue.record("expected DSSE")
            return
        }
        #expect(envelope.signatures.count == 1)
        let statement = try InTotoStatement(json: envelope.payload)
        let artifact = try Data(contentsOf: BundleFixtures.conformance.appendingPathComponent("a.txt"))
        #expect(statement.hasSubject(algorithm: .sha256, digest: HashAlgorithm.sha256.hash(artifact)))
        #expect(!statement.hasSubject(algorithm: .sha256, digest: HashAlgorithm.sha256.hash(Data("other".utf8))))
    }

    @Test func sha512SubjectsMatch() throws {
        let bundle = try SigstoreBundle(contentsOfFile: BundleFixtures.path("sigstore-go/sigstore.js@2.0.0-provenance.sigstore.json"))
        guard case .dsseEnvelope(let envelope) = bundle.content else {
            Issue.record("expected DSSE")
            return
        }
        let statement = try InTotoStatement(json: envelope.payload)
        let digest = try #require(bytesFromHex("46d4e2f74c4877316640000a6fdf8a8b59f1e0847667973e9859f774dd31b8f1e0937813b777fb66a2ac67d50540fe34640966eee9fc2ccca387082b4c85cd3c"))
        #expect(statement.hasSubject(algorithm: .sha512, digest: digest))
        #expect(!statement.hasSubject(algorithm: .sha256, digest: Array(digest.prefix(32))))
    }

    @Test func nonStatementsAreRejected() {
        for text in ["{}", "[]", "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[]}",
                     "{\"_type\":\"x\",\"subject\":[{\"digest\":{\"sha256\":\"00\"}}]}", "not json"] {
            #expect(throws: SignatureVerificationError.self) { try InTotoStatement(json: Array(text.utf8)) }
        }
    }
}

@Suite struct BundlePolicyTests {
    @Test func exactMatching() {
        let matcher = StringMatcher.exact("https://github.com/a/b/.github/workflows/x.yml@refs/heads/main")
        #expect(matcher.matches("https://github.com/a/b/.github/workflows/x.yml@refs/heads/main"))
        #expect(!matcher.matches("https://github.com/a/b/.github/workflows/x.yml@refs/heads/main2"))
        #expect(!matcher.matches("https://github.com/a/b/.github/workflows/x.yml@refs/heads/mai"))
    }

    @Test func regexpIsAnchored() throws {
        let matcher = try StringMatcher.regexp("https://github.com/sigstore/sigstore-js/.*")
        #expect(matcher.matches("https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main"))
        #expect(!matcher.matches("evil https://github.com/sigstore/sigstore-js/x"))
        let prefix = try StringMatcher.regexp("https://github.com/sigstore/")
        #expect(!prefix.matches("https://github.com/sigstore/sigstore-js/x"), "a regexp must match the whole value")
        let alternation = try StringMatcher.regexp("a|b")
        #expect(alternation.matches("a") && alternation.matches("b") && !alternation.matches("ab"))
    }

    @Test func badRegexpIsAPolicyError() {
        let error = #expect(throws: SignatureVerificationError.self) { try StringMatcher.regexp("(") }
        #expect(error?.code == .policyInvalid)
    }

    @Test(arguments: [
        ([0x0C, 0x03, 0x61, 0x62, 0x63] as [UInt8], "abc" as String?),
        ([0x0C, 0x00], ""),
        ([0x0C, 0x04, 0x61, 0x62, 0x63], nil),          // length too long
        ([0x0C, 0x02, 0x61, 0x62, 0x63], nil),          // trailing bytes
        ([0x13, 0x03, 0x61, 0x62, 0x63], nil),          // PrintableString is not UTF8String
        ([0x0C, 0x81, 0x03, 0x61, 0x62, 0x63], nil),    // non-minimal length
        ([0x0C, 0x02, 0xC3, 0x28], nil),                // invalid UTF-8
    ])
    func derUTF8(_ der: [UInt8], _ expected: String?) { #expect(derUTF8String(der) == expected) }

    @Test func artifactDigestParsing() {
        #expect(Artifact.parseDigest("sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf")?.0 == .sha256)
        #expect(Artifact.parseDigest("sha256:a0cf") == nil)
        #expect(Artifact.parseDigest("md5:a0cfc71271d6e278e57cd332ff957c3f") == nil)
        #expect(Artifact.parseDigest("sha256:z0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf") == nil)
    }
}

@Suite struct BundleTimeFormatTests {
    @Test(arguments: [0.0, 1610452407, 1672531199.999, 951782400, 4102444800])
    func roundTrip(_ seconds: Double) throws {
        let date = Date(timeIntervalSince1970: seconds)
        let text = RFC3339.format(date)
        let parsed = try #require(RFC3339.parse(text))
        #expect(parsed.timeIntervalSince1970 == seconds.rounded(.down))
    }

    @Test func formatsLikeISO8601() {
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1610452407)) == "2021-01-12T11:53:27Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 951782400)) == "2000-02-29T00:00:00Z")
    }
}

@Suite struct BundleHostileInputTests {
    @Test func oversizedBundleIsRejectedBeforeParsing() {
        let huge = Data(count: SigstoreBundle.maximumSize + 1)
        let error = #expect(throws: SignatureVerificationError.self) { try SigstoreBundle(json: huge) }
        #expect(error?.code == .bundleInvalid)
        #expect(error?.message.contains("more than") == true)
    }

    @Test func oversizedTrustedRootIsRejected() {
        let error = #expect(throws: SignatureVerificationError.self) { try TrustedRoot(json: Data(count: TrustedRoot.maximumSize + 1)) }
        #expect(error?.code == .trustedRootInvalid)
    }

    @Test func deeplyNestedJSONIsAnErrorNotACrash() {
        let depth = 100_000
        let text = "{\"mediaType\":" + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        #expect(throws: SignatureVerificationError.self) { try SigstoreBundle(json: Data(text.utf8)) }
        #expect(throws: SignatureVerificationError.self) { try TrustedRoot(json: Data(text.utf8)) }
    }

    @Test func wrongTypesAreErrors() {
        for text in ["{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":[]}",
                     "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"certificate\":{\"rawBytes\":5}}}",
                     "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"certificate\":{\"rawBytes\":\"AAAA\"},\"tlogEntries\":{}}}",
                     "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"certificate\":{\"rawBytes\":\"AAAA\"}},\"messageSignature\":{\"signature\":\"AAAA\",\"messageDigest\":{\"algorithm\":\"MD5\",\"digest\":\"AAAA\"}}}",
                     "null", "\"x\"", "{\"mediaType\":null}"] {
            let error = #expect(throws: SignatureVerificationError.self) { try SigstoreBundle(json: Data(text.utf8)) }
            #expect(error?.code == .bundleInvalid, "\(text)")
        }
    }

    @Test func garbageCertificateFailsVerificationCleanly() throws {
        let text = "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"certificate\":{\"rawBytes\":\"AAAA\"}},\"messageSignature\":{\"signature\":\"AAAA\"}}"
        let bundle = try SigstoreBundle(json: Data(text.utf8))
        let verifier = try ConformancePolicy.verifier("a", issuer: "b", root: try TrustedRoot.production())
        let error = #expect(throws: SignatureVerificationError.self) {
            try verifier.verify(bundle: bundle, artifact: .bytes(Data("x".utf8)))
        }
        #expect(error?.code == .bundleInvalid)
        #expect(error?.check == "certificate")
    }
}
