import Foundation
import Testing
import CryptoPrimitives
@testable import SignatureVerification

/// A containers/image "dir:" signature file: `\0sigstore-json\n` + {"mimeType", "payload", "annotations"}.
private struct SignatureLayer: Decodable {
    let mimeType: String
    let payload: String
    let annotations: [String: String]

    static func load(_ path: String) throws -> SignatureLayer {
        let bytes = try TLogFixtures.bytes(path)
        let prefix = Array("\u{0}sigstore-json\n".utf8)
        guard bytes.starts(with: prefix) else { throw TLogFixtures.Missing(description: "\(path): not a sigstore-json signature") }
        return try JSONDecoder().decode(SignatureLayer.self, from: Data(bytes.dropFirst(prefix.count)))
    }
}

private func code(_ work: () throws -> Any) -> TransparencyLogError.Code? {
    do { _ = try work(); return nil } catch { return (error as? TransparencyLogError)?.code ?? .tlogEntryInvalid }
}

@Suite("TransparencyLog cosign dev.sigstore.cosign/bundle annotations")
struct TransparencyLogCosignBundleTests {
    static func productionLogs() throws -> [TransparencyLogKey] { try TLogFixtures.logs("roots/production.trusted_root.json") }

    /// containers/image's rekor-set (logIndex 8949589) verifies with rekor.pub, and its body records rekor-sig,
    /// sha256(rekor-payload) and rekor-cert.
    @Test func containersImageRekorSet() throws {
        let bundle = try CosignRekorBundle.parse(try TLogFixtures.bytes("containers-image/internal/rekor-set"))
        #expect(bundle.logIndex == 8949589 && bundle.integratedTime == 1670870899)
        let key = try PublicKey(pem: String(decoding: try TLogFixtures.bytes("containers-image/internal/rekor.pub"), as: UTF8.self))
        let log = TransparencyLogKey(logID: key.sha256KeyID, key: key, baseURL: "https://rekor.sigstore.dev", validFrom: nil, validUntil: nil)
        let verified = try bundle.verify(logs: [log])
        #expect(verified.setVerified && !verified.inclusionProofVerified && verified.checkpoint == nil)
        #expect(verified.integratedTime == Date(timeIntervalSince1970: 1670870899))
        let signatureText = String(decoding: try TLogFixtures.bytes("containers-image/internal/rekor-sig"), as: UTF8.self)
        let signature = [UInt8](Data(base64Encoded: signatureText.trimmingCharacters(in: .whitespacesAndNewlines)) ?? Data())
        let payload = try TLogFixtures.bytes("containers-image/internal/rekor-payload")
        let certificatePEM = try TLogFixtures.bytes("containers-image/internal/rekor-cert")
        let certificate = try #require(TLogCoding.pemDecode(certificatePEM))
        guard case .hashedRekord(let bodySignature, let verifier, let algorithm, let digest) = verified.body else {
            Issue.record("expected a hashedrekord body, got \(verified.body.kind)")
            return
        }
        #expect(bodySignature == signature)
        #expect(algorithm == .sha256 && digest == HashAlgorithm.sha256.hash(payload))
        #expect(verifier == .certificate(certificate.der))
        // The same SET with the production trusted root.
        #expect(try bundle.verify(logs: try Self.productionLogs()).setVerified)
    }

