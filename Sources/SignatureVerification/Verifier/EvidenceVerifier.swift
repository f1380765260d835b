import CryptoPrimitives
import Foundation
import GateVerdict

/// The one verifier: checks any `SignedEvidence` (a Sigstore bundle, a cosign layer, a containers-image signature)
/// against a `VerificationPolicy`, every check once, in one order (as sigstore-go):
///
/// material (key or certificate) → transparency log (SET, inclusion proof, checkpoint, entry body vs. evidence) →
/// RFC 3161 timestamps (TSA leaf pinned where the trusted root pins one) → verified times and thresholds →
/// certificate chain at every verified time (code-signing EKU; a private CA's leaf may omit the EKU) and SCT (within
/// the CT log's validity) → signature over the original bytes → artifact binding (message digest, simple-signing
/// digest, in-toto subject) → claims (annotations, predicate type) → identity and issuer.
///
/// Build it once per policy and reuse it (it is `Sendable`): each key and certificate of the trusted material is
/// parsed once, on first use (or all at once with `prepareAll()`), and each CA's intermediate → root link is validated
/// once. `verify` never reads the clock: times come from verified evidence, or from the caller's `currentTime`, which
/// a caller passes only when its policy accepts evidence without a transparency log.
public final class EvidenceVerifier: Sendable {
    /// The policy enforced.
    public let policy: VerificationPolicy

    struct PreparedLog: Sendable {
        let instance: TransparencyLogInstance
        let key: TransparencyLogKey
    }

    /// A certificate authority certificates may chain to: one of the trusted root's, or the policy's private chain.
    struct PreparedCA: Sendable {
        /// URI or common name, for messages.
        let name: String
        /// When the CA may be used.
        let validFor: ValidityPeriod
        /// A private CA (`Trust.certificateChain`): a leaf without an EKU extension is accepted (as Go's x509 does),
        /// and no SCT is required. Leaves of a trusted root's (Fulcio) CAs must list code signing.
        let isPrivate: Bool
        /// The CA's certificates (intermediates…, anchor).
        let certificates: [Certificate]
        /// Full validation: leaf → intermediates → anchor.
        let validator: ChainValidator
        /// Fast path: the issuing certificate as the trust anchor, used only when the rest of the CA's chain was
        /// validated once, at preparation. Per signature this costs one signature check (leaf by its issuer).
        let issuingValidator: ChainValidator?
    }

    struct PreparedTSA: Sendable {
        let instance: CertificateAuthorityInstance
        let roots: [Certificate]
        let intermediates: [Certificate]
        /// The TSA leaf the trusted root pins (the first of three or more certificates, or of two); every token
        /// must be signed by exactly this certificate.
        let leaf: Certificate?
    }

    let material: PreparedMaterial
    let chainCache: ChainCache

    /// Creates the verifier for a policy. Nothing is parsed yet; see `prepareAll()`.
    public init(policy: VerificationPolicy) {
        self.policy = policy
        self.material = PreparedMaterial()
        self.chainCache = ChainCache()
    }

    /// The trusted root's parts (empty without a trusted root).
    var transparencyLogInstances: [TransparencyLogInstance] { policy.trust.trustedRoot?.transparencyLogs ?? [] }
    var ctLogInstances: [TransparencyLogInstance] { policy.trust.trustedRoot?.ctLogs ?? [] }
    var timestampAuthorityInstances: [CertificateAuthorityInstance] { policy.trust.trustedRoot?.timestampAuthorities ?? [] }
    /// How many CAs certificates may chain to: the private chain alone when given, else the trusted root's CAs.
    var certificateAuthorityCount: Int {
        policy.trust.certificateChain != nil ? 1 : (policy.trust.trustedRoot?.certificateAuthorities.count ?? 0)
    }

    /// Parses every key and certificate of the trusted material now (a long-lived verifier may want the cost up front
    /// and problems reported at start-up). Throws `trusted_root_invalid` when a CA or TSA certificate cannot be parsed.
    public func prepareAll() throws {
        _ = logs(id: nil)
        _ = ctLogs()
        for index in 0..<certificateAuthorityCount { _ = try certificateAuthority(index) }
        for index in timestampAuthorityInstances.indices { _ = try timestampAuthority(index) }
    }

    /// Trusted-root entries this verifier could not use (unsupported key encodings), one sentence each; complete after
    /// `prepareAll()`.
    public var notes: [String] { material.notes }

    // MARK: - Verifying

