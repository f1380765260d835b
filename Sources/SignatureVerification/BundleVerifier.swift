import CryptoPrimitives
import Foundation

/// Verifies Sigstore bundles offline against one trusted root.
///
/// Build it once per trusted root and reuse it (it is immutable from the outside and `Sendable`): each key and
/// certificate of the trusted root is parsed once, the first time a bundle needs it (or all at once with
/// `prepareAll()`), and each CA's intermediate → root link is validated once, so that a bundle then costs one
/// signature check for its leaf certificate. `verify` never reads the clock: every time it checks against comes from
/// verified evidence in the bundle (a Rekor integrated time whose SET verified, an RFC 3161 timestamp) or, only when
/// the policy allows it, from the caller.
///
/// Order (as sigstore-go): structure → transparency log (SET, inclusion proof, checkpoint, entry body vs. bundle) →
/// RFC 3161 timestamps → certificate chain at every verified time + SCT → signature over the artifact or DSSE PAE →
/// artifact / in-toto subject → identity and issuer.
public final class BundleVerifier: Sendable {
    /// The trusted root this verifier was built from.
    public let trustedRoot: TrustedRoot

    struct PreparedLog: Sendable {
        let instance: TransparencyLogInstance
        let key: TransparencyLogKey
    }

    struct PreparedCA: Sendable {
        let instance: CertificateAuthorityInstance
        /// The CA's certificates as in the trusted root (intermediates…, anchor).
        let certificates: [Certificate]
        /// Full validation: leaf → intermediates → anchor.
        let validator: ChainValidator
        /// Fast path: the issuing certificate (first of the chain) as the trust anchor, used only when the rest of the
        /// CA's chain was validated once, at preparation. Per bundle this costs one signature check (leaf by its
        /// issuer); the times of the certificates above the issuer are checked per verified time without crypto.
        let issuingValidator: ChainValidator?
    }

    struct PreparedTSA: Sendable {
        let instance: CertificateAuthorityInstance
        let roots: [Certificate]
        let intermediates: [Certificate]
        let leaf: Certificate?
    }

    let material: PreparedMaterial
    let chainCache: ChainCache

    /// Creates a verifier for a trusted root. Nothing is parsed yet; see `prepareAll()`.
    public init(trustedRoot: TrustedRoot) {
        self.trustedRoot = trustedRoot
        self.material = PreparedMaterial(trustedRoot)
        self.chainCache = ChainCache()
    }

    /// Parses every key and certificate of the trusted root now (a long-lived verifier may want the cost up front and
    /// problems reported at start-up). Throws `trusted_root_invalid` when a CA or TSA certificate cannot be parsed.
    public func prepareAll() throws {
        _ = logs(id: nil)
        _ = ctLogs()
        for index in trustedRoot.certificateAuthorities.indices { _ = try certificateAuthority(index) }
        for index in trustedRoot.timestampAuthorities.indices { _ = try timestampAuthority(index) }
    }

    /// Trusted-root entries this verifier could not use (unsupported key encodings), one sentence each; complete after
    /// `prepareAll()`.
    public var notes: [String] { material.notes }

    /// The prepared transparency logs with `id` (all when nil). A key this verifier cannot use is left out, with a
    /// note: that only ever removes trust, never adds it.
    func logs(id: [UInt8]?) -> [PreparedLog] {
        var result = [PreparedLog]()
        for (index, instance) in trustedRoot.transparencyLogs.enumerated() where id == nil || instance.logID == id {
            if let log = material.value(&material.logs, index, {
                do {
                    return PreparedLog(instance: instance, key: try makeTransparencyLogKey(instance))
                } catch {
                    material.note("transparency log \(instance.baseURL) ignored: \(error)")
                    return nil
                }
            }) { result.append(log) }
        }
        return result
    }

    /// The CT log keys (all of them, or those with the given ids), parsed once each.
    func ctLogs(ids: Set<[UInt8]>? = nil) -> [CTLogKey] {
        var result = [CTLogKey]()
        for (index, instance) in trustedRoot.ctLogs.enumerated() where ids?.contains(instance.logID) ?? true {
            if let key = material.value(&material.ctLogs, index, {
                do {
                    return CTLogKey(logID: instance.logID, key: try parseTrustedKey(instance))
                } catch {
                    material.note("CT log \(instance.baseURL) ignored: \(error)")
                    return nil
                }
            }) { result.append(key) }
        }
        return result
    }

