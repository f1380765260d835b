import CryptoPrimitives
import Foundation
import GateVerdict

extension VerificationRun {
    /// Verifies every transparency-log entry from a trusted log (entries from unknown logs are ignored, as
    /// sigstore-go does), checks each body against the bundle, and records integrated times whose SET verified.
    /// Any entry from a trusted log that fails a check fails the bundle (fail closed).
    mutating func verifyTransparencyLog(signingKeyDER: [UInt8], leaf: Certificate?, signingKey: PublicKey) throws {
        var unknown = [String]()
        for (index, entry) in bundle.tlogEntries.enumerated() {
            let shape = bundle.tlogEntryShapes[index]
            guard let log = verifier.logs(id: shape.logID).first else {
                unknown.append((shape.logID.prefix(8)).hexString)
                notes.append("tlogEntries[\(index)] is from log \((shape.logID.prefix(8)).hexString)…, which the trusted root does not list; ignored")
                continue
            }
            let label = "tlogEntries[\(index)] (\(log.instance.baseURL) index \(shape.logIndex))"

            // SET, inclusion proof, checkpoint (the tlog module), then: what the log says was signed must be what
            // the bundle carries.
            let verified: VerifiedLogEntry
            do {
                verified = try TransparencyLogVerifier.verify(entry, logs: [log.key],
                                                              requireInclusionProof: bundle.version >= .v0_2)
            } catch let error as TransparencyLogError {
                throw mapTlogError(error, label: label)
            }
            let body = verified.body
            try compare(body: body, label: label, signingKeyDER: signingKeyDER, isCertificate: leaf != nil)
            if verified.setVerified, let time = verified.integratedTime {
                pass("tlog.set", "\(label): signed entry timestamp verifies; integrated time \(formatRFC3339(time))")
                verifiedTimes.append(.init(source: .transparencyLog, time: time, authority: log.instance.baseURL))
            }
            if verified.inclusionProofVerified {
                pass("tlog.inclusion_proof", "\(label): RFC 6962 inclusion proof reproduces the checkpoint's root hash")
                pass("tlog.checkpoint", "\(label): checkpoint is signed by the log and matches the proof's tree size and root")
            }
            pass("tlog.body", "\(label): \(body.kind) \(body.apiVersion) body matches the bundle's signature, \(leaf != nil ? "certificate" : "key") and artifact")
            let integrated = verified.setVerified ? verified.integratedTime : nil
            logEntries.append(.init(logURL: log.instance.baseURL, logID: (shape.logID).hexString, logIndex: shape.logIndex,
                                    kindVersion: "\(shape.kind)/\(shape.version)", integratedTime: integrated,
                                    setVerified: verified.setVerified, inclusionProofVerified: verified.inclusionProofVerified))
        }
        if policy.requireTransparencyLog && logEntries.isEmpty {
            let detail = unknown.isEmpty ? "the bundle has no transparency-log entry"
                : "the bundle's entries come from logs not in the trusted root (\(unknown.joined(separator: ", "))…); wrong trusted root or --staging?"
            throw SignatureVerificationError(.tlogEntryMissing, check: "tlog", detail)
        }
    }

    func mapTlogError(_ error: TransparencyLogError, label: String) -> SignatureVerificationError {
        let code: SignatureVerificationError.Code
        let check: CheckName
        switch error.code {
        case .tlogEntryMissing: (code, check) = (.tlogEntryMissing, "tlog")
        case .tlogEntryInvalid, .entryBodyInvalid: (code, check) = (.tlogEntryInvalid, "tlog.entry")
        case .setInvalid, .logKeyExpired: (code, check) = (.setInvalid, "tlog.set")
        case .inclusionProofInvalid: (code, check) = (.inclusionProofInvalid, "tlog.inclusion_proof")
        case .checkpointInvalid: (code, check) = (.checkpointInvalid, "tlog.checkpoint")
        case .logKeyUnknown: (code, check) = (.tlogEntryMissing, "tlog")
        case .entryBodyMismatch: (code, check) = (.tlogEntryMismatch, "tlog.body")
        }
        return SignatureVerificationError(code, check: check, "\(label): \(error.message)")
    }