    /// The real annotations of containers/image's key-signed and Fulcio-signed fixtures verify with the production
    /// Rekor key, and the body records the layer's own signature and payload digest.
    @Test(arguments: [("containers-image/dir-img-cosign-key-rekor-valid/signature-1", Int64(11608800)),
                      ("containers-image/dir-img-cosign-fulcio-rekor-valid/signature-1", Int64(11605770))])
    func signatureLayerAnnotations(_ path: String, _ logIndex: Int64) throws {
        let layer = try SignatureLayer.load(path)
        let annotation = try #require(layer.annotations["dev.sigstore.cosign/bundle"])
        let bundle = try CosignRekorBundle.parse(Array(annotation.utf8))
        #expect(bundle.logIndex == logIndex)
        let verified = try bundle.verify(logs: try Self.productionLogs())
        #expect(verified.setVerified)
        let layerSignature = [UInt8](Data(base64Encoded: layer.annotations["dev.cosignproject.cosign/signature"] ?? "") ?? Data())
        let payload = [UInt8](Data(base64Encoded: layer.payload) ?? Data())
        guard case .hashedRekord(let signature, let verifier, _, let digest) = verified.body else {
            Issue.record("expected hashedrekord")
            return
        }
        #expect(signature == layerSignature)
        #expect(digest == HashAlgorithm.sha256.hash(payload))
        if let certificatePEM = layer.annotations["dev.sigstore.cosign/certificate"] {
            #expect(verifier == .certificate(try #require(TLogCoding.pemDecode(Array(certificatePEM.utf8))).der))
        } else {
            if case .publicKey = verifier {} else { Issue.record("key-signed layer must name a public key") }
        }

        // Mutations: each byte of the SET, the integrated time, the log index, a body byte.
        for position in bundle.signedEntryTimestamp.indices {
            var set = bundle.signedEntryTimestamp
            set[position] ^= 0x80
            let changed = CosignRekorBundle(signedEntryTimestamp: set, body: bundle.body, integratedTime: bundle.integratedTime,
                                            logIndex: bundle.logIndex, logID: bundle.logID)
            #expect(code { try changed.verify(logs: try Self.productionLogs()) } == .setInvalid)
        }
        let laterTime = CosignRekorBundle(signedEntryTimestamp: bundle.signedEntryTimestamp, body: bundle.body,
                                          integratedTime: bundle.integratedTime + 1, logIndex: bundle.logIndex, logID: bundle.logID)
        #expect(code { try laterTime.verify(logs: try Self.productionLogs()) } == .setInvalid)
        let otherIndex = CosignRekorBundle(signedEntryTimestamp: bundle.signedEntryTimestamp, body: bundle.body,
                                           integratedTime: bundle.integratedTime, logIndex: bundle.logIndex + 1, logID: bundle.logID)
        #expect(code { try otherIndex.verify(logs: try Self.productionLogs()) } == .setInvalid)
        var body = bundle.body
        body[body.count - 10] ^= 0x01
        let otherBody = CosignRekorBundle(signedEntryTimestamp: bundle.signedEntryTimestamp, body: body,
                                          integratedTime: bundle.integratedTime, logIndex: bundle.logIndex, logID: bundle.logID)
        #expect(code { try otherBody.verify(logs: try Self.productionLogs()) } != nil)
    }

    /// containers/image's negative cases: cosign.pub as the Rekor key, garbage instead of a bundle.
    @Test func wrongRekorKeyAndGarbage() throws {
        let layer = try SignatureLayer.load("containers-image/dir-img-cosign-key-rekor-valid/signature-1")
        let bundle = try CosignRekorBundle.parse(Array(try #require(layer.annotations["dev.sigstore.cosign/bundle"]).utf8))
        let cosignKey = try PublicKey(pem: String(decoding: try TLogFixtures.bytes("containers-image/cosign.pub"), as: UTF8.self))
        let asItself = TransparencyLogKey(logID: cosignKey.sha256KeyID, key: cosignKey, baseURL: "https://rekor.sigstore.dev",
                                          validFrom: nil, validUntil: nil)
        #expect(code { try bundle.verify(logs: [asItself]) } == .logKeyUnknown)
        let impostor = TransparencyLogKey(logID: bundle.logID, key: cosignKey, baseURL: "https://rekor.sigstore.dev",
                                          validFrom: nil, validUntil: nil)
        #expect(code { try bundle.verify(logs: [impostor]) } == .setInvalid)
        #expect(code { try CosignRekorBundle.parse(Array("this is not JSON".utf8)) } == .tlogEntryInvalid)
        #expect(code { try CosignRekorBundle.parse(Array(#"{"SignedEntryTimestamp":"AAAA"}"#.utf8)) } == .tlogEntryInvalid)
        #expect(code { try CosignRekorBundle.parse(Array(#"{"Payload":{}}"#.utf8)) } == .setInvalid)
    }
}