    /// Whether some CT log with this id was valid at `time` (closed intervals).
    func ctLogValid(id: [UInt8], at time: Date) -> Bool {
        trustedRoot.ctLogs.contains { $0.logID == id && $0.validFor.contains(time) }
    }

    /// The prepared certificate authority at `index` of the trusted root.
    func certificateAuthority(_ index: Int) throws -> PreparedCA {
        let instance = trustedRoot.certificateAuthorities[index]
        var failure: Error?
        let prepared = material.value(&material.certificateAuthorities, index) { () -> PreparedCA? in
            do {
                let certificates = try instance.certificatesDER.map { try Certificate(der: $0) }
                guard let anchor = certificates.last, let issuing = certificates.first else { return nil }
                let validator = ChainValidator(roots: [anchor], intermediates: Array(certificates.dropLast()))
                var issuingValidator: ChainValidator? = nil
                if certificates.count == 1 {
                    issuingValidator = validator
                } else if (try? validator.validate(issuing, at: issuing.notBefore)) != nil {
                    // The intermediate → root part verified once; leaves then need only their own signature checked.
                    issuingValidator = ChainValidator(roots: [issuing])
                }
                return PreparedCA(instance: instance, certificates: certificates, validator: validator,
                                  issuingValidator: issuingValidator)
            } catch {
                failure = error
                return nil
            }
        }
        guard let prepared else {
            throw SignatureVerificationError(.trustedRootInvalid, check: "trusted_root.material",
                                             "certificate authority \(instance.uri): \(failure.map { "\($0)" } ?? "unusable certificate chain")")
        }
        return prepared
    }

    /// The prepared timestamp authority at `index` of the trusted root.
    func timestampAuthority(_ index: Int) throws -> PreparedTSA {
        let instance = trustedRoot.timestampAuthorities[index]
        var failure: Error?
        let prepared = material.value(&material.timestampAuthorities, index) { () -> PreparedTSA? in
            do {
                let certificates = try instance.certificatesDER.map { try Certificate(der: $0) }
                guard let root = certificates.last else { return nil }
                let leaf = certificates.count > 1 ? certificates.first : nil
                let intermediates = certificates.count > 2 ? Array(certificates.dropFirst().dropLast()) : []
                return PreparedTSA(instance: instance, roots: [root], intermediates: intermediates, leaf: leaf)
            } catch {
                failure = error
                return nil
            }
        }
        guard let prepared else {
            throw SignatureVerificationError(.trustedRootInvalid, check: "trusted_root.material",
                                             "timestamp authority \(instance.uri): \(failure.map { "\($0)" } ?? "unusable certificate chain")")
        }
        return prepared
    }

    /// Verifies `bundle` for `artifact` under `policy`.
    ///
    /// - Parameter currentTime: an unverified time from the caller. It is used only when the bundle carries no
    ///   verified time at all and the policy is key-based; it never replaces evidence. Pass nil (the default) to
    ///   rely on evidence only.
    /// - Returns: every check that passed, the signer, the verified times and log entries.
    /// - Throws: `SignatureVerificationError` naming the failed check and its reason code.
    public func verify(bundle: SigstoreBundle, artifact: Artifact, policy: BundleSignerPolicy,
                       currentTime: Date? = nil) throws -> BundleVerificationResult {
        var run = VerificationRun(verifier: self, bundle: bundle, artifact: ArtifactDigests(artifact), policy: policy)
        return try run.execute(currentTime: currentTime)
    }
}

/// The trusted root's parsed keys and certificates, each prepared once on first use (thread-safe).
final class PreparedMaterial: @unchecked Sendable {
    private let lock = NSLock()
    var logs: [Int: BundleVerifier.PreparedLog?] = [:]
    var ctLogs: [Int: CTLogKey?] = [:]
    var certificateAuthorities: [Int: BundleVerifier.PreparedCA?] = [:]
    var timestampAuthorities: [Int: BundleVerifier.PreparedTSA?] = [:]
    private var collectedNotes: [String] = []

    init(_ root: TrustedRoot) {}