    /// Checks the entry body against the bundle: exactly one signature equal to the bundle's, made by the bundle's
    /// certificate or key, over the artifact digest (message signatures) or the DSSE payload / PAE.
    func compare(body: RekorEntryBody, label: String, signingKeyDER: [UInt8], isCertificate: Bool) throws {
        func mismatch(_ message: String) -> SignatureVerificationError {
            SignatureVerificationError(.tlogEntryMismatch, check: "tlog.body", "\(label): \(message)")
        }
        let signatures = body.signatures
        guard signatures.count == 1 else {
            throw mismatch("entry records \(signatures.count) signatures; exactly one is required")
        }
        let recorded = signatures[0]
        guard let bundleSignature = bundle.content.signatureBytes, recorded.signature == bundleSignature else {
            throw mismatch("the entry's signature is not the bundle's signature; the log entry is for another signing event")
        }
        switch recorded.verifier {
        case .certificate(let der):
            guard isCertificate, der == signingKeyDER else {
                throw mismatch("the entry's certificate is not the bundle's signing \(isCertificate ? "certificate" : "key")")
            }
        case .publicKey(let der):
            guard !isCertificate, der == signingKeyDER else {
                throw mismatch("the entry's public key is not the bundle's signing \(isCertificate ? "certificate" : "key")")
            }
        }
        func checkArtifactDigest(_ algorithm: HashAlgorithm, _ digest: [UInt8]) throws {
            guard case .messageSignature = bundle.content else {
                throw mismatch("entry records a message signature but the bundle holds a DSSE envelope")
            }
            guard let actual = artifact.digest(algorithm) else {
                throw mismatch("entry records a \(algorithm.rawValue) digest, which is unknown for this artifact; pass the file")
            }
            guard actual == digest else {
                throw mismatch("entry records artifact \(algorithm.rawValue):\((digest).hexString), but the artifact is \((actual).hexString)")
            }
        }
        func envelope() throws -> DSSEEnvelope {
            guard case .dsseEnvelope(let envelope) = bundle.content else {
                throw mismatch("entry records a DSSE envelope but the bundle holds a message signature")
            }
            return envelope
        }
        func checkPayloadHash(_ hash: EntryDigest?) throws {
            let envelope = try envelope()
            guard let hash else { throw mismatch("entry records no payload hash") }
            guard hash.algorithm.hash(envelope.payload) == hash.value else {
                throw mismatch("entry's payload hash does not match the bundle's DSSE payload")
            }
        }
        switch body {
        case .hashedRekord(_, _, let algorithm, let digest):
            try checkArtifactDigest(algorithm, digest)
        case .hashedRekordV2(_, _, _, let algorithm, let digest):
            if case .dsseEnvelope(let envelope) = bundle.content {
                guard algorithm.hash(envelope.preAuthenticationEncoding) == digest else {
                    throw mismatch("entry's digest is not the hash of the bundle's DSSE PAE(payloadType, payload)")
                }
            } else {
                try checkArtifactDigest(algorithm, digest)
            }
        case .dsse(let payloadHash, _, _), .dsseV2(let payloadHash, _):
            try checkPayloadHash(payloadHash)
        case .intoto(let payloadType, let payloadHash, _, _):
            let envelope = try envelope()
            guard payloadType == envelope.payloadType else {
                throw mismatch("entry's payloadType \(payloadType) is not the bundle's \(envelope.payloadType)")
            }
            try checkPayloadHash(payloadHash)
        }
    }
}

/// Builds the tlog helper's key type for a trusted-root log instance.
func makeTransparencyLogKey(_ instance: TransparencyLogInstance) throws -> TransparencyLogKey {
    TransparencyLogKey(logID: instance.logID, key: try parseTrustedKey(instance), baseURL: instance.baseURL,
                       validFrom: instance.validFor.start, validUntil: instance.validFor.end)
}

/// Parses a trusted-root log key: DER SPKI, or a PKCS#1 RSAPublicKey when `keyDetails` says `PKCS1_…`
/// (the staging CT log `ctfe.sigstage.dev/test` is published that way).
func parseTrustedKey(_ instance: TransparencyLogInstance) throws -> PublicKey {
    if instance.keyDetails.hasPrefix("PKCS1_") { return try PublicKey(pkcs1RSA: instance.publicKeyDER) }
    return try PublicKey(derSPKI: instance.publicKeyDER)
}
