import Foundation
import GateVerdict
import ManifestScanner
import OCIImage
import PolicyFiles
import SignatureVerification

/// What the gate does besides the policies.
public struct GateOptions: Sendable {
    /// What happens to a pinned image no policy matches.
    public enum NoMatch: String, Sendable, CaseIterable {
        /// It fails (policy-controller's `no-match-policy: deny`, the default).
        case deny
        /// It passes with a warning.
        case warn
        /// It passes.
        case allow
    }

    /// Pin statuses that fail an image (as `scan --fail-on`).
    public var failOn: Set<PinStatus> = PinStatus.defaultFailing
    /// Pinned images that no policy matches.
    public var noMatch: NoMatch = .deny
    /// The trusted root (`trusted_root.json` bytes) for authorities without `trustRootRef`; nil: the production
    /// root built in. Kept as bytes so an evidence package records exactly what was used.
    public var trustedRootJSON: Data?
    /// How many verifications run at once.
    public var maximumConcurrency = 16
    /// Verifications not finished by then are indeterminate (`deadline_exceeded`).
    public var timeout: Duration?

    /// The defaults: every non-pinned status fails, unmatched images are denied, production root.
    public init() {}
}

/// One decision for a whole release: scans charts and manifests, requires every image pinned, matches each image
/// to its ClusterImagePolicies and verifies it against every matching policy (at least one authority of each),
/// each distinct image once per authority, concurrently.
///
/// ```swift
/// let gate = try Gate(policies: try PolicySet.load(paths: ["policies/"]), source: try OCILayoutSource(path: "layout"))
/// let report = try await gate.decide(paths: ["chart/", "manifests/"], at: Date())
/// if report.decision != .pass { print(report.renderText()) }
/// ```
/// An admission webhook evaluates one image at a time with ``evaluate(image:kind:at:)``.
public struct Gate: Sendable {
    /// The policies enforced.
    public let policies: PolicySet
    /// Where images and signatures are read from.
    public let source: any ContentSource
    /// The options.
    public let options: GateOptions
    let checks: [[AuthorityCheck]]  // per policy, per authority
    let verifiers: [ImageVerifier]

    /// Prepares the gate: builds one verifier per authority requirement (trusted material parsed once).
    /// Throws `policy_unusable` naming the authority when a loaded policy cannot be enforced.
    public init(policies: PolicySet, source: any ContentSource, options: GateOptions = GateOptions()) throws(ImageGateError) {
        self.policies = policies
        self.source = source
        self.options = options
        var verifiers: [ImageVerifier] = []
        var checks: [[AuthorityCheck]] = []
        let fallback = LazyTrustedRoot(options.trustedRootJSON)
        for policy in policies.policies {
            var policyChecks: [AuthorityCheck] = []
            for authority in policy.authorities {
                policyChecks.append(try AuthorityCheck.make(authority, policies: policies, defaultRoot: fallback.get,
                                                            source: source, verifiers: &verifiers))
            }
            checks.append(policyChecks)
        }
        self.checks = checks
        self.verifiers = verifiers
    }

    /// Scans `paths` (files, folders, chart archives) and decides. Throws `scan_failed` when an input cannot be read.
    public func decide(paths: [String], at time: Date) async throws(ImageGateError) -> GateRun {
        let scan: ScanReport
        do {
            scan = try ManifestScanner().scan(paths: paths)
        } catch {
            throw ImageGateError(.scanFailed, "\(error)")
        }
        return GateRun(scan: scan, report: await decide(findings: scan.findings, filesScanned: scan.filesScanned, at: time))
    }

    /// Decides on findings already scanned (an evidence package re-decides its recorded scan this way).
    public func decide(findings: [Finding], filesScanned: Int, at time: Date) async -> GateReport {
        // Group findings by image: the normalized reference when it parses (so `app:v1@sha256:…` and
        // `docker.io/org/app@sha256:…` are one image), else as written; the first use fixes the order and the name.
        var order: [String] = []
        var uses: [String: [Finding]] = [:]
        for finding in findings {
            let key = finding.reference ?? finding.image
            if uses[key] == nil { order.append(key) }
            uses[key, default: []].append(finding)
        }
        // The verifications every image needs, each (verifier, reference) once.
        var jobs: [Job] = []
        var seen = Set<Job>()
        var plans: [String: ImagePlan] = [:]
        for image in order {
            let plan = self.plan(image: uses[image]?.first?.image ?? image, findings: uses[image] ?? [])
            plans[image] = plan
            if let reference = plan.reference {
                for index in plan.verifierIndexes {
                    let job = Job(verifier: index, reference: reference)
                    if seen.insert(job).inserted { jobs.append(job) }
                }
            }
        }
        let results = await run(jobs, at: time)
        let images = order.map { image in
            conclude(plans[image]!, findings: uses[image] ?? [], results: results)
        }
        let summaries = policies.policies.map {
            GatePolicy(name: $0.name, file: $0.location.file, line: $0.location.line, mode: $0.mode.rawValue,
                       globs: $0.images.map(\.pattern))
        }
        return GateReport(verifiedAt: time, images: images, policies: summaries, filesScanned: filesScanned)
    }

