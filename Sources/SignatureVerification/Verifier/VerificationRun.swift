import CryptoPrimitives
import Foundation
import GateVerdict

/// The state of one verification of one piece of evidence under one signer requirement.
struct VerificationRun {
    /// The signer requirement of this run: one key (runs are repeated per key), or the policy's identities.
    enum Signer {
        case key(PublicKey)
        case identities([VerificationPolicy.Identity])
    }

    /// A verified time and where it came from.
    struct VerifiedTime {
        enum Source: String {
            /// A Rekor v1 integrated time whose SET verified.
            case transparencyLog = "tlog"
            /// An RFC 3161 timestamp verified against a trusted TSA.
            case timestampAuthority = "tsa"
            /// The caller-supplied current time (only when the policy accepts no transparency log).
            case current
        }
        let source: Source
        let time: Date
        let authority: String
    }

    let verifier: EvidenceVerifier
    let evidence: SignedEvidence
    let artifact: ArtifactDigests
    let signer: Signer
    var policy: VerificationPolicy { verifier.policy }

    var report = SignatureReport(kind: "", source: "")
    var verifiedTimes: [VerifiedTime] = []
    var verifiedLogEntries = 0
    /// Entries proven by an inclusion proof alone (no verified SET: Rekor v2), whose log key is checked at the
    /// verified times once they are known.
    var proofOnlyEntries: [(entry: VerifiedLogEntry, label: String)] = []
    var timestampFailures: [String] = []
    var notes: [String] = []

    init(verifier: EvidenceVerifier, evidence: SignedEvidence, artifact: ArtifactDigests, signer: Signer) {
        self.verifier = verifier
        self.evidence = evidence
        self.artifact = artifact
        self.signer = signer
    }

    mutating func pass(_ name: CheckName, _ detail: String) {
        report.checks.append(.passed(name, detail))
    }

    /// Runs every check; the report holds the checks that passed, and the error the first that failed.
    mutating func outcome(currentTime: Date?) -> (SignatureReport, Error?) {
        do {
            return (try execute(currentTime: currentTime), nil)
        } catch {
            return (report, error)
        }
    }

