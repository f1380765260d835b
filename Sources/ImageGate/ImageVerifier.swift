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
    /// The one verifier, for every evidence format; trusted material is parsed on first use.
    let evidence: EvidenceVerifier

    /// Prepares a verifier: parses the trusted material once.
    public init(source: any ContentSource, policy: VerificationPolicy, maximumConcurrency: Int = 16) throws {
        self.source = source
        self.policy = policy
        self.maximumConcurrency = max(1, maximumConcurrency)
        self.evidence = EvidenceVerifier(policy: policy)
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
                                      checks: [.failed(.deadline, .deadlineExceeded, "the verification did not finish in time")])
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
            subject.checks.append(.failed(.fetch, reason, error.description))
            subject.reasons.append(reason)
            subject.decision = reason.decision
        } catch is CancellationError {
            subject.checks.append(.failed(.deadline, .deadlineExceeded, "the verification was cancelled at the deadline"))
            subject.reasons.append(.deadlineExceeded)
            subject.decision = .indeterminate
        } catch {
            subject.checks.append(.failed(.internal, .internalError, "\(error)"))
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
            subject.checks.append(.failed(.reference, .invalidReference, "\(error)"))
            return
        }
        var notes: [ReasonCode] = []
        // 1. The digest: given, or resolved from the tag (and said so).
        let descriptor = try await source.resolve(reference)
        var digest = descriptor.digest
        if reference.digest == nil {
            notes.append(.notDigestPinned)
            let check = Check(name: .reference, passed: policy.allowTags,
                              detail: "\(input) is a tag, not a digest; it resolved to \(digest). Pin it: \(reference.repository.name)@\(digest)",
                              reason: .notDigestPinned)
            subject.checks.append(check)
        } else {
            subject.checks.append(.passed(.reference, "The reference is pinned by digest"))
        }
        // 2. The manifest, checked against its digest by the source. The digest's signatures are looked up at the
        //    same time (they are named by the digest alone); they are used only once the manifest checked out, and
        //    only when the digest named is the one verified (not an index whose child is chosen or walked).
        let named = digest
        async let namedReports = verifyCandidates(of: reference.repository, digest: named, at: time)
        let manifest = try await source.manifest(reference.repository, descriptor: descriptor)
        subject.checks.append(.passed(.manifest, "The manifest matches its digest \(digest) (\(manifest.bytes.count) bytes)"))
        var indexDigest: Digest?
        var children: [Descriptor] = []
        var verifyChildren = false
        switch (policy.indexTarget, manifest.manifest) {
        case (.platform(let platform), .index(let index)):
            guard let child = index.manifests.first(where: { $0.platform?.matches(platform) ?? false }) else {
                subject.digest = digest.string
                subject.decision = .fail
                subject.reasons = [.platformNotFound]
                subject.checks.append(.failed(.platform, .platformNotFound,
                                              "the index \(digest) has no manifest for \(platform); it has \(index.manifests.compactMap { $0.platform?.description }.joined(separator: ", "))"))
                return
            }
            indexDigest = digest
            digest = child.digest
            _ = try await source.manifest(reference.repository, descriptor: child)
            subject.checks.append(.passed(.platform, "The index \(indexDigest!) selects \(digest) for \(platform)"))
        case (.everyChild, .index(let index)):
            children = Array(index.manifests.prefix(ImageVerifier.maximumIndexChildren))
            verifyChildren = true
            subject.checks.append(.passed(.platform, "Every one of the index's \(children.count) manifests must carry its own \(policy.evidence == .signatures ? "signature" : "attestation") (--every-platform)"))
        case (.platform, _), (.everyChild, _):
            // Stated, never silently ignored: a single-platform manifest has no children to choose from.
            let flag = policy.platform.map { "--platform \($0)" } ?? "--every-platform"
            let note = "\(flag) does not apply: \(digest) is a single-platform image manifest, not an index; its own signature is verified"
            subject.checks.append(.passed(.platform, note))
            subject.messages.append(note)
        default:
            break
        }
        subject.digest = digest.string

        // 3. Discovery and verification of every candidate (of every child, with --every-platform).
        var reports: [SignatureReport] = []
        var passed: Bool
        if !verifyChildren {
            reports = indexDigest == nil ? try await namedReports
                                         : try await verifyCandidates(of: reference.repository, digest: digest, at: time)
            passed = reports.contains(where: \.verified)
        } else {
            passed = !children.isEmpty   // an index with no manifest has no child that is signed
            if children.isEmpty { subject.messages.append("the index \(digest) lists no manifest; --every-platform cannot be met") }
            for child in children {
                let childReports = try await verifyCandidates(of: reference.repository, digest: child.digest, at: time)
                reports += childReports.map { report in
                    var report = report
                    report.source = "\(child.digest) (\(child.platform?.description ?? "no platform")): \(report.source)"
                    return report
                }
                if !childReports.contains(where: \.verified) {
                    passed = false
                    subject.messages.append("the platform manifest \(child.digest) (\(child.platform?.description ?? "no platform")) has no passing \(policy.evidence == .signatures ? "signature" : "attestation"); sign every platform (cosign sign --recursive)")
                }
            }
        }
        subject.signatures = reports

        // 4. A platform child unsigned while its index is signed: say which digest carries the signature.
        if !passed, let _ = indexDigest {
            let indexReports = try await namedReports   // the index's own digest: the one looked up first
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
            let unverified = reports.filter { !$0.verified }
            if !unverified.isEmpty { subject.messages.append(ImageVerifier.closestCandidateMessage(unverified, what: what)) }
        }
    }

    /// At most this many children of an index are verified with `--every-platform` (hostile indexes).
    static let maximumIndexChildren = 64

    /// Finds and verifies every signature or attestation of one digest.
    func verifyCandidates(of repository: ImageReference, digest: Digest, at time: Date) async throws -> [SignatureReport] {
        var reports: [SignatureReport] = []
        guard let (algorithm, value) = Artifact.parseDigest(digest.string) else {
            throw RegistryError(.digestUnsupported, "\(digest) is not a digest a signature can name")
        }
        let artifact = Artifact.digest(algorithm, value)
        let currentTime = currentTime(time)
        for candidate in try await SignatureDiscovery(source: source).candidates(for: repository, digest: digest, mode: policy.evidence) {
            // A layer of the other kind (a DSSE attestation among signatures, or the reverse) is no candidate:
            // an attestation is not a signature, whoever made it.
            let wantedKind: CosignLayer.Kind = policy.evidence == .signatures ? .signature : .attestation
            for layer in candidate.layers where layer.kind == wantedKind {
                reports.append(evidence.report(kind: layer.kind.rawValue, source: candidate.source, artifact: artifact,
                                               currentTime: currentTime) {
                    try SignedEvidence(cosignLayer: layer, keyBased: keyBased)
                })
            }
            for bundle in candidate.bundles {
                if let report = verifyBundle(bundle, artifact: artifact, source: candidate.source, at: time) { reports.append(report) }
            }
        }
        return reports
    }

    /// Whether the policy verifies with keys (a cosign layer's certificate is then not used).
    var keyBased: Bool {
        if case .keys = policy.signers { return true }
        return false
    }

    /// The time certificates are checked at when evidence carries no verified time: only when the policy accepts
    /// evidence without a transparency log.
    func currentTime(_ time: Date) -> Date? { policy.requiresTransparencyLog ? nil : time }

    /// The predicate type cosign v3 gives a plain image signature (a DSSE statement in a bundle).
    static let cosignSignPredicateType = "https://sigstore.dev/cosign/sign/v1"

    /// Verifies a cosign v3 Sigstore bundle found as a referrer; nil when it is of the other mode (an attestation
    /// while signatures are verified, or the reverse) and so not a candidate at all.
    func verifyBundle(_ bytes: [UInt8], artifact: Artifact, source: String, at time: Date) -> SignatureReport? {
        let bundle: SigstoreBundle
        do {
            bundle = try SigstoreBundle(json: Data(bytes))
        } catch let error as SignatureVerificationError {
            return SignatureReport(kind: "bundle", source: source, checks: [.failed(error.check, error.reasonCode, error.message)])
        } catch {
            return SignatureReport(kind: "bundle", source: source, checks: [.failed(.evidenceFormat, .bundleInvalid, "\(error)")])
        }
        let predicateType = bundle.dsseStatementPredicateType
        switch policy.evidence {
        case .signatures:
            guard predicateType == nil || predicateType == ImageVerifier.cosignSignPredicateType else { return nil }
        case .attestations:
            guard let predicateType, predicateType != ImageVerifier.cosignSignPredicateType else { return nil }
        }
        return evidence.report(kind: policy.evidence == .signatures ? "signature" : "attestation", source: source,
                               artifact: artifact, currentTime: currentTime(time)) { SignedEvidence(bundle: bundle) }
    }

    static func discoveryPlaces(_ mode: VerificationPolicy.Evidence, _ digest: Digest) -> String {
        let suffix = mode == .signatures ? "sig" : "att"
        let legacy = digest.hasCosignTags ? "tag \(digest.cosignTag(suffix: suffix)), "
            : "no legacy tag (a \(digest.algorithm) digest's would be longer than a tag may be, so cosign can attach signatures only as referrers), "
        return legacy + "the referrers API and the referrers tag \(digest.referrersTag)"
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
