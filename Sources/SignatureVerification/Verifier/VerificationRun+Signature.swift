import CryptoPrimitives
import Foundation
import GateVerdict

/// What the signed content claims, once its signature verified.
enum SignedClaims {
    /// A Sigstore message signature: the signature is over the artifact itself and claims nothing else.
    case none
    /// cosign's simple-signing payload (image digest, reference, `optional` annotations).
    case simpleSigning(SimpleSigningPayload)
    /// An in-toto statement (subjects, predicate type).
    case inToto(InTotoStatement)
}

extension VerificationRun {
    // MARK: Signature and artifact

    /// Hashes to try for a key, in order: its natural hash, then SHA-256 for P-384/P-521 keys (the compat rule of
    /// sigstore-go for bundles v0.1–v0.3: older clients signed with SHA-256 whatever the curve).
    func candidateHashes(for key: PublicKey) -> [HashAlgorithm] {
        switch key.kind {
        case .ecdsaP256: return [.sha256]
        case .ecdsaP384: return [.sha384, .sha256]
        case .ecdsaP521: return [.sha512, .sha256]
        case .rsa: return [.sha256]
        case .ed25519: return []
        }
    }

    func rsaPaddings(for key: PublicKey) -> [PublicKey.RSAPadding] {
        if case .rsa = key.kind { return [.pkcs1v15, .pss] }
        return [.pkcs1v15]
    }

    /// Whether `signature` verifies over `message` (bytes) under `key`, with any accepted hash and padding.
    func isValid(_ signature: [UInt8], over message: [UInt8], key: PublicKey) -> Bool {
        if key.kind == .ed25519 { return key.isValidSignature(signature, for: message) }
        for hash in candidateHashes(for: key) {
            for padding in rsaPaddings(for: key) where key.isValidSignature(signature, for: message, hash: hash, rsaPadding: padding) {
                return true
            }
        }
        return false
    }

    /// The failure for a signature that does not verify: under a policy key, the evidence was made by another key
    /// (or altered); under a certificate, the signature itself is bad.
    func signatureFailure(_ what: String) -> SignatureVerificationError {
        if case .key(let key) = signer {
            let keyID = key.keyID.prefix(16)
            return SignatureVerificationError(.keyMismatch, check: .signature,
                                              "\(what) does not verify under the key given (key \(keyID)…); it was made by another key, or altered")
        }
        return SignatureVerificationError(.signatureInvalid, check: .signature,
                                          "\(what) does not verify under the signing certificate's key; the signed content or the signature was altered")
    }

    /// "specified public key" or "signing certificate", as cosign says it.
    var signerDescription: String {
        if case .key = signer { return "specified public key" }
        return "signing certificate"
    }