    mutating func execute(currentTime: Date?) throws -> SignatureReport {
        pass(.evidenceFormat, "\(evidence.formatDescription) is well-formed")

        // 1. Who signed: the certificate (parsed once) or the policy key.
        let signingKey: PublicKey
        var leaf: Certificate? = nil
        var intermediates: [Certificate] = []
        var identity: CertificateIdentity? = nil
        switch (signer, evidence.material) {
        case (.key(let key), .publicKey):
            signingKey = key
            report.keyID = key.keyID
            pass(.key, "the evidence is key-signed; verifying with the given key \(report.keyID!.prefix(16))…")
        case (.key, .certificate):
            throw SignatureVerificationError(.keyMismatch, check: .key,
                                             "the evidence is signed with a certificate, not a key; verify it with --certificate-identity and --certificate-oidc-issuer")
        case (.identities, .publicKey):
            throw SignatureVerificationError(.keyMismatch, check: .key,
                                             "the evidence is signed with a public key, not a certificate; verify it with --key")
        case (.identities, .certificate(let der, let chain)):
            let certificate: Certificate
            do {
                certificate = try verifier.chainCache.certificate(der: der)
                intermediates = try chain.map { try Certificate(der: $0) }
            } catch {
                throw SignatureVerificationError(.bundleInvalid, check: .certificate, "the signing certificate cannot be parsed: \(error)")
            }
            leaf = certificate
            identity = try CertificateIdentity(certificate: certificate)
            signingKey = certificate.publicKey
        }
        let signingKeyDER = leaf?.der ?? signingKey.spkiDER

        // 2. What is signed: content-level structure (DSSE: exactly one signature).
        guard let signatureBytes = evidence.content.signatureBytes else {
            throw SignatureVerificationError(.signatureInvalid, check: .signature,
                                             "a DSSE envelope must carry exactly one signature, found \(dsseSignatureCount)")
        }

        // 3. Transparency log.
        try verifyTransparencyLog(signingKeyDER: signingKeyDER, isCertificate: leaf != nil)

        // 4. RFC 3161 timestamps over the signature bytes.
        try verifyTimestamps(signature: signatureBytes)

        // 4b. A proof-only entry's log key must be valid at every verified time (a SET's was checked at its time).
        for (entry, label) in proofOnlyEntries {
            do {
                try TransparencyLogVerifier.checkLogKeyValidity(entry, at: verifiedTimes.map(\.time))
            } catch let error as TransparencyLogError {
                throw transparencyLogFailure(error, label: label, proofOnly: true)
            }
        }

        // 5. Time sources and thresholds.
        if verifiedTimes.isEmpty, let failure = timestampFailures.first, leaf != nil || verifiedLogEntries == 0 {
            throw SignatureVerificationError(.timestampInvalid, check: .timestamp, failure)
        }
        let timestampCount = verifiedTimes.filter { $0.source == .timestampAuthority }.count
        if timestampCount < policy.thresholds.timestamps {
            throw SignatureVerificationError(.timestampInvalid, check: .timestamp,
                                             "\(timestampCount) RFC 3161 timestamp(s) verified; the policy requires \(policy.thresholds.timestamps)")
        }
        if verifiedTimes.isEmpty {
            if let currentTime {
                verifiedTimes.append(.init(source: .current, time: currentTime, authority: "caller"))
                pass(.time, "no verified time in the evidence; the policy accepts checking at the current time \(formatRFC3339(currentTime))")
            } else if leaf != nil {
                throw SignatureVerificationError(.noVerifiedTime, check: .time,
                                                 "the evidence carries no verified time (no transparency-log inclusion promise and no valid RFC 3161 timestamp); the certificate cannot be checked")
            }
        }
        if leaf == nil && verifiedLogEntries == 0 && verifiedTimes.isEmpty {
            throw SignatureVerificationError(.tlogEntryMissing, check: .evidence,
                                             "the evidence carries neither a verifiable transparency-log entry nor an RFC 3161 timestamp")
        }

        // 6. Certificate: chain at every verified time, SCT.
        if let leaf {
            try verifyCertificate(leaf, intermediates: intermediates)
        }

        // 7. Signature over the artifact, payload or DSSE PAE, and the artifact binding.
        let claims = try verifySignature(key: signingKey)

        // 8. Claims: required annotations, predicate type.
        try checkClaims(claims)

        // 9. Identity and issuer: any of the policy's identities.
        if case .identities(let identities) = signer, let identity {
            try check(identity, against: identities)
        }

        report.verified = true
        let allNotes = notes + timestampFailures
        if !allNotes.isEmpty { report.notes = allNotes }
        let stamps = verifiedTimes.filter { $0.source == .timestampAuthority }.map { formatRFC3339($0.time) }
        if !stamps.isEmpty { report.timestamps = stamps }
        return report
    }

    var dsseSignatureCount: Int {
        if case .dsseEnvelope(let envelope, _) = evidence.content { return envelope.signatures.count }
        return 0
    }

    // MARK: Transparency log

