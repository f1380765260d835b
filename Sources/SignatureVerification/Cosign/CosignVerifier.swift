import CryptoPrimitives
import Foundation
import GateVerdict

/// What a cosign signature or attestation must satisfy: who signed, which evidence is required, which claims.
public struct CosignVerificationPolicy: Sendable {
    /// Who must have signed.
    public enum Signer: Sendable {
        /// One of these public keys (`--key`).
        case keys([PublicKey])
        /// A certificate whose identity and issuer match (`--certificate-identity`, `--certificate-oidc-issuer`);
        /// `extensions` maps Fulcio extension names to exact values. A nil issuer accepts any issuer (private PKI).
        case certificate(identity: StringMatcher, issuer: StringMatcher?, extensions: [String: String])
    }

    /// Who must have signed.
    public var signer: Signer
    /// Require a verified transparency-log entry (false with `--insecure-ignore-tlog`).
    public var requireTransparencyLog: Bool
    /// Require a verified embedded SCT for Fulcio certificates.
    public var requireSCT: Bool
    /// `-a key=value`: each must equal the payload's `optional` value (signatures) or subject annotation.
    public var requiredAnnotations: [String: String]
    /// Attestations: the in-toto predicate type that must match (a full URI); nil accepts any.
    public var predicateType: String?
    /// Private PKI (`--certificate-chain`): intermediates then root. Certificates chain to these instead of the
    /// trusted root's Fulcio CAs, and no SCT is required.
    public var certificateChain: [Certificate]?

    /// Creates a policy; evidence requirements default to what cosign demands.
    public init(signer: Signer, requireTransparencyLog: Bool = true, requireSCT: Bool = true,
                requiredAnnotations: [String: String] = [:], predicateType: String? = nil,
                certificateChain: [Certificate]? = nil) {
        self.signer = signer
        self.requireTransparencyLog = requireTransparencyLog
        self.requireSCT = requireSCT
        self.requiredAnnotations = requiredAnnotations
        self.predicateType = predicateType
        self.certificateChain = certificateChain
    }
}

/// Verifies cosign classic signatures and attestations (`.sig` / `.att` layers and cosign OCI 1.1 referrers) the
/// way `cosign verify` does, and stricter where cosign is lax: the payload is parsed strictly, and every check is
/// reported. Built once per policy and trusted root (keys and CA chains are parsed once), then reused.
public struct CosignVerifier: Sendable {
    /// The policy being enforced.
    public let policy: CosignVerificationPolicy
    let logs: [TransparencyLogKey]
    let certificateAuthorities: [(validator: ChainValidator, validFor: ValidityPeriod)]
    let ctLogs: [CTLogKey]
    let timestampAuthorities: [(roots: [Certificate], intermediates: [Certificate], validFor: ValidityPeriod)]

    /// Prepares a verifier. `trustedRoot` supplies Rekor keys, Fulcio CAs, CT logs and TSAs; it may be nil for
    /// key-based verification without transparency-log evidence.
    public init(policy: CosignVerificationPolicy, trustedRoot: TrustedRoot?) throws {
        self.policy = policy
        var logs: [TransparencyLogKey] = []
        var authorities: [(ChainValidator, ValidityPeriod)] = []
        var ctLogs: [CTLogKey] = []
        var tsas: [([Certificate], [Certificate], ValidityPeriod)] = []
        if let root = trustedRoot {
            // A key this verifier cannot use is left out: that only ever removes trust, never adds it.
            logs = root.transparencyLogs.compactMap { try? makeTransparencyLogKey($0) }
            ctLogs = root.ctLogs.compactMap { log in (try? parseTrustedKey(log)).map { CTLogKey(logID: log.logID, key: $0) } }
            for ca in root.certificateAuthorities {
                let certificates = ca.certificatesDER.compactMap { try? Certificate(der: $0) }
                guard let anchor = certificates.last else { continue }
                authorities.append((ChainValidator(roots: [anchor], intermediates: Array(certificates.dropLast())),
                                    ca.validFor))
            }
            for tsa in root.timestampAuthorities {
                let certificates = tsa.certificatesDER.compactMap { try? Certificate(der: $0) }
                guard let anchor = certificates.last else { continue }
                tsas.append(([anchor], Array(certificates.dropLast()), tsa.validFor))
            }
        }
        if let chain = policy.certificateChain {
            guard let anchor = chain.last else {
                throw SignatureVerificationError(.policyInvalid, check: "policy",
                                                 "--certificate-chain holds no certificate; give intermediates then the root, PEM")
            }
            authorities = [(ChainValidator(roots: [anchor], intermediates: Array(chain.dropLast())),
                            ValidityPeriod(start: Date(timeIntervalSince1970: 0)))]
        }
        self.logs = logs
        self.certificateAuthorities = authorities
        self.ctLogs = ctLogs
        self.timestampAuthorities = tsas
    }

