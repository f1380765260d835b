import CryptoPrimitives
import Foundation
import StrictJSON

extension SignedEvidence {
    /// The cosign layer adapter: a `.sig` layer (simple-signing payload + base64 signature annotation), an `.att`
    /// layer (a DSSE envelope), or a containers-image (skopeo) sigstore signature, which has the same parts. The
    /// certificate, chain, Rekor bundle and RFC 3161 timestamp come from the layer's annotations.
    /// - Parameter keyBased: the policy verifies with keys: a certificate the layer carries is not used (the log
    ///   entry must then record the key), as cosign does with `--key`.
    /// - Throws: `SignatureVerificationError` naming the malformed part (`payload_invalid`, `signature_invalid`,
    ///   `certificate_chain_invalid`, `tlog_entry_invalid`, `timestamp_invalid`).
    public init(cosignLayer layer: CosignLayer, keyBased: Bool) throws {
        let content: Content
        let format: Format
        switch layer.kind {
        case .signature:
            guard layer.mediaType == CosignLayer.simpleSigningMediaType else {
                throw SignatureVerificationError(.payloadInvalid, check: .payload,
                                                 "layer media type is \(layer.mediaType), not \(CosignLayer.simpleSigningMediaType)")
            }
            guard let encoded = layer.annotations[CosignLayer.signatureAnnotation], !encoded.isEmpty else {
                throw SignatureVerificationError(.signatureInvalid, check: .signature,
                                                 "the layer has no \(CosignLayer.signatureAnnotation) annotation")
            }
            // Go's base64 decoder (cosign's) skips CR and LF; so does this one, and nothing else.
            guard let decoded = Data(base64Encoded: encoded.filter { $0 != "\n" && $0 != "\r" }), !decoded.isEmpty else {
                throw SignatureVerificationError(.signatureInvalid, check: .signature,
                                                 "the \(CosignLayer.signatureAnnotation) annotation is not base64")
            }
            content = .payloadSignature(signature: Array(decoded), payload: layer.payload)
            format = .cosignSignature
        case .attestation:
            let envelope = try SignedEvidence.parseEnvelope(layer.payload)
            content = .dsseEnvelope(envelope, rawEnvelope: layer.payload)
            format = .cosignAttestation
        }

        var material = Material.publicKey
        if !keyBased, let pem = layer.annotations[CosignLayer.certificateAnnotation], !pem.isEmpty {
            do {
                guard let leaf = try Certificate.parsePEM(pem).first else { throw CryptoError(.invalidCertificate, "no certificate") }
                let chain = try layer.annotations[CosignLayer.chainAnnotation].map { try Certificate.parsePEM($0) } ?? []
                material = .certificate(leaf: leaf.der, intermediates: chain.map(\.der))
            } catch {
                throw SignatureVerificationError(.certificateChainInvalid, check: .certificate,
                                                 "the signing certificate (\(CosignLayer.certificateAnnotation)) does not parse: \(error)")
            }
        }

        var entries: [TransparencyLogEntry] = []
        if let rekor = layer.annotations[CosignLayer.rekorBundleAnnotation], !rekor.isEmpty {
            do {
                entries = [try CosignRekorBundle.parse(Array(rekor.utf8)).asEntry()]
            } catch let error as TransparencyLogError {
                throw transparencyLogFailure(error, label: "the \(CosignLayer.rekorBundleAnnotation) annotation")
            }
        }

        var timestamps: [[UInt8]] = []
        if let stamp = layer.annotations[CosignLayer.timestampAnnotation], !stamp.isEmpty {
            guard let object = try? JSONFields(parsing: Array(stamp.utf8)),
                  let encoded = try? object.string("SignedRFC3161Timestamp"), let der = Data(base64Encoded: encoded), !der.isEmpty
            else {
                throw SignatureVerificationError(.timestampInvalid, check: .timestamp,
                                                 "the \(CosignLayer.timestampAnnotation) annotation is not {\"SignedRFC3161Timestamp\": base64}")
            }
            timestamps = [Array(der)]
        }
        self.init(format: format, formatDescription: layer.kind == .signature ? "cosign signature layer" : "cosign attestation layer",
                  material: material, content: content, transparencyLogEntries: entries, requiresInclusionProof: false,
                  timestamps: timestamps)
    }

    /// Parses a DSSE envelope as cosign stores it in an `.att` layer (payload type and signature count are checked
    /// by the verifier, as for bundles).
    static func parseEnvelope(_ bytes: [UInt8]) throws -> DSSEEnvelope {
        func invalid(_ what: String) -> SignatureVerificationError {
            SignatureVerificationError(.payloadInvalid, check: .payload, "the attestation's DSSE envelope \(what)")
        }
        guard bytes.count <= 16 << 20 else { throw invalid("is larger than 16 MiB") }
        let object: JSONFields
        do {
            object = try JSONFields(parsing: bytes)
        } catch {
            throw invalid("is not a JSON object (\(error))")
        }
        guard let type = try? object.string("payloadType"), let encoded = try? object.string("payload"),
              let payload = Data(base64Encoded: encoded), let signatures = try? object.objects("signatures")
        else { throw invalid("lacks payloadType, a base64 payload or signatures") }
        let decoded = try signatures.map { entry -> DSSEEnvelope.Signature in
            guard let sig = try? entry.string("sig"), let bytes = Data(base64Encoded: sig), !bytes.isEmpty else {
                throw invalid("has a signature that is not base64")
            }
            return DSSEEnvelope.Signature(keyID: (try? entry.string("keyid")) ?? "", signature: Array(bytes))
        }
        return DSSEEnvelope(payloadType: type, payload: Array(payload), signatures: decoded)
    }
}
