import CryptoPrimitives
import Foundation
import GateVerdict
import OCIImage
import RegistryAccess
import SignatureVerification

/// Verifies images against a `VerificationPolicy`, reading from any `ContentSource` (an OCI layout, a registry).
///
/// ```swift
/// let policy = try VerificationPolicy(trust: .init(), signers: .keys([try PublicKey(pem: pem)]),
///                                     insecureIgnoreTransparencyLog: true)
/// let verifier = try ImageVerifier(source: try OCILayoutSource(path: "image-layout"), policy: policy)
/// let verdict = await verifier.verify(["registry.example/app@sha256:…"], at: Date())
/// if verdict.decision != .pass { print(verdict.renderText()) }
/// ```
/// Subjects are verified concurrently (at most `maximumConcurrency` at once), the same digest only once.
public struct ImageVerifier: Sendable {
    /// Where images and signatures are read from.
    public let source: any ContentSource
    /// What every image must satisfy.
    public let policy: VerificationPolicy
    /// How many images are verified at once.
    public let maximumConcurrency: Int
    /// One cosign-layer verifier per accepted identity (or one for all keys). Bridge until the one verifier lands.
    let cosign: [CosignVerifier]
    /// Built on first use: most images carry no Sigstore bundle, and parsing a trusted root costs milliseconds.
    let bundles: LazyBundleVerifier

    /// Prepares a verifier: parses the trusted material once.
    public init(source: any ContentSource, policy: VerificationPolicy, maximumConcurrency: Int = 8) throws {
        self.source = source
        self.policy = policy
        self.maximumConcurrency = max(1, maximumConcurrency)
        self.cosign = try policy.cosignPolicies.map { try CosignVerifier(policy: $0, trustedRoot: policy.trust.trustedRoot) }
        self.bundles = LazyBundleVerifier(trustedRoot: policy.trust.trustedRoot)
    }

    /// Verifies every reference and combines the verdicts. `time` is the time certificates are checked at when no
    /// verified time (transparency log, timestamp) exists. With a `timeout`, subjects not decided by then are
    /// `indeterminate` with `deadline_exceeded` (never pass), and their work is cancelled.
    public func verify(_ references: [String], at time: Date, timeout: Duration? = nil) async -> Verdict {
        let results = ResultBox(count: references.count)
        let work = Task {
            await withTaskGroup(of: (Int, SubjectVerdict).self) { group in
                var next = 0
                func add() {
                    let index = next
                    next += 1
                    group.addTask { (index, await self.verify(reference: references[index], at: time)) }
                }
                while next < references.count && next < maximumConcurrency { add() }
                while let (index, verdict) = await group.next() {
                    results.set(index, verdict)
                    if next < references.count && !Task.isCancelled { add() }
                }
            }
        }
        await awaitWithDeadline(work, timeout: timeout)
        let subjects = results.all().enumerated().map { index, verdict in
            verdict ?? SubjectVerdict(reference: references[index], decision: .indeterminate,
                                      reasons: [.deadlineExceeded],
                                      messages: ["not decided within the \(timeout.map { "\($0)" } ?? "") deadline; retry, or raise --timeout"],
                                      checks: [.failed("deadline", .deadlineExceeded, "the verification did not finish in time")])
        }
        return Verdict(subjects: subjects)
    }

    /// Verifies one reference.
    public func verify(reference input: String, at time: Date) async -> SubjectVerdict {
        var subject = SubjectVerdict(reference: input, decision: .indeterminate)
        do {
            try await verify(input, at: time, into: &subject)
        } catch let error as RegistryError {
            let reason = ImageVerifier.reason(for: error)
            subject.checks.append(.failed("fetch", reason, error.description))
            subject.reasons.append(reason)
            subject.decision = reason.decision
        } catch is CancellationError {
            subject.checks.append(.failed("deadline", .deadlineExceeded, "the verification was cancelled at the deadline"))
            subject.reasons.append(.deadlineExceeded)
            subject.decision = .indeterminate
        } catch {
            subject.checks.append(.failed("internal", .internalError, "\(error)"))
            subject.reasons.append(.internalError)
            subject.decision = .indeterminate
        }
        return subject
    }