    /// Verifies one layer against the image digest it was found for. Never throws: every outcome, including
    /// malformed input, is a check in the returned report, and the report is `verified` only if all checks passed.
    /// - Parameters:
    ///   - layer: the layer (payload bytes already checked against the layer digest).
    ///   - imageDigest: the digest of the image the signature must be about (`sha256:<hex>`).
    ///   - source: where the layer was found, for the report.
    ///   - now: the time to check certificates at when no verified time exists (injected, never read here).
    public func verify(_ layer: CosignLayer, imageDigest: String, source: String, now: Date) -> SignatureReport {
        var report = SignatureReport(kind: layer.kind.rawValue, source: source)
        do {
            try verify(layer, imageDigest: imageDigest, now: now, into: &report)
            report.verified = report.checks.allSatisfy(\.passed)
        } catch let failure as CheckFailure {
            report.checks.append(.failed(failure.check, failure.reason, failure.message))
            report.verified = false
        } catch let error as SignatureVerificationError {
            report.checks.append(.failed(error.check, ReasonCode(rawValue: error.code.rawValue), error.message))
            report.verified = false
        } catch {
            report.checks.append(.failed("internal", .internalError, "\(error)"))
            report.verified = false
        }
        return report
    }

    // MARK: - The checks, in cosign's order