    /// The cached value at `index`, preparing it (outside the lock) on first use. A failed preparation is cached as nil.
    func value<T>(_ table: inout [Int: T?], _ index: Int, _ prepare: () -> T?) -> T? {
        lock.lock()
        if let cached = table[index] {
            lock.unlock()
            return cached
        }
        lock.unlock()
        let prepared = prepare()
        lock.lock()
        if let raced = table[index] {
            lock.unlock()
            return raced
        }
        table[index] = .some(prepared)
        lock.unlock()
        return prepared
    }

    func note(_ text: String) {
        lock.lock()
        collectedNotes.append(text)
        lock.unlock()
    }

    var notes: [String] {
        lock.lock()
        defer { lock.unlock() }
        return collectedNotes
    }
}

/// Caches parsed leaf certificates by their DER (bounded), so a bundle verified again does not re-parse its leaf.
final class ChainCache: @unchecked Sendable {
    private let lock = NSLock()
    private var parsedLeaves: [[UInt8]: Certificate] = [:]

    /// Parses a certificate, caching by DER (bounded).
    func certificate(der: [UInt8]) throws -> Certificate {
        lock.lock()
        if let cached = parsedLeaves[der] {
            lock.unlock()
            return cached
        }
        lock.unlock()
        let parsed = try Certificate(der: der)
        lock.lock()
        if parsedLeaves.count >= 256 { parsedLeaves.removeAll(keepingCapacity: true) }
        parsedLeaves[der] = parsed
        lock.unlock()
        return parsed
    }
}

/// The state of one verification.
struct VerificationRun {
    let verifier: BundleVerifier
    let bundle: SigstoreBundle
    let artifact: ArtifactDigests
    let policy: BundleSignerPolicy

    var checks: [BundleVerificationResult.Check] = []
    var verifiedTimes: [BundleVerificationResult.VerifiedTime] = []
    var logEntries: [BundleVerificationResult.LogEntry] = []
    var timestampFailures: [String] = []
    var notes: [String] = []

    init(verifier: BundleVerifier, bundle: SigstoreBundle, artifact: ArtifactDigests, policy: BundleSignerPolicy) {
        self.verifier = verifier
        self.bundle = bundle
        self.artifact = artifact
        self.policy = policy
    }

    mutating func pass(_ name: String, _ detail: String) {
        checks.append(BundleVerificationResult.Check(name: name, detail: detail))
    }