    // MARK: - Flow: reference → digest → manifest → discovery → candidates → verdict

    private func verify(_ input: String, at time: Date, into subject: inout SubjectVerdict) async throws {
        let reference: ImageReference
        do {
            reference = try ImageReference(normalizing: input)
        } catch {
            subject.decision = .fail
            subject.reasons = [.invalidReference]
            subject.checks.append(.failed("reference", .invalidReference, "\(error)"))
            return
        }
        var notes: [ReasonCode] = []
        // 1. The digest: given, or resolved from the tag (and said so).
        let descriptor = try await source.resolve(reference)
        var digest = descriptor.digest
        if reference.digest == nil {
            notes.append(.notDigestPinned)
            let check = Check(name: "reference", passed: policy.allowTags,
                              detail: "\(input) is a tag, not a digest; it resolved to \(digest). Pin it: \(reference.repository.name)@\(digest)",
                              reason: .notDigestPinned)
            subject.checks.append(check)
        } else {
            subject.checks.append(.passed("reference", "The reference is pinned by digest"))
        }
        // 2. The manifest, checked against its digest by the source.
        let manifest = try await source.manifest(reference.repository, descriptor: descriptor)
        subject.checks.append(.passed("manifest", "The manifest matches its digest \(digest) (\(manifest.bytes.count) bytes)"))
        var indexDigest: Digest?
        if let platform = policy.platform, case .index(let index) = manifest.manifest {
            guard let child = index.manifests.first(where: { $0.platform?.matches(platform) ?? false }) else {
                subject.digest = digest.string
                subject.decision = .fail
                subject.reasons = [.platformNotFound]
                subject.checks.append(.failed("platform", .platformNotFound,
                                              "the index \(digest) has no manifest for \(platform); it has \(index.manifests.compactMap { $0.platform?.description }.joined(separator: ", "))"))
                return
            }
            indexDigest = digest
            digest = child.digest
            _ = try await source.manifest(reference.repository, descriptor: child)
            subject.checks.append(.passed("platform", "The index \(indexDigest!) selects \(digest) for \(platform)"))
        }
        subject.digest = digest.string

        // 3. Discovery and verification of every candidate.
        let reports = try await verifyCandidates(of: reference.repository, digest: digest, at: time)
        subject.signatures = reports
        let passed = reports.contains(where: \.verified)

        // 4. A platform child unsigned while its index is signed: say which digest carries the signature.
        if !passed, let indexDigest {
            let indexReports = try await verifyCandidates(of: reference.repository, digest: indexDigest, at: time)
            if indexReports.contains(where: \.verified) {
                subject.messages.append("the index \(indexDigest) is signed, but the platform manifest \(digest) is not; verify the index digest (drop --platform) or sign with cosign --recursive")
            }
        }

        // 5. The verdict.
        let what = policy.evidence == .signatures ? "signature" : "attestation"
        if passed {
            subject.reasons = notes
            let pinnedEnough = policy.allowTags || !notes.contains(.notDigestPinned)
            subject.decision = pinnedEnough ? .pass : .fail
            if !pinnedEnough {
                subject.messages.append("the \(what) verified, but the reference is not pinned by digest; deploy \(reference.repository.name)@\(digest) instead (or pass --allow-tags)")
            }
        } else if reports.isEmpty {
            subject.decision = .fail
            subject.reasons = [.noSignaturesFound] + notes
            subject.messages.append("no \(what) was found for \(digest) (looked in the \(ImageVerifier.discoveryPlaces(policy.evidence, digest))); sign it with cosign \(policy.evidence == .signatures ? "sign" : "attest")")
        } else {
            subject.decision = .fail
            subject.reasons = [.noMatchingSignature] + notes
            subject.messages.append(ImageVerifier.closestCandidateMessage(reports, what: what))
        }
    }

