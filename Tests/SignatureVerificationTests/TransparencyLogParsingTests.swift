import Foundation
import StrictJSON
import Testing
import CryptoPrimitives
@testable import SignatureVerification

@Suite("TransparencyLog canonical JSON, entries, bodies and checkpoint parsing")
struct TransparencyLogParsingTests {
    // MARK: RFC 8785

    /// RFC 8785 §3.2.2.2 string-escaping example: input and its canonical form.
    @Test func rfc8785StringEscaping() throws {
        let input = #"{"string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/"}"#
        let expected = #"{"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        let canonical = try JSONValue(parsing: Array(input.utf8)).rfc8785Bytes()
        #expect(String(decoding: canonical, as: UTF8.self) == expected)
    }

    /// RFC 8785 §3.2.3 sorting example: keys ordered by UTF-16 code units (so U+1F600, a surrogate pair, sorts
    /// before U+FB33), values kept.
    @Test func rfc8785KeySorting() throws {
        let input = #"""
        {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
         "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control",
         "\u00f6": "Latin Small Letter O With Diaeresis"}
        """#
        let canonical = String(decoding: try JSONValue(parsing: Array(input.utf8)).rfc8785Bytes(), as: UTF8.self)
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\","
            + "\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\u{FB33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        #expect(canonical == expected)
    }

    @Test func canonicalNumbers() throws {
        #expect(try JSONValue.rfc8785Number("-0") == "0")
        #expect(try JSONValue.rfc8785Number("1.0e2") == "100")
        #expect(try JSONValue.rfc8785Number("1689177396") == "1689177396")
        #expect(try JSONValue.rfc8785Number("-25579") == "-25579")
        #expect(throws: JSONShapeError.self) { try JSONValue.rfc8785Number("1.5") }
        #expect(throws: JSONShapeError.self) { try JSONValue.rfc8785Number("1e400") }
    }

    @Test(arguments: [
        #"{"a":1,"a":2}"#, #"{"a":1"#, #"{"a":01}"#, #"{"a":"\ud800"}"#, "[1,]", #"{"a":1} x"#, "\"\u{01}\"",
        String(repeating: "[", count: 70) + String(repeating: "]", count: 70),
    ])
    func strictParserRejects(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: Array(text.utf8)) }
    }

    /// Rekor bodies are stored in canonical form: canonicalizing a real body reproduces its exact bytes. (Rekor v2
    /// requires this; Rekor v1 does it too.)
    @Test("real entry bodies are RFC 8785 canonical", arguments: TLogFixtures.bundlePaths)
    func realBodiesAreCanonical(_ path: String) throws {
        for object in try TLogFixtures.entryObjects(path) {
            let entry = try TLogFixtures.decodeEntry(object)
            let canonical = try JSONValue(parsing: entry.canonicalizedBody).rfc8785Bytes()
            #expect(canonical == entry.canonicalizedBody, "\(path)")
        }
    }

    // MARK: Codecs

    @Test func base64IsStrict() {
        #expect(TLogCoding.base64Decode("wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=")?.count == 32)
        #expect(TLogCoding.base64Decode("wNI9atQGlz-VWfO6LRygH4QUfY_8W4RFwiT5i5WRgB0")?.count == 32)   // URL-safe, unpadded
        #expect(TLogCoding.base64Decode("e30=") == Array("{}".utf8))
        #expect(TLogCoding.base64Decode("e30") == Array("{}".utf8))
        #expect(TLogCoding.base64Decode("e31=") == nil)      // non-zero trailing bits
        #expect(TLogCoding.base64Decode("e3 0=") == nil)     // whitespace
        #expect(TLogCoding.base64Decode("e30==") == nil)     // too much padding
        #expect(TLogCoding.base64Decode("e=30") == nil)      // data after padding
        #expect(TLogCoding.base64Decode("e") == nil)         // impossible length
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(TLogCoding.base64Decode(base64Encode(bytes)) == bytes)
            #expect(protoBase64Decode(base64Encode(bytes)) == bytes)
            #expect(protoBase64Decode(base64Encode(bytes).replacingOccurrences(of: "A", with: "A\r\n")) == bytes)
        }
    }

    @Test func pemIsOneBlock() throws {
        let pem = String(decoding: try TLogFixtures.bytes("keys/tlog.rekor.sigstore.dev.pub.pem"), as: UTF8.self)
        let decoded = try #require(TLogCoding.pemDecode(Array(pem.utf8)))
        #expect(decoded.label == "PUBLIC KEY" && HashAlgorithm.sha256.hash(decoded.der).hexString.hasPrefix("c0d23d6a"))
        #expect(TLogCoding.pemDecode(Array((pem + pem).utf8)) == nil)
        #expect(TLogCoding.pemDecode(Array(("junk" + pem).utf8)) == nil)
        #expect(TLogCoding.pemDecode(Array(pem.replacingOccurrences(of: "END PUBLIC KEY", with: "END CERTIFICATE").utf8)) == nil)
        #expect(TLogCoding.pemDecode(Array("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n".utf8)) == nil)
    }

    // MARK: Entries

    @Test func decodesProtojsonEntry() throws {
        let entry = try TLogFixtures.entry("bundles/conformance/happy-path-v0.2/bundle.sigstore.json")
        #expect(entry.logIndex == 27246492)
        #expect(entry.logID.hexString == "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d")
        #expect(entry.kindVersion == .init(kind: "hashedrekord", version: "0.0.1"))
        #expect(entry.integratedTime == 1689177396)
        #expect(entry.inclusionPromise?.count == 71)
        #expect(entry.inclusionProof?.logIndex == 23083061)
        #expect(entry.inclusionProof?.treeSize == 23083062)
        #expect(entry.inclusionProof?.hashes.count == 10)
        #expect(entry.inclusionProof?.checkpoint?.hasPrefix("rekor.sigstore.dev - 2605736670972794746\n") == true)
        // Rekor v2: no integrated time, no promise.
        let v2 = try TLogFixtures.entry("bundles/conformance/rekor2-happy-path/bundle.sigstore.json")
        #expect(v2.integratedTime == nil && v2.inclusionPromise == nil)
        #expect(v2.kindVersion == .init(kind: "hashedrekord", version: "0.0.2"))
        // sigstore-go example: "inclusionProof": null.
        let provenance = try TLogFixtures.entry("bundles/sigstore-go/bundle-provenance.json")
        #expect(provenance.inclusionProof == nil && provenance.inclusionPromise != nil)
    }

    @Test func entryDecodingErrorsAreTransparencyLogErrors() throws {
        var object = try TLogFixtures.entryObjects("bundles/conformance/happy-path-v0.2/bundle.sigstore.json")[0]
        object["canonicalizedBody"] = "not base64!"
        #expect(throws: TransparencyLogError.self) { try TLogFixtures.decodeEntry(object) }
        object = try TLogFixtures.entryObjects("bundles/conformance/happy-path-v0.2/bundle.sigstore.json")[0]
        object["logIndex"] = "12x"
        #expect(throws: TransparencyLogError.self) { try TLogFixtures.decodeEntry(object) }
        object = try TLogFixtures.entryObjects("bundles/conformance/happy-path-v0.2/bundle.sigstore.json")[0]
        var proof = object["inclusionProof"] as? [String: Any] ?? [:]
        proof["hashes"] = Array(repeating: "AAAA", count: 65)
        object["inclusionProof"] = proof
        #expect(throws: TransparencyLogError.self) { try TLogFixtures.decodeEntry(object) }
    }

    // MARK: Bodies

    /// Every real body parses as its declared kind, and records the bundle's own signature, certificate/key and
    /// digest (except the conformance cases that change one of them on purpose).
    @Test("real bodies parse and match their bundle", arguments: TLogFixtures.bundlePaths)
    func realBodies(_ path: String) throws {
        let bundle = try JSONSerialization.jsonObject(with: Data(try TLogFixtures.bytes(path))) as? [String: Any] ?? [:]
        let material = bundle["verificationMaterial"] as? [String: Any] ?? [:]
        var certificate: [UInt8]?
        if let chain = material["x509CertificateChain"] as? [String: Any],
           let first = (chain["certificates"] as? [[String: Any]])?.first, let raw = first["rawBytes"] as? String {
            certificate = Data(base64Encoded: raw).map { [UInt8]($0) }
        } else if let leaf = material["certificate"] as? [String: Any], let raw = leaf["rawBytes"] as? String {
            certificate = Data(base64Encoded: raw).map { [UInt8]($0) }
        }
        let tampered = ["signature-mismatch_fail", "incorrect-public-key_fail", "dsse-mismatch", "dsse-invalid-sig",
                        "cve_2022", "wrong-hashedrekord", "rekor2-dsse-mismatch", "rekor2-dsse-invalid", "dsse-2sigs",
                        "log-entry-mismatch", "wrong-material", "invalid-base64"].contains(where: path.contains)
        for object in try TLogFixtures.entryObjects(path) {
            let entry = try TLogFixtures.decodeEntry(object)
            if path.contains("negative-log-index") {
                // This case's body is only {"apiVersion":"0.0.1"}.
                #expect(throws: TransparencyLogError.self) {
                    try RekorEntryBody.parseBody(entry.canonicalizedBody, kind: entry.kindVersion.kind, version: entry.kindVersion.version)
                }
                continue
            }
            let body = try RekorEntryBody.parseBody(entry.canonicalizedBody, kind: entry.kindVersion.kind,
                                                    version: entry.kindVersion.version)
            #expect(body.kind == entry.kindVersion.kind && body.apiVersion == entry.kindVersion.version)
            if let certificate, !tampered {
                #expect(body.signatures.allSatisfy { $0.verifier == .certificate(certificate) }, "\(path)")
            }
            guard !tampered else { continue }
            if let signature = bundle["messageSignature"] as? [String: Any] {
                let sig = (signature["signature"] as? String).flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) }
                let digest = ((signature["messageDigest"] as? [String: Any])?["digest"] as? String)
                    .flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) }
                switch body {
                case .hashedRekord(let bodySig, _, let algorithm, let bodyDigest),
                     .hashedRekordV2(let bodySig, _, _, let algorithm, let bodyDigest):
                    #expect(bodySig == sig, "\(path)")
                    #expect(algorithm == .sha256)
                    if let digest { #expect(bodyDigest == digest, "\(path)") }
                default:
                    Issue.record("\(path): message signature bundle with a \(body.kind) entry")
                }
            } else if let envelope = bundle["dsseEnvelope"] as? [String: Any] {
                let payload = [UInt8](Data(base64Encoded: envelope["payload"] as? String ?? "") ?? Data())
                let payloadType = envelope["payloadType"] as? String ?? ""
                let sig = ((envelope["signatures"] as? [[String: Any]])?.first?["sig"] as? String)
                    .flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) }
                switch body {
                case .dsse(let payloadHash, _, let signatures), .intoto(_, .some(let payloadHash), _, let signatures):
                    #expect(payloadHash == EntryDigest(algorithm: .sha256, value: HashAlgorithm.sha256.hash(payload)), "\(path)")
                    #expect(signatures.first?.signature == sig, "\(path)")
                case .hashedRekordV2(let bodySig, _, _, _, let digest):
                    // Rekor v2 logs DSSE as hashedrekord over the PAE.
                    var pae = Array("DSSEv1 \(payloadType.utf8.count) \(payloadType) \(payload.count) ".utf8)
                    pae += payload
                    #expect(digest == HashAlgorithm.sha256.hash(pae), "\(path)")
                    #expect(bodySig == sig, "\(path)")
                default:
                    Issue.record("\(path): DSSE bundle with a \(body.kind) \(body.apiVersion) entry")
                }
            }
        }
    }

    @Test func bodyKindMismatchAndMalformedBodies() throws {
        let entry = try TLogFixtures.entry("bundles/conformance/happy-path-v0.2/bundle.sigstore.json")
        #expect(throws: TransparencyLogError(.entryBodyMismatch,
            "the entry body is hashedrekord 0.0.1 but kindVersion says dsse 0.0.1; the bundle was altered")) {
            try RekorEntryBody.parseBody(entry.canonicalizedBody, kind: "dsse", version: "0.0.1")
        }
        func code(_ bytes: [UInt8]) -> TransparencyLogError.Code? {
            do { _ = try RekorEntryBody.parseBody(bytes); return nil } catch { return (error as? TransparencyLogError)?.code }
        }
        #expect(code(Array(entry.canonicalizedBody.dropLast())) == .entryBodyInvalid)
        #expect(code(Array(#"{"apiVersion":"0.0.1","kind":"rekord","spec":{}}"#.utf8)) == .entryBodyInvalid)
        // Duplicate keys would let two readers see different bodies.
        let text = String(decoding: entry.canonicalizedBody, as: UTF8.self)
        let duplicated = text.replacingOccurrences(of: #"{"apiVersion":"0.0.1","#, with: #"{"apiVersion":"0.0.1","apiVersion":"0.0.1","#)
        #expect(code(Array(duplicated.utf8)) == .entryBodyInvalid)
        // A Rekor v2 body must be canonical and have no unknown fields.
        let v2 = try TLogFixtures.entry("bundles/conformance/rekor2-happy-path/bundle.sigstore.json").canonicalizedBody
        #expect(code(v2) == nil)
        #expect(code(Array(" ".utf8) + v2) == .entryBodyInvalid)
        let v2Text = String(decoding: v2, as: UTF8.self)
        #expect(code(Array(v2Text.replacingOccurrences(of: #""spec":{"#, with: #""spec":{"extra":1,"#).utf8)) == .entryBodyInvalid)
        #expect(code(Array(v2Text.replacingOccurrences(of: "SHA2_256", with: "SHA2_999").utf8)) == .entryBodyInvalid)
    }

    // MARK: Checkpoints

    /// Every real checkpoint parses, and names the inclusion proof's tree size and root hash (except the case
    /// whose checkpoint is for another tree).
    @Test("real checkpoints parse", arguments: TLogFixtures.bundlePaths)
    func realCheckpoints(_ path: String) throws {
        let malformed = ["missing-origin", "missing-size", "missing-root-hash", "missing-log-signature"].contains(where: path.contains)
        for object in try TLogFixtures.entryObjects(path) {
            guard let envelope = try TLogFixtures.decodeEntry(object).inclusionProof?.checkpoint,
                  let proof = try TLogFixtures.decodeEntry(object).inclusionProof else { continue }
            if malformed {
                #expect(throws: TransparencyLogError.self, "\(path)") { try Checkpoint.parse(envelope: envelope) }
                continue
            }
            let checkpoint = try Checkpoint.parse(envelope: envelope)
            #expect(!checkpoint.signatures.isEmpty)
            #expect(checkpoint.signatures.allSatisfy { $0.keyHint.count == 4 })
            if !path.contains("wrong-roothash") {
                #expect(checkpoint.treeSize == UInt64(proof.treeSize), "\(path)")
                #expect(checkpoint.rootHash == proof.rootHash, "\(path)")
            }
            #expect(checkpoint.signedText == Array(envelope.utf8.prefix(checkpoint.signedText.count)))
            #expect(checkpoint.signedText.last == 0x0A)
        }
    }

    @Test func checkpointFields() throws {
        let entry = try TLogFixtures.entry("bundles/conformance/happy-path-v0.2/bundle.sigstore.json")
        let checkpoint = try Checkpoint.parse(envelope: entry.inclusionProof?.checkpoint ?? "")
        #expect(checkpoint.origin == "rekor.sigstore.dev - 2605736670972794746")
        #expect(checkpoint.isRekorV1)
        #expect(checkpoint.otherContent == ["Timestamp: 1689177396617352539"])
        #expect(checkpoint.signatures.map(\.name) == ["rekor.sigstore.dev"])
        #expect(checkpoint.signatures[0].keyHint.hexString == "c0d23d6a")
        let v2 = try TLogFixtures.entry("bundles/conformance/rekor2-dsse-happy-path/bundle.sigstore.json")
        let v2Checkpoint = try Checkpoint.parse(envelope: v2.inclusionProof?.checkpoint ?? "")
        #expect(!v2Checkpoint.isRekorV1)
        #expect(v2Checkpoint.origin == "log2025-alpha3.rekor.sigstage.dev")
        #expect(v2Checkpoint.signatures.count == 4)
    }

    @Test(arguments: [
        "", "origin\n1\n", "origin\n1\nAAAA\n\n— a AAAAAAA=\n",
        "origin\n01\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— a AAAAAAA=\n",
        "origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— a AAAAAAA=",
        "origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n- a AAAAAAA=\n",
        "origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— a AAAA\n",
        "\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— a AAAAAAA=\n",
    ])
    func malformedCheckpoints(_ envelope: String) {
        #expect(throws: TransparencyLogError.self) { try Checkpoint.parse(envelope: envelope) }
    }
}