    /// Evaluates one image reference against the policies (for an admission webhook): pin status, matching
    /// policies, verification. `kind` (`Deployment`, `Pod`…) limits policies with `match:`.
    public func evaluate(image: String, kind: String? = nil, at time: Date) async -> GateImage {
        let classified = PinClassifier.classify(image)
        let finding = Finding(file: "(admission)", line: 0, column: 0, yamlPath: "", image: image,
                              reference: classified.reference, status: classified.status,
                              object: kind.map { "\($0)/" }, note: classified.note)
        return await decide(findings: [finding], filesScanned: 0, at: time).images[0]
    }

    // MARK: - Planning

    struct Job: Hashable, Sendable {
        let verifier: Int
        let reference: String
    }

    struct ImagePlan {
        let image: String
        let reference: String?
        let status: PinStatus
        /// Indexes of the matching policies with the glob that matched.
        let matched: [(policy: Int, glob: String)]
        let verifierIndexes: [Int]
        let pinFailure: Bool
    }

    func plan(image: String, findings: [Finding]) -> ImagePlan {
        let first = findings.first
        let status = first?.status ?? .error
        let reference = first?.reference
        let kinds = Set(findings.map { $0.object.map { String($0.prefix { $0 != "/" }) } })
        var matched: [(Int, String)] = []
        for (index, policy) in policies.policies.enumerated() {
            guard let glob = policy.matchingGlob(for: reference ?? image) ?? policy.matchingGlob(for: image) else { continue }
            guard kinds.contains(where: { policy.applies(toKind: $0?.isEmpty == true ? nil : $0) }) else { continue }
            matched.append((index, glob.pattern))
        }
        let pinFailure = status != .pinned && options.failOn.contains(status)
        // An image that fails on its pin is not fetched: there is no trustworthy digest to verify.
        let verify = !pinFailure && reference != nil && status != .error
        let indexes = verify ? matched.flatMap { checks[$0.0].flatMap { $0.requirements.map(\.verifier) } } : []
        return ImagePlan(image: image, reference: reference, status: status, matched: matched, verifierIndexes: indexes,
                         pinFailure: pinFailure)
    }

    // MARK: - Running

    func run(_ jobs: [Job], at time: Date) async -> [Job: SubjectVerdict] {
        let box = VerdictBox()
        let limit = max(1, options.maximumConcurrency)
        let work = Task {
            await withTaskGroup(of: (Job, SubjectVerdict).self) { group in
                var next = 0
                func add() {
                    let job = jobs[next]
                    next += 1
                    group.addTask { (job, await self.verifiers[job.verifier].verify(reference: job.reference, at: time)) }
                }
                while next < jobs.count && next < limit { add() }
                while let (job, verdict) = await group.next() {
                    box.set(job, verdict)
                    if next < jobs.count && !Task.isCancelled { add() }
                }
            }
        }
        await awaitWithDeadline(work, timeout: options.timeout)
        var results = box.all()
        for job in jobs where results[job] == nil {
            results[job] = SubjectVerdict(reference: job.reference, decision: .indeterminate, reasons: [.deadlineExceeded],
                                          messages: ["not decided before the deadline; retry, or raise --timeout"])
        }
        return results
    }

    // MARK: - Concluding