    /// Verifies one piece of evidence for `artifact`.
    ///
    /// - Parameters:
    ///   - evidence: from an adapter (`SignedEvidence(bundle:)`, `SignedEvidence(cosignLayer:keyBased:)`).
    ///   - artifact: what must have been signed: the file's bytes or digests, or the image manifest digest.
    ///   - currentTime: an unverified time from the caller, used only when the evidence carries no verified time.
    ///     Pass it only when the policy accepts evidence without a transparency log; nil relies on evidence only.
    /// - Returns: the report of every check, `verified` true. With several keys, the first key the evidence verifies
    ///   under.
    /// - Throws: `SignatureVerificationError` naming the first failed check and its reason code (for several keys,
    ///   the failure under the first key).
    public func verify(_ evidence: SignedEvidence, artifact: Artifact, currentTime: Date? = nil) throws -> SignatureReport {
        let (report, failure) = attempt(evidence, artifact: artifact, currentTime: currentTime)
        if let failure { throw failure }
        return report
    }

    /// One verification under every signer requirement of the policy: the report of the first that passed, else
    /// the report (passed checks so far) and failure under the first key, or under the identities.
    func attempt(_ evidence: SignedEvidence, artifact: Artifact, currentTime: Date?) -> (SignatureReport, Error?) {
        let signers: [VerificationRun.Signer]
        switch policy.signers {
        case .identities(let identities): signers = [.identities(identities)]
        case .keys(let keys): signers = keys.map { .key($0) }
        }
        let digests = ArtifactDigests(artifact)
        var first: (SignatureReport, Error?)?
        for signer in signers {
            var run = VerificationRun(verifier: self, evidence: evidence, artifact: digests, signer: signer)
            let outcome = run.outcome(currentTime: currentTime)
            if outcome.1 == nil { return outcome }
            if first == nil { first = outcome }
        }
        return first ?? (SignatureReport(kind: "", source: ""), SignatureVerificationError(.policyInvalid, check: .policy, "the policy names no signer"))
    }

    /// Verifies a Sigstore bundle (the bundle adapter, then `verify(_:artifact:currentTime:)`).
    public func verify(bundle: SigstoreBundle, artifact: Artifact, currentTime: Date? = nil) throws -> SignatureReport {
        try verify(SignedEvidence(bundle: bundle), artifact: artifact, currentTime: currentTime)
    }

    /// Verifies evidence an adapter is still to build, and never throws: a malformed piece of evidence or a failed
    /// check becomes the last check of the returned report (`verified` false).
    /// - Parameters:
    ///   - kind: the report's kind (`signature`, `attestation`, `bundle`).
    ///   - source: where the evidence was found, for the report.
    public func report(kind: String, source: String, artifact: Artifact, currentTime: Date? = nil,
                       evidence: () throws -> SignedEvidence) -> SignatureReport {
        var report: SignatureReport
        var failure: Error?
        do {
            (report, failure) = attempt(try evidence(), artifact: artifact, currentTime: currentTime)
        } catch {
            (report, failure) = (SignatureReport(kind: kind, source: source), error)
        }
        report.kind = kind
        report.source = source
        switch failure {
        case nil: break
        case let error as SignatureVerificationError:
            report.checks.append(.failed(error.check, error.reasonCode, error.message))
        case let error?:
            report.checks.append(.failed(.internal, .internalError, "\(error)"))
        }
        return report
    }

    // MARK: - Prepared trusted material