    mutating func execute(currentTime: Date?) throws -> BundleVerificationResult {
        pass("bundle.parse", "bundle v\(bundle.version.rawValue) (\(bundle.mediaType)) is well-formed")

        // 1. Who signed: the certificate (parsed once) or the policy key.
        let signingKey: PublicKey
        var leaf: Certificate? = nil
        var identity: CertificateIdentity? = nil
        switch (policy.signer, bundle.verificationMaterial) {
        case (.key(let key), .publicKey):
            signingKey = key
            pass("key", "bundle is key-signed; verifying with the given key \((HashAlgorithm.sha256.hash(key.spkiDER)).hexString.prefix(16))…")
        case (.key, _):
            throw SignatureVerificationError(.keyMismatch, check: "key",
                                             "bundle is signed with a certificate, not a key; verify it with --certificate-identity and --certificate-oidc-issuer")
        case (.certificate, .publicKey):
            throw SignatureVerificationError(.keyMismatch, check: "key",
                                             "bundle is signed with a public key, not a certificate; verify it with --key")
        case (.certificate, let material):
            guard let der = material.leafCertificateDER else {
                throw SignatureVerificationError(.bundleInvalid, check: "certificate", "bundle has no signing certificate")
            }
            let certificate: Certificate
            do {
                certificate = try verifier.chainCache.certificate(der: der)
            } catch {
                throw SignatureVerificationError(.bundleInvalid, check: "certificate",
                                                 "signing certificate cannot be parsed: \(error)")
            }
            leaf = certificate
            identity = try CertificateIdentity(certificate: certificate)
            signingKey = certificate.publicKey
        }
        let signingKeyDER = leaf?.der ?? signingKey.spkiDER

        // 2. What is signed: content-level structure (DSSE: exactly one signature).
        guard let signatureBytes = bundle.content.signatureBytes else {
            throw SignatureVerificationError(.signatureInvalid, check: "signature",
                                             "DSSE envelope must carry exactly one signature, found \(dsseSignatureCount)")
        }

        // 3. Transparency log.
        try verifyTransparencyLog(signingKeyDER: signingKeyDER, leaf: leaf, signingKey: signingKey)

        // 4. RFC 3161 timestamps over the signature bytes.
        try verifyTimestamps(signature: signatureBytes)

        // 5. Time sources.
        if verifiedTimes.isEmpty, let failure = timestampFailures.first, leaf != nil || logEntries.isEmpty {
            throw SignatureVerificationError(.timestampInvalid, check: "timestamp.rfc3161", failure)
        }
        if verifiedTimes.isEmpty {
            if leaf == nil, let currentTime {
                verifiedTimes.append(.init(source: .current, time: currentTime, authority: "caller"))
            } else if leaf != nil {
                throw SignatureVerificationError(.noVerifiedTime, check: "time",
                                                 "bundle carries no verified time (no Rekor v1 inclusion promise and no valid RFC 3161 timestamp); the certificate cannot be checked")
            }
        }
        if leaf == nil && logEntries.isEmpty && verifiedTimes.isEmpty {
            throw SignatureVerificationError(.tlogEntryMissing, check: "evidence",
                                             "bundle carries neither a verifiable transparency-log entry nor an RFC 3161 timestamp")
        }

        // 6. Certificate: chain at every verified time, SCT.
        if let leaf {
            try verifyCertificate(leaf)
        }

        // 7. Signature over the artifact or the DSSE PAE, and the artifact binding.
        let statement = try verifySignature(key: signingKey)

        // 8. Identity and issuer.
        if case .certificate(let expectedIdentity, let expectedIssuer, let expectedExtensions) = policy.signer, let identity {
            try identity.check(identity: expectedIdentity, issuer: expectedIssuer, extensions: expectedExtensions)
            pass("certificate.identity", "certificate \(identity.sanKind.rawValue) SAN \"\(identity.subjectAlternativeName)\" matches \(expectedIdentity)")
            pass("certificate.issuer", "certificate OIDC issuer \"\(identity.issuer ?? "")\" matches \(expectedIssuer)")
        }

        let signer: BundleVerificationResult.Signer
        if let leaf, let identity {
            signer = .certificate(identity, serialNumberHex: leaf.serialNumberHex, notBefore: leaf.notBefore, notAfter: leaf.notAfter)
        } else {
            signer = .key(keyID: (HashAlgorithm.sha256.hash(signingKey.spkiDER)).hexString)
        }
        let contentKind: String
        switch bundle.content {
        case .messageSignature: contentKind = "messageSignature"
        case .dsseEnvelope: contentKind = "dsseEnvelope"
        }
        return BundleVerificationResult(bundleVersion: bundle.version, contentKind: contentKind, statement: statement,
                                        signer: signer, verifiedTimes: verifiedTimes, logEntries: logEntries, checks: checks,
                                        notes: notes + timestampFailures)
    }

    var dsseSignatureCount: Int {
        if case .dsseEnvelope(let envelope) = bundle.content { return envelope.signatures.count }
        return 0
    }

    // MARK: Timestamps

    mutating func verifyTimestamps(signature: [UInt8]) throws {
        for (index, der) in bundle.rfc3161Timestamps.enumerated() {
            let token: TimestampToken
            do {
                token = try TimestampToken(der: der)
            } catch {
                timestampFailures.append("rfc3161Timestamps[\(index)] cannot be parsed: \(error)")
                continue
            }
            var failures = [String]()
            var verified: (Date, String)? = nil
            for tsaIndex in verifier.trustedRoot.timestampAuthorities.indices {
                do {
                    let tsa = try verifier.timestampAuthority(tsaIndex)
                    let time = try token.verify(message: signature, roots: tsa.roots, intermediates: tsa.intermediates,
                                                leaf: tsa.leaf)
                    guard tsa.instance.validFor.contains(time) else {
                        failures.append("\(tsa.instance.uri): time \(formatRFC3339(time)) is outside the TSA's validFor")
                        continue
                    }
                    verified = (time, tsa.instance.uri.isEmpty ? tsa.instance.commonName : tsa.instance.uri)
                    break
                } catch {
                    failures.append("\(verifier.trustedRoot.timestampAuthorities[tsaIndex].uri): \(error)")
                }
            }
            guard let (time, authority) = verified else {
                // Like sigstore-go and sigstore-python, a timestamp no trusted TSA vouches for adds no time; it is
                // reported, and the bundle fails later if no other verified time remains.
                let detail = failures.isEmpty ? "the trusted root has no timestamp authorities" : failures.joined(separator: "; ")
                timestampFailures.append("rfc3161Timestamps[\(index)] (time \(formatRFC3339(token.generationTime))) is not verifiable by any trusted TSA: \(detail)")
                continue
            }
            verifiedTimes.append(.init(source: .timestampAuthority, time: time, authority: authority))
            pass("timestamp.rfc3161", "RFC 3161 timestamp \(formatRFC3339(time)) from \(authority) covers the signature")
        }
    }