    /// Verifies every transparency-log entry from a trusted log (entries from unknown logs are ignored, as
    /// sigstore-go does), checks each body against the evidence, and records integrated times whose SET verified.
    /// Any entry from a trusted log that fails a check fails the evidence (fail closed).
    mutating func verifyTransparencyLog(signingKeyDER: [UInt8], isCertificate: Bool) throws {
        var unknown = [String]()
        for (index, entry) in evidence.transparencyLogEntries.enumerated() {
            guard let log = verifier.logs(id: entry.logID).first else {
                unknown.append((entry.logID.prefix(8)).hexString)
                notes.append("tlog entry \(index) is from log \((entry.logID.prefix(8)).hexString)…, which the trusted root does not list; ignored")
                continue
            }
            let label = "tlog entry \(index) (\(log.instance.baseURL) index \(entry.logIndex))"
            // SET, inclusion proof, checkpoint (the tlog module), then: what the log says was signed must be what
            // the evidence carries.
            let verified: VerifiedLogEntry
            do {
                verified = try TransparencyLogVerifier.verify(entry, logs: [log.key], requireInclusionProof: evidence.requiresInclusionProof)
            } catch let error as TransparencyLogError {
                throw transparencyLogFailure(error, label: label)
            }
            let body = verified.body
            try compare(body: body, label: label, signingKeyDER: signingKeyDER, isCertificate: isCertificate)
            if verified.setVerified, let time = verified.integratedTime {
                pass(.transparencyLogSET, "Existence of the claims in the transparency log was verified offline: \(label), signed entry timestamp verifies; integrated time \(formatRFC3339(time))")
                verifiedTimes.append(.init(source: .transparencyLog, time: time, authority: log.instance.baseURL))
            }
            if !verified.setVerified { proofOnlyEntries.append((verified, label)) }
            if verified.inclusionProofVerified {
                pass(.transparencyLogInclusionProof, "\(label): RFC 6962 inclusion proof reproduces the checkpoint's root hash")
                pass(.transparencyLogCheckpoint, "\(label): checkpoint is signed by the log and matches the proof's tree size and root")
            }
            pass(.transparencyLogBody, "\(label): \(body.kind) \(body.apiVersion) body matches the evidence's signature, \(isCertificate ? "certificate" : "key") and signed content")
            if verifiedLogEntries == 0 {
                report.tlogIndex = entry.logIndex
                report.integratedTime = verified.setVerified ? verified.integratedTime.map(formatRFC3339) : nil
            }
            verifiedLogEntries += 1
        }
        guard policy.requiresTransparencyLog else { return }
        if verifiedLogEntries == 0 {
            let detail = unknown.isEmpty ? "the evidence has no transparency-log entry; sign with a Rekor upload, or pass --insecure-ignore-tlog for private infrastructure"
                : "the evidence's entries come from logs not in the trusted root (\(unknown.joined(separator: ", "))…); wrong trusted root or --staging?"
            throw SignatureVerificationError(.tlogEntryMissing, check: .transparencyLog, detail)
        }
        if verifiedLogEntries < policy.thresholds.transparencyLogEntries {
            throw SignatureVerificationError(.tlogEntryMissing, check: .transparencyLog,
                                             "\(verifiedLogEntries) transparency-log entr\(verifiedLogEntries == 1 ? "y" : "ies") verified; the policy requires \(policy.thresholds.transparencyLogEntries)")
        }
    }