    /// The prepared transparency logs with `id` (all when nil). A key this verifier cannot use is left out, with a
    /// note: that only ever removes trust, never adds it.
    func logs(id: [UInt8]?) -> [PreparedLog] {
        var result = [PreparedLog]()
        for (index, instance) in transparencyLogInstances.enumerated() where id == nil || instance.logID == id {
            if let log = material.value(\.logs, index, {
                do {
                    return PreparedLog(instance: instance, key: try makeTransparencyLogKey(
                        instance, checkpointName: policy.trust.checkpointNames[instance.baseURL]))
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
        for (index, instance) in ctLogInstances.enumerated() where ids?.contains(instance.logID) ?? true {
            if let key = material.value(\.ctLogs, index, {
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
        ctLogInstances.contains { $0.logID == id && $0.validFor.contains(time) }
    }

    /// The prepared certificate authority at `index` (see `certificateAuthorityCount`).
    func certificateAuthority(_ index: Int) throws -> PreparedCA {
        let name: String
        let validFor: ValidityPeriod
        let ders: [[UInt8]]
        let isPrivate: Bool
        if let chain = policy.trust.certificateChain {
            name = "the private CA (\(chain.last?.subject ?? "certificate chain"))"
            validFor = ValidityPeriod(start: Date(timeIntervalSince1970: 0))
            ders = chain.map(\.der)
            isPrivate = true
        } else {
            let instance = policy.trust.trustedRoot!.certificateAuthorities[index]
            name = instance.commonName.isEmpty ? instance.uri : instance.commonName
            validFor = instance.validFor
            ders = instance.certificatesDER
            isPrivate = false
        }
        return try prepared(\.certificateAuthorities, index, what: "certificate authority \(name)") {
            let certificates = try ders.map { try Certificate(der: $0) }
            guard let anchor = certificates.last, let issuing = certificates.first else { return nil }
            let validator = ChainValidator(roots: [anchor], intermediates: Array(certificates.dropLast()))
            var issuingValidator: ChainValidator? = nil
            if certificates.count == 1 {
                issuingValidator = validator
            } else if (try? validator.validate(issuing, at: issuing.notBefore)) != nil {
                // The intermediate → root part verified once; leaves then need only their own signature checked.
                issuingValidator = ChainValidator(roots: [issuing])
            }
            return PreparedCA(name: name, validFor: validFor, isPrivate: isPrivate, certificates: certificates,
                              validator: validator, issuingValidator: issuingValidator)
        }
    }

    /// The prepared timestamp authority at `index` of the trusted root.
    func timestampAuthority(_ index: Int) throws -> PreparedTSA {
        let instance = timestampAuthorityInstances[index]
        return try prepared(\.timestampAuthorities, index, what: "timestamp authority \(instance.uri)") {
            let certificates = try instance.certificatesDER.map { try Certificate(der: $0) }
            guard let root = certificates.last else { return nil }
            let leaf = certificates.count > 1 ? certificates.first : nil
            let intermediates = certificates.count > 2 ? Array(certificates.dropFirst().dropLast()) : []
            return PreparedTSA(instance: instance, roots: [root], intermediates: intermediates, leaf: leaf)
        }
    }

    /// Certificate material prepared once (see `PreparedMaterial.value`); material that does not parse is
    /// `trusted_root_invalid`, never silently dropped.
    private func prepared<T>(_ table: ReferenceWritableKeyPath<PreparedMaterial, [Int: T?]>, _ index: Int, what: String, _ make: () throws -> T?) throws -> T {
        var failure: Error?
        let value = material.value(table, index) { () -> T? in
            do {
                return try make()
            } catch {
                failure = error
                return nil
            }
        }
        guard let value else {
            throw SignatureVerificationError(.trustedRootInvalid, check: .trustedRoot,
                                             "\(what): \(failure.map { "\($0)" } ?? "unusable certificate chain")")
        }
        return value
    }
}

extension SignatureVerificationError {
    /// The gate's reason code for this error (the same snake_case string).
    public var reasonCode: ReasonCode { ReasonCode(rawValue: code.rawValue) }
}

/// The trusted material's parsed keys and certificates, each prepared once on first use (thread-safe).
final class PreparedMaterial: @unchecked Sendable {
    private let lock = NSLock()
    var logs: [Int: EvidenceVerifier.PreparedLog?] = [:]
    var ctLogs: [Int: CTLogKey?] = [:]
    var certificateAuthorities: [Int: EvidenceVerifier.PreparedCA?] = [:]
    var timestampAuthorities: [Int: EvidenceVerifier.PreparedTSA?] = [:]
    private var collectedNotes: [String] = []

    /// The cached value at `index` of `table`, preparing it (outside the lock) on first use. A failed preparation is
    /// cached as nil. The table is named by a key path, not passed `inout`: an `inout` argument is an access to the
    /// whole dictionary for the length of the call, which began outside the lock and raced with another thread's
    /// access inside it (ThreadSanitizer, `scripts/sanitize.sh thread`); every access is now under the lock.
    func value<T>(_ table: ReferenceWritableKeyPath<PreparedMaterial, [Int: T?]>, _ index: Int, _ prepare: () -> T?) -> T? {
        lock.lock()
        if let cached = self[keyPath: table][index] {
            lock.unlock()
            return cached
        }
        lock.unlock()
        let prepared = prepare()
        lock.lock()
        if let raced = self[keyPath: table][index] {
            lock.unlock()
            return raced
        }
        self[keyPath: table][index] = .some(prepared)
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

/// Caches parsed leaf certificates by their DER (bounded), so evidence verified again does not re-parse its leaf.
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