    private func verify(_ layer: CosignLayer, imageDigest: String, now: Date, into report: inout SignatureReport) throws {
        // 1. What was signed: the payload (signatures) or the DSSE envelope (attestations).
        let signature: [UInt8]
        let signedMessage: [UInt8]
        var statement: InTotoStatement?
        var payload: SimpleSigningPayload?
        switch layer.kind {
        case .signature:
            guard layer.mediaType == CosignLayer.simpleSigningMediaType else {
                throw fail(.payloadInvalid, "payload", "layer media type is \(layer.mediaType), not \(CosignLayer.simpleSigningMediaType)")
            }
            guard let encoded = layer.annotations[CosignLayer.signatureAnnotation], !encoded.isEmpty else {
                throw fail(.signatureInvalid, "signature", "the layer has no \(CosignLayer.signatureAnnotation) annotation")
            }
            // Go's base64 decoder (cosign's) skips CR and LF; so does this one, and nothing else.
            guard let decoded = Data(base64Encoded: encoded.filter { $0 != "\n" && $0 != "\r" }), !decoded.isEmpty else {
                throw fail(.signatureInvalid, "signature", "the \(CosignLayer.signatureAnnotation) annotation is not base64")
            }
            signature = Array(decoded)
            signedMessage = layer.payload
            let parsed = try SimpleSigningPayload(bytes: layer.payload)
            payload = parsed
            report.dockerReference = parsed.dockerReference
        case .attestation:
            let envelope = try CosignVerifier.parseEnvelope(layer.payload)
            guard envelope.payloadType == DSSEEnvelope.inTotoPayloadType else {
                throw fail(.payloadInvalid, "payload", "DSSE payloadType is \(envelope.payloadType), not \(DSSEEnvelope.inTotoPayloadType)")
            }
            guard envelope.signatures.count == 1, let only = envelope.signatures.first else {
                throw fail(.signatureInvalid, "signature", "the DSSE envelope holds \(envelope.signatures.count) signatures; exactly one is accepted")
            }
            signature = only.signature
            signedMessage = envelope.preAuthenticationEncoding
            let parsed = try InTotoStatement(json: envelope.payload)
            statement = parsed
            report.predicateType = parsed.predicateType
        }

        // 2. The signature under the key, or under the certificate (which must chain and match the identity).
        var certificate: Certificate?
        var chain: [Certificate] = []
        let verifyingKey: PublicKey
        switch policy.signer {
        case .keys(let keys):
            guard let key = keys.first(where: { CosignVerifier.isValid(signature, for: signedMessage, under: $0) }) else {
                let detail = keys.count == 1
                    ? "the signature does not verify under the key given (key \(CosignVerifier.keyID(keys[0]).prefix(16))…); it was made by another key, or altered"
                    : "the signature verifies under none of the \(keys.count) keys given"
                throw fail(.keyMismatch, "signature", detail)
            }
            verifyingKey = key
            report.keyID = CosignVerifier.keyID(key)
            report.checks.append(.passed("signature", "The signature was verified against the specified public key"))
        case .certificate:
            guard let pem = layer.annotations[CosignLayer.certificateAnnotation], !pem.isEmpty else {
                throw fail(.certificateChainInvalid, "certificate", "the signature carries no certificate (\(CosignLayer.certificateAnnotation)); verify it with --key instead")
            }
            let leaf: Certificate
            do {
                guard let first = try Certificate.parsePEM(pem).first else { throw CryptoError(.invalidCertificate, "no certificate") }
                leaf = first
                chain = try layer.annotations[CosignLayer.chainAnnotation].map { try Certificate.parsePEM($0) } ?? []
            } catch {
                throw fail(.certificateChainInvalid, "certificate", "the signing certificate does not parse: \(error)")
            }
            certificate = leaf
            verifyingKey = leaf.publicKey
            guard CosignVerifier.isValid(signature, for: signedMessage, under: verifyingKey) else {
                throw fail(.signatureInvalid, "signature", "the signature does not verify under the certificate's key")
            }
            report.checks.append(.passed("signature", "The signature was verified against the signing certificate"))
        }

        // 3. Claims: the payload names this image; the required annotations hold.
        if let payload {
            guard payload.manifestDigest == imageDigest else {
                throw fail(.payloadDigestMismatch, "claims",
                           "the signed payload is about \(payload.manifestDigest), not \(imageDigest): a signature of another image (replayed?)")
            }
            for (key, value) in policy.requiredAnnotations.sorted(by: { $0.key < $1.key }) where payload.optional[key] != value {
                throw fail(.annotationMismatch, "annotations",
                           "annotation \(key) is \(payload.optional[key].map { "\"\($0)\"" } ?? "absent"), not \"\(value)\"")
            }
            report.checks.append(.passed("claims", "The cosign claims were validated (the payload names \(imageDigest))"))
        }
        if let statement {
            let hex = String(imageDigest.drop(while: { $0 != ":" }).dropFirst())
            guard let digestBytes = bytesFromHex(hex), statement.hasSubject(algorithm: .sha256, digest: digestBytes) else {
                throw fail(.subjectMismatch, "claims", "the in-toto statement's subjects do not name \(imageDigest)")
            }
            if let wanted = policy.predicateType, statement.predicateType != wanted {
                throw fail(.predicateTypeMismatch, "predicate-type", "predicate type is \(statement.predicateType), not \(wanted)")
            }
            report.checks.append(.passed("claims", "The in-toto statement names \(imageDigest) as its subject"))
        }

        // 4. Transparency log: the Rekor bundle annotation (SET) bound to this signature, key and payload.
        var verifiedTimes: [Date] = []
        if let rekor = layer.annotations[CosignLayer.rekorBundleAnnotation], !rekor.isEmpty {
            let entry: VerifiedLogEntry
            do {
                entry = try CosignRekorBundle.parse(Array(rekor.utf8)).verify(logs: logs)
            } catch let error as TransparencyLogError {
                throw fail(ReasonCode(rawValue: error.code.rawValue), "tlog", error.message)
            } catch {
                throw fail(.tlogEntryMismatch, "tlog", "the \(CosignLayer.rekorBundleAnnotation) annotation does not parse: \(error)")
            }
            try CosignVerifier.checkBinding(entry.body, signature: signature, key: verifyingKey, certificate: certificate,
                                            envelopeOrPayload: layer.payload)
            report.tlogIndex = entry.logIndex
            if let time = entry.integratedTime {
                report.integratedTime = ContractJSON.timestamp(time)
                verifiedTimes.append(time)
            }
            report.checks.append(.passed("tlog", "Existence of the claims in the transparency log was verified offline (SET, log index \(entry.logIndex))"))
        } else if policy.requireTransparencyLog {
            throw fail(.tlogEntryMissing, "tlog",
                       "the signature has no transparency-log bundle; sign with a Rekor upload, or pass --insecure-ignore-tlog for private infrastructure")
        } else {
            report.checks.append(.passed("tlog", "Transparency-log evidence was not required (--insecure-ignore-tlog)"))
        }

        // 5. RFC 3161 timestamp over the signature, when present.
        if let stamp = layer.annotations[CosignLayer.timestampAnnotation], !stamp.isEmpty {
            let time = try verifyTimestamp(stamp, signature: signature)
            verifiedTimes.append(time)
            report.timestamps = [ContractJSON.timestamp(time)]
            report.checks.append(.passed("timestamp", "The RFC 3161 timestamp was verified (\(ContractJSON.timestamp(time)))"))
        }

        // 6. Certificate: chain at every verified time (or now), identity and issuer, SCT.
        if let certificate, case .certificate(let identity, let issuer, let extensions) = policy.signer {
            let times = verifiedTimes.isEmpty ? [now] : verifiedTimes
            try verifyChain(certificate, intermediates: chain, at: times)
            report.checks.append(.passed("certificate-chain", "The signing certificate chains to a trusted CA at the verified time"))
            try checkIdentity(certificate, identity: identity, issuer: issuer, extensions: extensions, into: &report)
            if policy.requireSCT && policy.certificateChain == nil {
                try verifySCT(certificate, intermediates: chain)
                report.checks.append(.passed("sct", "The certificate's embedded SCT was verified against a trusted CT log"))
            }
        }
    }

    // MARK: - Pieces

    /// A failed check, carried to the report with its gate reason code.
    struct CheckFailure: Error {
        let reason: ReasonCode
        let check: CheckName
        let message: String
    }

    private func fail(_ reason: ReasonCode, _ check: CheckName, _ message: String) -> CheckFailure {
        CheckFailure(reason: reason, check: check, message: message)
    }

    /// The SHA-256 of the key's SubjectPublicKeyInfo, hex: how keys are named in verdicts.
    public static func keyID(_ key: PublicKey) -> String { HashAlgorithm.sha256.hash(key.spkiDER).hexString }

    /// Verifies with the hash cosign and sigstore use for the key type (P-384 → SHA-384, P-521 → SHA-512).
    static func isValid(_ signature: [UInt8], for message: [UInt8], under key: PublicKey) -> Bool {
        let hash: HashAlgorithm
        switch key.kind {
        case .ecdsaP384: hash = .sha384
        case .ecdsaP521: hash = .sha512
        default: hash = .sha256
        }
        return key.isValidSignature(signature, for: message, hash: hash)
    }

    /// Parses a DSSE envelope as cosign stores it in an `.att` layer.
    static func parseEnvelope(_ bytes: [UInt8]) throws -> DSSEEnvelope {
        let invalid = { (what: String) in
            CheckFailure(reason: .payloadInvalid, check: "payload", message: "the attestation's DSSE envelope \(what)")
        }
        guard bytes.count <= 16 << 20 else { throw invalid("is larger than 16 MiB") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw invalid("is not a JSON object")
        }
        guard let type = object["payloadType"] as? String, let encoded = object["payload"] as? String,
              let payload = Data(base64Encoded: encoded), let signatures = object["signatures"] as? [[String: Any]]
        else { throw invalid("lacks payloadType, a base64 payload or signatures") }
        let decoded = try signatures.map { entry -> DSSEEnvelope.Signature in
            guard let sig = entry["sig"] as? String, let bytes = Data(base64Encoded: sig), !bytes.isEmpty else {
                throw invalid("has a signature that is not base64")
            }
            return DSSEEnvelope.Signature(keyID: entry["keyid"] as? String ?? "", signature: Array(bytes))
        }
        return DSSEEnvelope(payloadType: type, payload: Array(payload), signatures: decoded)
    }

    /// The log entry must be about this signature, made with this key or certificate, over this payload.
    static func checkBinding(_ body: RekorEntryBody, signature: [UInt8], key: PublicKey, certificate: Certificate?,
                             envelopeOrPayload: [UInt8]) throws {
        let mismatch = { (what: String) in
            CheckFailure(reason: .tlogEntryMismatch, check: "tlog", message: "the transparency-log entry \(what)")
        }
        guard let entrySignature = body.signatures.first(where: { $0.signature == signature }) else {
            throw mismatch("records another signature than this layer's")
        }
        switch entrySignature.verifier {
        case .certificate(let der):
            guard let certificate, certificate.der == der else {
                throw mismatch("records another certificate than the one that signed")
            }
        case .publicKey(let der):
            guard der == key.spkiDER else { throw mismatch("records another public key than the one that signed") }
        }
        let payloadDigest = HashAlgorithm.sha256.hash(envelopeOrPayload)
        guard body.cosignLayerDigests.contains(EntryDigest(algorithm: .sha256, value: payloadDigest)) else {
            throw mismatch("records a hash that is not sha256 of the signed payload")
        }
    }

    private func verifyTimestamp(_ annotation: String, signature: [UInt8]) throws -> Date {
        guard let object = try? JSONSerialization.jsonObject(with: Data(annotation.utf8)) as? [String: Any],
              let encoded = object["SignedRFC3161Timestamp"] as? String, let der = Data(base64Encoded: encoded)
        else {
            throw fail(.timestampInvalid, "timestamp", "the rfc3161timestamp annotation is not {\"SignedRFC3161Timestamp\": base64}")
        }
        var lastError = "no trusted timestamp authority is configured"
        for tsa in timestampAuthorities {
            do {
                let token = try TimestampToken(der: Array(der))
                let time = try token.verify(message: signature, roots: tsa.roots, intermediates: tsa.intermediates, leaf: nil)
                guard tsa.validFor.contains(time) else {
                    lastError = "the timestamp is outside the TSA's validity"
                    continue
                }
                return time
            } catch {
                lastError = "\(error)"
            }
        }
        throw fail(.timestampInvalid, "timestamp", "the RFC 3161 timestamp does not verify: \(lastError)")
    }

    private func verifyChain(_ leaf: Certificate, intermediates: [Certificate], at times: [Date]) throws {
        var lastError = "no certificate authority is trusted (give --certificate-chain or a trusted root)"
        for authority in certificateAuthorities {
            do {
                for time in times {
                    guard authority.validFor.contains(time) else {
                        throw CryptoError(.chainInvalid, "the CA was not valid at \(ContractJSON.timestamp(time))")
                    }
                    // Go's x509 (cosign's) treats a leaf without an EKU extension as good for any use; a leaf
                    // with one must list code signing.
                    _ = try authority.validator.validate(leaf, extraIntermediates: intermediates, at: time,
                                                         requiredExtendedKeyUsage: leaf.extendedKeyUsageOIDs.isEmpty ? nil : "1.3.6.1.5.5.7.3.3")
                }
                return
            } catch {
                lastError = "\(error)"
            }
        }
        throw fail(.certificateChainInvalid, "certificate-chain", "the signing certificate does not chain to a trusted CA: \(lastError)")
    }

    private func checkIdentity(_ certificate: Certificate, identity: StringMatcher, issuer: StringMatcher?,
                               extensions: [String: String], into report: inout SignatureReport) throws {
        let found = try CertificateIdentity(certificate: certificate)
        report.certificateIdentity = found.subjectAlternativeName
        report.certificateIssuer = found.issuer
        let named = found.extensions.values.filter { $0.key != "issuer" && $0.key != "issuerV1" }
        if !named.isEmpty { report.certificateExtensions = named }
        if let issuer {
            try found.check(identity: identity, issuer: issuer, extensions: extensions)
        } else {
            guard identity.matches(found.subjectAlternativeName) else {
                throw fail(.identityMismatch, "certificate.identity",
                           "certificate identity is \"\(found.subjectAlternativeName)\", not \(identity); pass the signer's identity to --certificate-identity")
            }
        }
        report.checks.append(.passed("identity", "The code-signing certificate was verified: identity \(found.subjectAlternativeName)\(found.issuer.map { ", issuer \($0)" } ?? "")"))
    }

    private func verifySCT(_ certificate: Certificate, intermediates: [Certificate]) throws {
        var issuers = intermediates
        for authority in certificateAuthorities { issuers += authority.validator.intermediates + authority.validator.roots }
        var lastError = "no issuer certificate was found for the leaf"
        for issuer in issuers where certificate.isIssued(by: issuer) {
            do {
                if try !verifyEmbeddedSCTs(leaf: certificate, issuer: issuer, logs: ctLogs).isEmpty { return }
                lastError = "no embedded SCT verifies against a trusted CT log"
            } catch {
                lastError = "\(error)"
            }
        }
        throw fail(.sctInvalid, "sct", "\(lastError); pass --insecure-ignore-sct only for private infrastructure")
    }
}

extension RekorEntryBody {
    /// The digests a classic cosign layer blob must match: the artifact digest of a `hashedrekord` (the layer blob is
    /// the simple-signing payload), or the envelope hash of a `dsse` / `intoto` entry (the layer blob is the envelope).
    var cosignLayerDigests: [EntryDigest] {
        switch self {
        case .hashedRekord(_, _, let algorithm, let digest), .hashedRekordV2(_, _, _, let algorithm, let digest):
            return [EntryDigest(algorithm: algorithm, value: digest)]
        case .dsse(_, let envelopeHash, _):
            return envelopeHash.map { [$0] } ?? []
        case .intoto(_, _, let envelopeHash, _):
            return [envelopeHash]
        case .dsseV2:
            return []
        }
    }
}