    /// Checks the entry body against the evidence: exactly one signature equal to the evidence's, made by its
    /// certificate or key, over the artifact digest (message signatures), the payload (cosign simple signing), or
    /// the DSSE payload / PAE.
    func compare(body: RekorEntryBody, label: String, signingKeyDER: [UInt8], isCertificate: Bool) throws {
        func mismatch(_ message: String) -> SignatureVerificationError {
            SignatureVerificationError(.tlogEntryMismatch, check: .transparencyLogBody, "\(label): \(message)")
        }
        let signatures = body.signatures
        guard signatures.count == 1 else {
            throw mismatch("entry records \(signatures.count) signatures; exactly one is required")
        }
        let recorded = signatures[0]
        guard let signature = evidence.content.signatureBytes, recorded.signature == signature else {
            throw mismatch("the entry's signature is not the evidence's signature; the log entry is for another signing event")
        }
        switch recorded.verifier {
        case .certificate(let der):
            guard isCertificate, der == signingKeyDER else {
                throw mismatch("the entry's certificate is not the evidence's signing \(isCertificate ? "certificate" : "key")")
            }
        case .publicKey(let der):
            guard !isCertificate, der == signingKeyDER else {
                throw mismatch("the entry's public key is not the evidence's signing \(isCertificate ? "certificate" : "key")")
            }
        }
        func checkSignedDigest(_ algorithm: HashAlgorithm, _ digest: [UInt8]) throws {
            switch evidence.content {
            case .messageSignature:
                guard let actual = artifact.digest(algorithm) else {
                    throw mismatch("entry records a \(algorithm.rawValue) digest, which is unknown for this artifact; pass the file")
                }
                guard actual == digest else {
                    throw mismatch("entry records artifact \(algorithm.rawValue):\((digest).hexString), but the artifact is \(algorithm.rawValue):\(actual.hexString)")
                }
            case .payloadSignature(_, let payload):
                guard algorithm.hash(payload) == digest else {
                    throw mismatch("entry records \(algorithm.rawValue):\((digest).hexString), which is not the hash of the signed payload")
                }
            case .dsseEnvelope:
                throw mismatch("entry records a signature over a digest but the evidence holds a DSSE envelope")
            }
        }
        func envelope() throws -> (DSSEEnvelope, [UInt8]?) {
            guard case .dsseEnvelope(let envelope, let raw) = evidence.content else {
                throw mismatch("entry records a DSSE envelope but the evidence holds a signature over a digest or payload")
            }
            return (envelope, raw)
        }
        func checkPayloadHash(_ hash: EntryDigest?, envelopeHash: EntryDigest? = nil) throws {
            let (envelope, raw) = try envelope()
            if let hash {
                guard hash.algorithm.hash(envelope.payload) == hash.value else {
                    throw mismatch("entry's payload hash does not match the evidence's DSSE payload")
                }
            } else if let envelopeHash, let raw {
                // intoto entries that record only the envelope's hash: it must be the stored envelope's.
                guard envelopeHash.algorithm.hash(raw) == envelopeHash.value else {
                    throw mismatch("entry's envelope hash does not match the stored DSSE envelope")
                }
            } else {
                throw mismatch("entry records no payload hash")
            }
        }
        switch body {
        case .hashedRekord(_, _, let algorithm, let digest):
            try checkSignedDigest(algorithm, digest)
        case .hashedRekordV2(_, _, _, let algorithm, let digest):
            if case .dsseEnvelope(let envelope, _) = evidence.content {
                guard algorithm.hash(envelope.preAuthenticationEncoding) == digest else {
                    throw mismatch("entry's digest is not the hash of the evidence's DSSE PAE(payloadType, payload)")
                }
            } else {
                try checkSignedDigest(algorithm, digest)
            }
        case .dsse(let payloadHash, _, _), .dsseV2(let payloadHash, _):
            try checkPayloadHash(payloadHash)
        case .intoto(let payloadType, let payloadHash, let envelopeHash, _):
            let (envelope, _) = try envelope()
            guard payloadType == envelope.payloadType else {
                throw mismatch("entry's payloadType \(payloadType) is not the evidence's \(envelope.payloadType)")
            }
            try checkPayloadHash(payloadHash, envelopeHash: envelopeHash)
        }
    }

    // MARK: Timestamps