    /// Finds and verifies every signature or attestation of one digest.
    func verifyCandidates(of repository: ImageReference, digest: Digest, at time: Date) async throws -> [SignatureReport] {
        var reports: [SignatureReport] = []
        for candidate in try await SignatureDiscovery(source: source).candidates(for: repository, digest: digest, mode: policy.evidence) {
            // A layer of the other kind (a DSSE attestation among signatures, or the reverse) is no candidate:
            // an attestation is not a signature, whoever made it.
            let wantedKind: CosignLayer.Kind = policy.evidence == .signatures ? .signature : .attestation
            for layer in candidate.layers where layer.kind == wantedKind {
                reports.append(ImageVerifier.firstVerified(cosign.map {
                    $0.verify(layer, imageDigest: digest.string, source: candidate.source, now: time)
                }))
            }
            for bundle in candidate.bundles {
                if let report = verifyBundle(bundle, digest: digest, source: candidate.source, at: time) { reports.append(report) }
            }
        }
        return reports
    }

    /// The predicate type cosign v3 gives a plain image signature (a DSSE statement in a bundle).
    static let cosignSignPredicateType = "https://sigstore.dev/cosign/sign/v1"

    /// Verifies a cosign v3 Sigstore bundle found as a referrer; nil when it is of the other mode (an attestation
    /// while signatures are verified, or the reverse) and so not a candidate at all.
    func verifyBundle(_ bytes: [UInt8], digest: Digest, source: String, at time: Date) -> SignatureReport? {
        var report = SignatureReport(kind: "bundle", source: source)
        let bundle: SigstoreBundle
        do {
            bundle = try SigstoreBundle(json: Data(bytes))
        } catch {
            report.checks.append(.failed(.evidenceFormat, .bundleInvalid, "the Sigstore bundle does not parse: \(error)"))
            return report
        }
        let predicateType = bundle.dsseStatementPredicateType
        switch policy.evidence {
        case .signatures:
            guard predicateType == nil || predicateType == ImageVerifier.cosignSignPredicateType else { return nil }
        case .attestations:
            guard let predicateType, predicateType != ImageVerifier.cosignSignPredicateType else { return nil }
        }
        report.kind = policy.evidence == .signatures ? "signature" : "attestation"
        report.predicateType = predicateType
        guard let (algorithm, value) = Artifact.parseDigest(digest.string) else {
            report.checks.append(.failed(.artifact, .digestMismatch, "\(digest) is not a digest a bundle can name"))
            return report
        }
        var attempts: [SignatureReport] = []
        for signer in policy.bundleSigners {
            var attempt = report
            verifyBundle(bundle, artifact: .digest(algorithm, value), signer: signer, into: &attempt, at: time)
            if attempt.verified { return attempt }
            attempts.append(attempt)
        }
        return attempts.first ?? report
    }

    private func verifyBundle(_ bundle: SigstoreBundle, artifact: Artifact, signer: BundleSignerPolicy.Signer,
                              into report: inout SignatureReport, at time: Date) {
        let verification = BundleSignerPolicy(signer: signer, requireTransparencyLog: policy.requiresTransparencyLog,
                                              requireSCT: !policy.insecureIgnoreSCT)
        do {
            let result = try bundles.verifier().verify(bundle: bundle, artifact: artifact, policy: verification,
                                                       currentTime: policy.requiresTransparencyLog ? nil : time)
            if let wanted = policy.predicateType, result.statement?.predicateType != wanted {
                report.checks.append(.failed(.predicateType, .predicateTypeMismatch,
                                             "predicate type is \(result.statement?.predicateType ?? "none"), not \(wanted)"))
                return
            }
            report.checks = result.checks.map { .passed(CheckName(rawValue: $0.name), $0.detail) }
            switch result.signer {
            case .key(let keyID): report.keyID = keyID
            case .certificate(let identity, _, _, _):
                report.certificateIdentity = identity.subjectAlternativeName
                report.certificateIssuer = identity.issuer
            }
            if let entry = result.logEntries.first {
                report.tlogIndex = entry.logIndex
                report.integratedTime = entry.integratedTime.map(ContractJSON.timestamp)
            }
            let stamps = result.verifiedTimes.filter { $0.source == .timestampAuthority }.map { ContractJSON.timestamp($0.time) }
            if !stamps.isEmpty { report.timestamps = stamps }
            report.verified = true
        } catch let error as SignatureVerificationError {
            report.checks.append(.failed(error.check, ReasonCode(rawValue: error.code.rawValue), error.message))
        } catch {
            report.checks.append(.failed(.evidenceFormat, .internalError, "\(error)"))
        }
    }