    // MARK: Certificate

    mutating func verifyCertificate(_ leaf: Certificate) throws {
        var issuer: Certificate? = nil
        // Signatures do not depend on time: once the leaf chained to a CA, another verified time only needs the
        // validity periods (leaf, chain, CA's validFor) checked at that time — no second signature verification.
        var established: (ca: PreparedCAReference, chain: [Certificate])? = nil
        for verified in verifiedTimes {
            let time = verified.time
            if let (ca, chain) = established, ca.instance.validFor.contains(time),
               (chain + ca.certificates).allSatisfy({ $0.notBefore <= time && time <= $0.notAfter }) {
                pass("certificate.chain", "certificate chain (verified above) is valid at \(verified.source.rawValue) time \(formatRFC3339(time))")
                continue
            }
            var failures = [String]()
            var chained = false
            for (caIndex, instance) in verifier.trustedRoot.certificateAuthorities.enumerated() {
                guard instance.validFor.contains(time) else {
                    failures.append("\(instance.uri): CA not valid at \(formatRFC3339(time))")
                    continue
                }
                do {
                    let ca = try verifier.certificateAuthority(caIndex)
                    let chain: [Certificate]
                    if let fast = ca.issuingValidator, ca.certificates.allSatisfy({ $0.notBefore <= time && time <= $0.notAfter }),
                       let validated = try? fast.validate(leaf, at: time, requiredExtendedKeyUsage: codeSigningEKU) {
                        chain = validated
                    } else {
                        chain = try ca.validator.validate(leaf, at: time, requiredExtendedKeyUsage: codeSigningEKU)
                    }
                    if chain.count > 1 { issuer = chain[1] }
                    if established == nil { established = (PreparedCAReference(ca), chain) }
                    chained = true
                    pass("certificate.chain", "certificate chains to \(ca.instance.commonName.isEmpty ? ca.instance.uri : ca.instance.commonName) at \(verified.source.rawValue) time \(formatRFC3339(time))")
                    break
                } catch {
                    failures.append("\(instance.uri): \(error)")
                }
            }
            guard chained else {
                throw SignatureVerificationError(.certificateChainInvalid, check: "certificate.chain",
                                                 "signing certificate (valid \(formatRFC3339(leaf.notBefore)) to \(formatRFC3339(leaf.notAfter))) does not chain to a trusted CA valid at \(verified.source.rawValue) time \(formatRFC3339(time)): \(failures.joined(separator: "; "))")
            }
        }
        guard policy.requireSCT else { return }
        guard let issuer else {
            throw SignatureVerificationError(.sctInvalid, check: "certificate.sct",
                                             "cannot check SCTs: the certificate's issuer is unknown")
        }
        let scts: [VerifiedSCT]
        do {
            // Only the CT logs the certificate names are prepared.
            let named = try leaf.extensionValue(oid: sctListOID).map {
                Set(try SignedCertificateTimestamp.parseList(extensionValue: $0).map(\.logID))
            } ?? []
            scts = try verifyEmbeddedSCTs(leaf: leaf, issuer: issuer, logs: verifier.ctLogs(ids: named))
        } catch {
            throw SignatureVerificationError(.sctInvalid, check: "certificate.sct", "embedded SCTs are invalid: \(error)")
        }
        let inWindow = scts.filter { sct in verifier.ctLogValid(id: sct.logID, at: sct.timestamp) }
        guard let first = inWindow.first else {
            throw SignatureVerificationError(.sctInvalid, check: "certificate.sct",
                                             scts.isEmpty ? "no embedded SCT verifies against a trusted CT log"
                                                          : "no embedded SCT falls inside its CT log key's validity period")
        }
        pass("certificate.sct", "embedded SCT from CT log \((first.logID.prefix(8)).hexString)… at \(formatRFC3339(first.timestamp)) verifies")
    }

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