    mutating func verifyTimestamps(signature: [UInt8]) throws {
        for (index, der) in evidence.timestamps.enumerated() {
            let token: TimestampToken
            do {
                token = try TimestampToken(der: der)
            } catch {
                timestampFailures.append("RFC 3161 timestamp \(index) cannot be parsed: \(error)")
                continue
            }
            var failures = [String]()
            var verified: (Date, String)? = nil
            for tsaIndex in verifier.timestampAuthorityInstances.indices {
                do {
                    let tsa = try verifier.timestampAuthority(tsaIndex)
                    // Where the trusted root pins this TSA's leaf, it is the only acceptable signer; the token check
                    // (CryptoPrimitives) enforces the pin and chains the signer to the TSA's root with the
                    // timeStamping EKU at the token's time.
                    let time = try token.verify(message: signature, roots: tsa.roots, intermediates: tsa.intermediates,
                                                leaf: tsa.leaf)
                    guard tsa.instance.validFor.contains(time) else {
                        failures.append("\(tsa.instance.uri): time \(formatRFC3339(time)) is outside the TSA's validFor")
                        continue
                    }
                    verified = (time, tsa.instance.uri.isEmpty ? tsa.instance.commonName : tsa.instance.uri)
                    break
                } catch {
                    failures.append("\(verifier.timestampAuthorityInstances[tsaIndex].uri): \(error)")
                }
            }
            guard let (time, authority) = verified else {
                // Like sigstore-go and sigstore-python, a timestamp no trusted TSA vouches for adds no time; it is
                // reported, and the evidence fails later if no other verified time remains.
                let detail = failures.isEmpty ? "the trusted root has no timestamp authorities" : failures.joined(separator: "; ")
                timestampFailures.append("RFC 3161 timestamp \(index) (time \(formatRFC3339(token.generationTime))) is not verifiable by any trusted TSA: \(detail)")
                continue
            }
            verifiedTimes.append(.init(source: .timestampAuthority, time: time, authority: authority))
            pass(.timestamp, "RFC 3161 timestamp \(formatRFC3339(time)) from \(authority) covers the signature")
        }
    }

    // MARK: Certificate

    mutating func verifyCertificate(_ leaf: Certificate, intermediates: [Certificate]) throws {
        var issuer: Certificate? = nil
        var issuingCA: EvidenceVerifier.PreparedCA? = nil
        // Signatures do not depend on time: once the leaf chained to a CA, another verified time only needs the
        // validity periods (leaf, chain, CA's validFor) checked at that time — no second signature verification.
        var established: (ca: EvidenceVerifier.PreparedCA, chain: [Certificate])? = nil
        for verified in verifiedTimes {
            let time = verified.time
            if let (ca, chain) = established, ca.validFor.contains(time),
               (chain + ca.certificates).allSatisfy({ $0.isValid(at: time) }) {
                pass(.certificateChain, "certificate chain (verified above) is valid at \(verified.source.rawValue) time \(formatRFC3339(time))")
                continue
            }
            var failures = [String]()
            var chained = false
            for caIndex in 0..<verifier.certificateAuthorityCount {
                do {
                    let ca = try verifier.certificateAuthority(caIndex)
                    guard ca.validFor.contains(time) else {
                        failures.append("\(ca.name): CA not valid at \(formatRFC3339(time))")
                        continue
                    }
                    // Fulcio leaves must list code signing; a private CA's leaf may omit the EKU extension (Go's
                    // x509, cosign's, treats that as any use), but one that has it must list code signing.
                    let eku: String? = ca.isPrivate && leaf.extendedKeyUsageOIDs.isEmpty ? nil : codeSigningEKU
                    let chain: [Certificate]
                    if intermediates.isEmpty, let fast = ca.issuingValidator,
                       ca.certificates.allSatisfy({ $0.isValid(at: time) }),
                       let validated = try? fast.validate(leaf, at: time, requiredExtendedKeyUsage: eku) {
                        chain = validated
                    } else {
                        chain = try ca.validator.validate(leaf, extraIntermediates: intermediates, at: time, requiredExtendedKeyUsage: eku)
                    }
                    if chain.count > 1 { issuer = chain[1] }
                    if established == nil { established = (ca, chain) }
                    issuingCA = ca
                    chained = true
                    pass(.certificateChain, "certificate chains to \(ca.name) at \(verified.source.rawValue) time \(formatRFC3339(time))")
                    break
                } catch let error as SignatureVerificationError {
                    throw error
                } catch {
                    failures.append("\((try? verifier.certificateAuthority(caIndex).name) ?? "CA \(caIndex)"): \(error)")
                }
            }
            guard chained else {
                let none = verifier.certificateAuthorityCount == 0 ? "no certificate authority is trusted (give --certificate-chain or a trusted root)" : failures.joined(separator: "; ")
                throw SignatureVerificationError(.certificateChainInvalid, check: .certificateChain,
                                                 "the signing certificate (valid \(formatRFC3339(leaf.notBefore)) to \(formatRFC3339(leaf.notAfter))) does not chain to a trusted CA valid at \(verified.source.rawValue) time \(formatRFC3339(time)): \(none)")
            }
        }
        // A private CA's certificates need no SCT; a trusted root's (Fulcio) need one unless the policy says otherwise.
        guard !policy.insecureIgnoreSCT, issuingCA?.isPrivate != true else { return }
        guard let issuer else {
            throw SignatureVerificationError(.sctInvalid, check: .certificateSCT, "cannot check SCTs: the certificate's issuer is unknown")
        }
        let scts: [VerifiedSCT]
        do {
            // Only the CT logs the certificate names are prepared.
            let named = try leaf.extensionValue(oid: sctListOID).map {
                Set(try SignedCertificateTimestamp.parseList(extensionValue: $0).map(\.logID))
            } ?? []
            scts = try verifyEmbeddedSCTs(leaf: leaf, issuer: issuer, logs: verifier.ctLogs(ids: named))
        } catch {
            throw SignatureVerificationError(.sctInvalid, check: .certificateSCT,
                                             "embedded SCTs are invalid: \(error); pass --insecure-ignore-sct only for private infrastructure")
        }
        let inWindow = scts.filter { sct in verifier.ctLogValid(id: sct.logID, at: sct.timestamp) }
        guard inWindow.count >= policy.thresholds.signedCertificateTimestamps, let first = inWindow.first else {
            throw SignatureVerificationError(.sctInvalid, check: .certificateSCT,
                                             scts.isEmpty ? "no embedded SCT verifies against a trusted CT log"
                                                 : inWindow.isEmpty ? "no embedded SCT falls inside its CT log key's validity period"
                                                 : "\(inWindow.count) embedded SCT(s) verify; the policy requires \(policy.thresholds.signedCertificateTimestamps)")
        }
        pass(.certificateSCT, "embedded SCT from CT log \((first.logID.prefix(8)).hexString)… at \(formatRFC3339(first.timestamp)) verifies")
    }