    mutating func verifySignature(key: PublicKey) throws -> SignedClaims {
        switch evidence.content {
        case .messageSignature(let message):
            // The digest hint must agree with the artifact.
            if let algorithm = message.digestAlgorithm, let hint = message.digest, let actual = artifact.digest(algorithm) {
                guard actual == hint else {
                    throw SignatureVerificationError(.artifactMismatch, check: .artifact,
                                                     "artifact \(algorithm.rawValue) is \((actual).hexString), but the bundle's messageDigest is \((hint).hexString); this bundle is for another artifact")
                }
            }
            var verified = false
            if key.kind == .ed25519 {
                guard let bytes = artifact.bytes else {
                    throw SignatureVerificationError(.signatureInvalid, check: .signature,
                                                     "an Ed25519 message signature can only be verified over the artifact bytes; pass the file, not its digest")
                }
                verified = key.isValidSignature(message.signature, for: bytes)
            } else {
                var triedAny = false
                outer: for hash in candidateHashes(for: key) {
                    guard let digest = artifact.digest(hash) else { continue }
                    triedAny = true
                    for padding in rsaPaddings(for: key) where key.isValidSignature(message.signature, forDigest: digest, hash: hash, rsaPadding: padding) {
                        verified = true
                        break outer
                    }
                }
                if !triedAny {
                    throw SignatureVerificationError(.artifactMismatch, check: .artifact,
                                                     "the artifact's digest under the signing key's hash is unknown; pass the file or its sha256 digest")
                }
            }
            guard verified else { throw signatureFailure("the message signature over the artifact") }
            pass(.signature, "The message signature over the artifact was verified against the \(signerDescription)")
            if let sha256 = artifact.digest(.sha256) {
                pass(.artifact, "artifact sha256:\((sha256).hexString) is the signed message")
            }
            return .none

        case .payloadSignature(let signature, let payload):
            guard isValid(signature, over: payload, key: key) else { throw signatureFailure("the signature over the payload") }
            pass(.signature, "The signature was verified against the \(signerDescription) (over the \(payload.count)-byte payload)")
            let parsed = try SimpleSigningPayload(bytes: payload)
            report.dockerReference = parsed.dockerReference
            guard let (algorithm, value) = Artifact.parseDigest(parsed.manifestDigest),
                  let actual = artifact.digest(algorithm), actual == value else {
                let known = artifact.availableAlgorithms.compactMap { algorithm in artifact.digest(algorithm).map { "\(algorithm.rawValue):\($0.hexString)" } }
                throw SignatureVerificationError(.payloadDigestMismatch, check: .artifact,
                                                 "the signed payload is about \(parsed.manifestDigest), not \(known.first ?? "this image"): a signature of another image (replayed?)")
            }
            pass(.artifact, "The cosign claims were validated: the signed payload names \(parsed.manifestDigest)")
            return .simpleSigning(parsed)

        case .dsseEnvelope(let envelope, _):
            guard isValid(envelope.signatures[0].signature, over: envelope.preAuthenticationEncoding, key: key) else {
                throw signatureFailure("the DSSE envelope signature over PAE(payloadType, payload)")
            }
            pass(.signature, "The DSSE envelope signature over PAE(\(envelope.payloadType), payload) was verified against the \(signerDescription)")
            guard envelope.payloadType == DSSEEnvelope.inTotoPayloadType else {
                throw SignatureVerificationError(.payloadInvalid, check: .payload,
                                                 "DSSE payloadType is \(envelope.payloadType), not \(DSSEEnvelope.inTotoPayloadType); the artifact cannot be matched to a subject")
            }
            let statement = try InTotoStatement(json: envelope.payload)
            report.predicateType = statement.predicateType
            var matched: (HashAlgorithm, [UInt8])? = nil
            for algorithm in [HashAlgorithm.sha256, .sha512, .sha384] where statement.subjectAlgorithms.contains(algorithm) {
                if let digest = artifact.digest(algorithm), statement.hasSubject(algorithm: algorithm, digest: digest) {
                    matched = (algorithm, digest)
                    break
                }
            }
            guard let (algorithm, digest) = matched else {
                let known = artifact.availableAlgorithms.compactMap { algorithm in
                    artifact.digest(algorithm).map { "\(algorithm.rawValue):\(($0).hexString)" }
                }
                let subjects = statement.subjects.prefix(3).map { subject in
                    subject.digests.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
                }
                // An image attestation names the image as its subject; a bundle for a file names the file.
                let code: SignatureVerificationError.Code = evidence.format == .cosignAttestation ? .subjectMismatch : .artifactMismatch
                throw SignatureVerificationError(code, check: .artifact,
                                                 "artifact (\(known.prefix(2).joined(separator: ", "))) is not a subject of the in-toto statement (subjects: \(subjects.joined(separator: "; "))\(statement.subjects.count > 3 ? "; …" : ""))")
            }
            pass(.artifact, "artifact \(algorithm.rawValue):\((digest).hexString) is a subject of the in-toto statement (\(statement.predicateType))")
            return .inToto(statement)
        }
    }

    // MARK: Claims

    /// Required annotations (signatures' payloads) and the predicate type (attestations).
    mutating func checkClaims(_ claims: SignedClaims) throws {
        if !policy.requiredAnnotations.isEmpty {
            guard case .simpleSigning(let payload) = claims else {
                throw SignatureVerificationError(.annotationMismatch, check: .annotations,
                                                 "the policy requires annotations (-a), but this \(evidence.formatDescription) carries no simple-signing payload to hold them; such evidence cannot satisfy -a")
            }
            for (key, value) in policy.requiredAnnotations.sorted(by: { $0.key < $1.key }) where payload.optional[key] != value {
                throw SignatureVerificationError(.annotationMismatch, check: .annotations,
                                                 "annotation \(key) is \(payload.optional[key].map { "\"\($0)\"" } ?? "absent (or not a JSON string)"), not \"\(value)\"")
            }
            pass(.annotations, "the signed payload carries every required annotation (\(policy.requiredAnnotations.keys.sorted().joined(separator: ", ")))")
        }
        if let wanted = policy.predicateType {
            guard case .inToto(let statement) = claims, statement.predicateType == wanted else {
                var found = "none"
                if case .inToto(let statement) = claims { found = statement.predicateType }
                throw SignatureVerificationError(.predicateTypeMismatch, check: .predicateType, "predicate type is \(found), not \(wanted)")
            }
            pass(.predicateType, "predicate type is \(wanted)")
        }
    }
}