    mutating func verifySignature(key: PublicKey) throws -> InTotoStatement? {
        switch bundle.content {
        case .messageSignature(let message):
            // The digest hint must agree with the artifact.
            if let algorithm = message.digestAlgorithm, let hint = message.digest {
                if let actual = artifact.digest(algorithm) {
                    guard actual == hint else {
                        throw SignatureVerificationError(.artifactMismatch, check: "artifact",
                                                         "artifact \(algorithm.rawValue) is \((actual).hexString), but the bundle's messageDigest is \((hint).hexString); this bundle is for another artifact")
                    }
                }
            }
            var verified = false
            if key.kind == .ed25519 {
                if let bytes = artifact.bytes {
                    verified = key.isValidSignature(message.signature, for: bytes)
                } else {
                    throw SignatureVerificationError(.signatureInvalid, check: "signature",
                                                     "an Ed25519 message signature can only be verified over the artifact bytes; pass the file, not its digest")
                }
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
                    throw SignatureVerificationError(.artifactMismatch, check: "artifact",
                                                     "the artifact's digest under the signing key's hash is unknown; pass the file or its sha256 digest")
                }
            }
            guard verified else {
                throw SignatureVerificationError(.signatureInvalid, check: "signature",
                                                 "the message signature does not verify over the artifact with the signing key; the artifact or signature was altered, or the bundle is for another artifact")
            }
            pass("signature", "message signature verifies over the artifact")
            if let sha256 = artifact.digest(.sha256) {
                pass("artifact", "artifact sha256:\((sha256).hexString) is the signed message")
            }
            return nil

        case .dsseEnvelope(let envelope):
            let pae = envelope.preAuthenticationEncoding
            let signature = envelope.signatures[0].signature
            var verified = false
            if key.kind == .ed25519 {
                verified = key.isValidSignature(signature, for: pae)
            } else {
                outer: for hash in candidateHashes(for: key) {
                    for padding in rsaPaddings(for: key) where key.isValidSignature(signature, for: pae, hash: hash, rsaPadding: padding) {
                        verified = true
                        break outer
                    }
                }
            }
            guard verified else {
                throw SignatureVerificationError(.signatureInvalid, check: "signature",
                                                 "the DSSE envelope signature does not verify over PAE(payloadType, payload) with the signing key")
            }
            pass("signature", "DSSE envelope signature verifies over PAE(\(envelope.payloadType), payload)")
            guard envelope.payloadType == DSSEEnvelope.inTotoPayloadType else {
                throw SignatureVerificationError(.artifactMismatch, check: "artifact",
                                                 "DSSE payloadType is \(envelope.payloadType), not \(DSSEEnvelope.inTotoPayloadType); the artifact cannot be matched to a subject")
            }
            let statement = try InTotoStatement(json: envelope.payload)
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
                throw SignatureVerificationError(.artifactMismatch, check: "artifact",
                                                 "artifact (\(known.prefix(2).joined(separator: ", "))) is not a subject of the in-toto statement (subjects: \(subjects.joined(separator: "; "))\(statement.subjects.count > 3 ? "; …" : ""))")
            }
            pass("artifact", "artifact \(algorithm.rawValue):\((digest).hexString) is a subject of the in-toto statement (\(statement.predicateType))")
            return statement
        }
    }
}

/// The parts of a prepared CA a later time check needs.
struct PreparedCAReference {
    let instance: CertificateAuthorityInstance
    let certificates: [Certificate]
    init(_ ca: BundleVerifier.PreparedCA) {
        instance = ca.instance
        certificates = ca.certificates
    }
}

/// The embedded SCT list extension (RFC 6962).
let sctListOID = "1.3.6.1.4.1.11129.2.4.2"

/// Extended key usage id-kp-codeSigning.
let codeSigningEKU = "1.3.6.1.5.5.7.3.3"