    // MARK: Identity

    mutating func check(_ identity: CertificateIdentity, against identities: [VerificationPolicy.Identity]) throws {
        report.certificateIdentity = identity.subjectAlternativeName
        report.certificateIssuer = identity.issuer
        let named = identity.extensions.values.filter { $0.key != "issuer" && $0.key != "issuerV1" }
        if !named.isEmpty { report.certificateExtensions = named }
        var firstFailure: Error?
        for expected in identities {
            do {
                try identity.check(identity: expected.subject, issuer: expected.issuer, extensions: expected.extensions)
                pass(.certificateIdentity, "certificate \(identity.sanKind.rawValue) SAN \"\(identity.subjectAlternativeName)\" matches \(expected.subject)")
                if let issuer = expected.issuer {
                    pass(.certificateIssuer, "certificate OIDC issuer \"\(identity.issuer ?? "")\" matches \(issuer)")
                }
                return
            } catch {
                if firstFailure == nil { firstFailure = error }
            }
        }
        if let firstFailure { throw firstFailure }
    }
}

extension Certificate {
    /// True if `time` lies within the certificate's validity period (both ends inclusive, as RFC 5280 says).
    func isValid(at time: Date) -> Bool { notBefore <= time && time <= notAfter }
}

/// The embedded SCT list extension (RFC 6962).
let sctListOID = "1.3.6.1.4.1.11129.2.4.2"

/// Extended key usage id-kp-codeSigning.
let codeSigningEKU = "1.3.6.1.5.5.7.3.3"