    /// The verified report among attempts with several signers, else the first.
    static func firstVerified(_ reports: [SignatureReport]) -> SignatureReport {
        reports.first(where: \.verified) ?? reports[0]
    }

    /// Matches any issuer (private PKI certificates carry none).
    static let anyIssuer: StringMatcher = (try? StringMatcher.regexp(".*")) ?? .exact("")

    static func discoveryPlaces(_ mode: VerificationPolicy.Evidence, _ digest: Digest) -> String {
        let suffix = mode == .signatures ? "sig" : "att"
        return "tag \(digest.cosignTag(suffix: suffix)), the referrers API and the referrers tag \(digest.referrersTag)"
    }

    /// "2 signatures found; the closest, …, failed: …. Fix: …"
    static func closestCandidateMessage(_ reports: [SignatureReport], what: String) -> String {
        let closest = reports.max(by: { $0.checks.filter(\.passed).count < $1.checks.filter(\.passed).count })!
        let failure = closest.checks.first(where: { !$0.passed })
        let count = reports.count == 1 ? "1 \(what) found" : "\(reports.count) \(what)s found"
        let fix: String
        switch failure?.reason {
        case .keyMismatch?: fix = "it was made by another key than the one given; verify with the signer's public key"
        case .payloadDigestMismatch?: fix = "it signs another image; this image itself is not signed"
        case .identityMismatch?, .issuerMismatch?: fix = "check --certificate-identity and --certificate-oidc-issuer against the signer"
        case .tlogEntryMissing?: fix = "it has no transparency-log entry; for private infrastructure pass --insecure-ignore-tlog"
        case .annotationMismatch?: fix = "it lacks a required -a annotation; check the -a values against how it was signed"
        case .certificateChainInvalid?: fix = "its certificate does not chain to a trusted CA; pass the right --certificate-chain or --trusted-root"
        default: fix = failure?.detail ?? "see the checks above"
        }
        let which = reports.count == 1 ? "it" : "the closest (\(closest.source))"
        return "\(count); \(which) failed the \(failure?.name ?? "") check [\(failure?.reason?.rawValue ?? "")]: \(fix)"
    }

    /// The reason code of a registry error (the one mapping, shared with the admission server).
    public static func reason(for error: RegistryError) -> ReasonCode {
        switch error.code {
        case .manifestUnknown, .blobUnknown, .nameUnknown: return .imageNotFound
        case .digestMismatch: return .digestMismatch
        case .sizeMismatch: return .sizeMismatch
        case .unauthorized: return .registryUnauthorized
        case .rateLimited: return .registryRateLimited
        case .unreachable: return .registryUnreachable
        case .timeout: return .deadlineExceeded
        case .ioError: return .registryError
        default: return error.category == .indeterminate ? .registryError : .manifestInvalid
        }
    }
}

/// A `BundleVerifier` made once, when first needed (thread-safe).
final class LazyBundleVerifier: @unchecked Sendable {
    private let trustedRoot: TrustedRoot?
    private let lock = NSLock()
    private var made: Result<BundleVerifier, any Error>?

    init(trustedRoot: TrustedRoot?) { self.trustedRoot = trustedRoot }

    /// The verifier for the policy's trusted root, or the production root when the policy has none.
    func verifier() throws -> BundleVerifier {
        lock.lock()
        defer { lock.unlock() }
        if let made { return try made.get() }
        let result = Result { try BundleVerifier(trustedRoot: trustedRoot ?? TrustedRoot.production()) }
        made = result
        return try result.get()
    }
}

/// Verdicts collected from concurrent tasks, by position.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [SubjectVerdict?]

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ verdict: SubjectVerdict) {
        lock.lock()
        values[index] = verdict
        lock.unlock()
    }

    func all() -> [SubjectVerdict?] {
        lock.lock()
        defer { lock.unlock() }
        return values
    }
}