    func conclude(_ plan: ImagePlan, findings: [Finding], results: [Job: SubjectVerdict]) -> GateImage {
        let first = findings.first
        var image = GateImage(image: plan.image, reference: plan.reference, digest: nil, status: plan.status.rawValue,
                              decision: .pass, reasons: [], message: nil, fix: nil,
                              uses: findings.map { GateUse(file: $0.file, line: $0.line, column: $0.column, yamlPath: $0.yamlPath, object: $0.object) },
                              policies: [], warnings: [])
        if let reference = plan.reference, let parsed = try? ImageReference(normalizing: reference) {
            image.digest = parsed.digest?.string
        }
        if plan.pinFailure || plan.status == .error {
            image.decision = .fail
            image.reasons = [plan.status == .error ? GateReason.scanError : GateReason.notDigestPinned]
            image.message = GateFixes.why(plan.status, note: first?.note)
            image.fix = GateFixes.fix(plan.status, image: plan.image, reference: plan.reference)
        } else if plan.status != .pinned {
            image.warnings.append("\(plan.status.rawValue): \(GateFixes.why(plan.status, note: first?.note)) (not in --fail-on)")
        }
        if plan.matched.isEmpty {
            if image.decision == .pass {
                switch options.noMatch {
                case .deny:
                    image.decision = .fail
                    image.reasons.append(GateReason.noPolicyMatched)
                    image.message = "no ClusterImagePolicy matches this image, and unmatched images are denied"
                    image.fix = "add a policy whose images[].glob matches \(plan.reference.flatMap { try? ImageGlob.qualifiedName($0) } ?? plan.image), or pass --no-match warn|allow"
                case .warn:
                    image.warnings.append("no ClusterImagePolicy matches this image (--no-match warn)")
                case .allow:
                    break
                }
            }
            return image
        }
        var enforced: [Decision] = []
        for (policyIndex, glob) in plan.matched {
            let policy = policies.policies[policyIndex]
            var note: String?
            var outcomes: [GateAuthorityOutcome] = []
            if plan.verifierIndexes.isEmpty && !(checks[policyIndex].allSatisfy { $0.requirements.isEmpty }) {
                // Not verified (the pin failed): say so instead of inventing authority outcomes.
                note = "not evaluated: the image is not pinned by a valid digest"
            } else {
                outcomes = checks[policyIndex].map { check in
                    var verdicts: [Int: SubjectVerdict] = [:]
                    if let reference = plan.reference {
                        for requirement in check.requirements {
                            verdicts[requirement.verifier] = results[Job(verifier: requirement.verifier, reference: reference)]
                        }
                    }
                    return check.outcome(verdicts)
                }
            }
            let passedBy = outcomes.first { $0.decision == .pass }?.name
            let decision: Decision = passedBy != nil ? .pass
                : outcomes.contains { $0.decision == .indeterminate } ? .indeterminate : .fail
            if image.digest == nil || image.digest?.isEmpty == true {
                image.digest = outcomes.flatMap(\.verdicts).compactMap(\.digest).first
            }
            image.policies.append(GatePolicyOutcome(policy: policy.name, location: policy.location.description,
                                                    mode: policy.mode.rawValue, glob: glob, decision: decision,
                                                    passedBy: passedBy, note: note, authorities: outcomes))
            if policy.mode == .warn {
                if decision != .pass { image.warnings.append("policy \(policy.name) (mode: warn) did not pass: \(decision.rawValue)") }
            } else {
                enforced.append(decision)
            }
        }
        if image.decision == .pass, !enforced.isEmpty {
            image.decision = Decision.combining(enforced)
            if image.decision != .pass {
                let failing = image.policies.filter { $0.mode == "enforce" && $0.decision != .pass }
                image.reasons = failing.isEmpty ? [] : [image.decision == .fail ? GateReason.policyFailed : GateReason.policyIndeterminate]
                var codes: [String] = []
                for reason in failing.flatMap({ $0.authorities.flatMap(\.reasons) }) where !codes.contains(reason) { codes.append(reason) }
                image.reasons += codes
                image.message = failing.map { "policy \($0.policy): no authority passed" }.joined(separator: "; ")
                image.fix = failing.first?.authorities.first?.verdicts.first?.messages.last
                    ?? "sign the image so that one authority of each matching policy is satisfied"
            }
        }
        return image
    }
}

/// A gate run over files: the scan and the decision.
public struct GateRun: Sendable {
    /// What the scanner found.
    public let scan: ScanReport
    /// The decision.
    public let report: GateReport
}

/// The default trusted root, parsed once and only if an authority needs it.
private final class LazyTrustedRoot: @unchecked Sendable {
    private let json: Data?
    private var root: TrustedRoot?
    init(_ json: Data?) { self.json = json }
    func get() throws -> TrustedRoot {
        if let root { return root }
        let parsed = try json.map { try TrustedRoot(json: $0) } ?? TrustedRoot.production()
        root = parsed
        return parsed
    }
}

private final class VerdictBox: @unchecked Sendable {
    private let lock = NSLock()
    private var verdicts: [Gate.Job: SubjectVerdict] = [:]
    func set(_ job: Gate.Job, _ verdict: SubjectVerdict) {
        lock.lock(); defer { lock.unlock() }
        verdicts[job] = verdict
    }
    func all() -> [Gate.Job: SubjectVerdict] {
        lock.lock(); defer { lock.unlock() }
        return verdicts
    }
}
