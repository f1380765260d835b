import Synchronization
import Foundation
import ManifestScanner
import OCIImage
import RegistryAccess

/// What `pin` did with one finding that was not already pinned.
public struct PinResult: Sendable, Hashable {
    /// Why a finding was not pinned. Stable snake_case codes.
    public enum Problem: String, Sendable, Hashable {
        /// The registry (or layout) has no such tag.
        case tagNotFound = "tag_not_found"
        /// The registry could not answer (unreachable, unauthorized, rate-limited, deadline): retry.
        case registryUndecided = "registry_undecided"
        /// The registry answered with something unusable.
        case registryInvalid = "registry_invalid"
        /// A template expression: only rendering decides the image.
        case templated
        /// Inside a chart archive: pin the chart's source, or the values that override it.
        case inArchive = "in_archive"
        /// In a chart template (Go template text, not YAML): pin the values it reads instead.
        case inTemplate = "in_template"
        /// The tag is empty or missing, so the chart's default applies, which only its templates know.
        case tagUnknown = "tag_unknown"
        /// A subchart's image whose value comes from the parent chart's values: pin it there.
        case setByParent = "set_by_parent"
        /// A malformed or placeholder digest, or an invalid reference: fix it by hand.
        case notPinnable = "not_pinnable"
        /// The bytes at the recorded place are not the value the parser saw (escapes, multi-line values).
        case notLocated = "not_located"
        /// The same YAML node (an anchor or merge key) is shared by images that need different digests.
        case sharedNode = "shared_node"
        /// Re-scanning the edited text did not give exactly the expected findings; nothing was written.
        case selfCheckFailed = "self_check_failed"
        /// The file changed on disk since it was read; nothing was written.
        case changedOnDisk = "changed_on_disk"
        /// The file could not be written.
        case writeFailed = "write_failed"
        /// With `--verify`: the digest's signatures do not satisfy the policy.
        case verificationFailed = "verification_failed"
        /// With `--verify`: the signatures could not be checked.
        case verificationUndecided = "verification_undecided"

        /// Whether the problem is "could not decide" (exit status 2) rather than "cannot be pinned" (1).
        public var isUndecided: Bool { self == .registryUndecided || self == .verificationUndecided }
    }

    /// The finding, as the scan reported it.
    public var finding: Finding
    /// The digest written (or, with a problem after resolution, the digest that was found).
    public var digest: Digest?
    /// Nil when the digest was written (or would be, in a dry run).
    public var problem: Problem?
    /// For a person: what happened and the fix.
    public var message: String?

    /// Whether the finding is now pinned.
    public var pinned: Bool { problem == nil && digest != nil }
}

/// One file `pin` changes.
public struct PinnedFile: Sendable, Hashable {
    /// The path as the scan named it.
    public var path: String
    /// The bytes read.
    public var original: [UInt8]
    /// The bytes with the digests written in.
    public var updated: [UInt8]

    /// The change as a unified diff.
    public var unifiedDiff: String { UnifiedDiff.render(path: path, old: original, new: updated) }
}

/// What `pin` found and would change: the results per finding and the new text of each file.
public struct PinPlan: Sendable {
    /// Every finding that was not pinned before, with what became of it (inherited images are left out: they name
    /// no image).
    public var results: [PinResult]
    /// Findings that were pinned already.
    public var alreadyPinned: Int
    /// The files with at least one edit.
    public var files: [PinnedFile]

    /// 0 when every image is pinned; 1 when something could not be pinned; else 2 when the registry (or a
    /// verification) could not answer.
    public var exitStatus: Int32 {
        let problems = results.compactMap(\.problem)
        if problems.contains(where: { !$0.isUndecided }) { return 1 }
        return problems.isEmpty ? 0 : 2
    }
}

/// Pins images by digest in place: scans the paths, resolves every `tag` and `implicit-latest` finding to the digest
/// its tag names now, and writes each digest into the file as a minimal edit of the original bytes, following the
/// file's convention (``PinSite``). Comments, key order, quoting, indentation, anchors and line endings stay as
/// they were; the YAML is never re-dumped.
///
/// ```swift
/// let pinner = Pinner(resolver: DigestResolver(source: try RemoteRegistry()))
/// let plan = try await pinner.plan(paths: ["charts/"])
/// let written = pinner.write(plan)
/// ```
///
/// Fail-safe: an edited file is scanned again in memory, and is written only when every finding is as before
/// except the pinned ones, which now name exactly the resolved digest. Chart archives and templates are reported,
/// not touched.
public struct Pinner: Sendable {
    /// Looks the tags up.
    public let resolver: DigestResolver
    /// With `--verify`: only digests whose signatures satisfy this verifier's policy are written.
    public let verifier: ImageVerifier?
    /// Finds the images.
    public let scanner: ManifestScanner
    /// The deadline of the verification.
    public let verificationTimeout: Duration?

    /// Creates a pinner.
    public init(resolver: DigestResolver, verifier: ImageVerifier? = nil, scanner: ManifestScanner = ManifestScanner(),
                verificationTimeout: Duration? = nil) {
        self.resolver = resolver
        self.verifier = verifier
        self.scanner = scanner
        self.verificationTimeout = verificationTimeout
    }

    /// Scans, resolves and computes the edits; writes nothing.
    /// - Throws: ``ScanError`` `path_not_found` when a path does not exist.
    public func plan(paths: [String]) async throws -> PinPlan {
        let report = try scanner.scan(paths: paths)
        return await plan(findings: report.findings)
    }

    /// Resolves and computes the edits for findings of a scan.
    public func plan(findings: [Finding]) async -> PinPlan {
        var results: [PinResult] = []
        var alreadyPinned = 0
        var wanted: [Int] = []
        for finding in findings {
            switch finding.status {
            case .pinned:
                alreadyPinned += 1
            case .inherited:
                continue
            case .tag, .implicitLatest:
                if let problem = Self.unpinnable(finding) {
                    results.append(PinResult(finding: finding, problem: problem.0, message: problem.1))
                } else {
                    wanted.append(results.count)
                    results.append(PinResult(finding: finding))
                }
            case .templated:
                results.append(PinResult(finding: finding, problem: .templated,
                                         message: "a template expression: render the chart, or pin the values it reads"))
            case .malformedDigest, .placeholderDigest, .digestNotFound, .error:
                results.append(PinResult(finding: finding, problem: .notPinnable,
                                         message: "\(finding.status.rawValue): fix by hand" + (finding.note.map { " (\($0))" } ?? "")))
            }
        }
        // Resolve each distinct reference once.
        let lookups = await resolver.lookUp(wanted.compactMap { results[$0].finding.reference })
        for index in wanted {
            guard let reference = results[index].finding.reference, let lookup = lookups[reference] else { continue }
            switch lookup {
            case .found(let descriptor): results[index].digest = descriptor.digest
            case .notFound(let message): results[index].problem = .tagNotFound; results[index].message = message
            case .invalid(let message): results[index].problem = .registryInvalid; results[index].message = message
            case .undecided(let message): results[index].problem = .registryUndecided; results[index].message = message
            }
        }
        if let verifier { await verify(&results, indices: wanted, with: verifier) }
        // Edit file by file.
        var files: [PinnedFile] = []
        var byFile: [String: [Int]] = [:]
        var order: [String] = []
        for index in wanted where results[index].problem == nil && results[index].digest != nil {
            let file = results[index].finding.file
            if byFile[file] == nil { order.append(file) }
            byFile[file, default: []].append(index)
        }
        for file in order {
            let indices = byFile[file] ?? []
            if let pinned = edit(file: file, indices: indices, results: &results,
                                 scanned: findings.filter { $0.file == file }) {
                files.append(pinned)
            }
        }
        return PinPlan(results: results, alreadyPinned: alreadyPinned, files: files)
    }

    /// Writes every file of the plan (atomically, each only if unchanged on disk since it was read) and returns the
    /// plan with write problems recorded on the findings of files that were not written.
    /// The files are independent, so they are replaced concurrently (each one's fsync is most of its cost); the
    /// outcome is recorded per file in plan order.
    public func write(_ plan: PinPlan) -> PinPlan {
        let files = plan.files
        let outcomes = Mutex<[AtomicFileReplacement.Failure?]>(Array(repeating: nil, count: files.count))
        DispatchQueue.concurrentPerform(iterations: files.count) { index in
            let file = files[index]
            do {
                try AtomicFileReplacement.replace(file.path, original: file.original, updated: file.updated)
            } catch let failure as AtomicFileReplacement.Failure {
                outcomes.withLock { $0[index] = failure }
            } catch {
                outcomes.withLock { $0[index] = AtomicFileReplacement.Failure(code: "write_failed", message: "\(error)") }
            }
        }
        var written = plan
        var kept: [PinnedFile] = []
        for (file, failure) in zip(files, outcomes.withLock { $0 }) {
            guard let failure else { kept.append(file); continue }
            for i in written.results.indices where written.results[i].finding.file == file.path && written.results[i].pinned {
                written.results[i].problem = failure.code == "changed_on_disk" ? .changedOnDisk : .writeFailed
                written.results[i].message = failure.message
            }
        }
        written.files = kept
        return written
    }

    // MARK: - Steps

    /// Why a `tag` / `implicit-latest` finding cannot be pinned in place, before asking any registry.
    static func unpinnable(_ finding: Finding) -> (PinResult.Problem, String)? {
        if finding.file.contains("!") {
            return (.inArchive, "inside a chart archive, which pin does not rewrite: pin the chart's source, or override the image in your values")
        }
        if let parent = finding.overriddenBy {
            return (.setByParent, "the parent chart's values \(parent) set this image: pin it there")
        }
        if finding.file == "-" {
            return (.notLocated, "read from standard input: pin files instead")
        }
        guard finding.pinSite != nil, finding.reference != nil else {
            if finding.file.contains("/templates/") {
                return (.inTemplate, "in a chart template: pin the values the template reads")
            }
            return (.tagUnknown, "no tag to resolve" + (finding.note.map { " (\($0))" } ?? "") + ": set a tag or a digest by hand")
        }
        return nil
    }

    /// Verifies each resolved digest once and keeps only those whose signatures pass.
    private func verify(_ results: inout [PinResult], indices: [Int], with verifier: ImageVerifier) async {
        var candidates: [Finding] = []
        var seen = Set<String>()
        for index in indices {
            guard let digest = results[index].digest, results[index].problem == nil,
                  let name = results[index].finding.reference.flatMap(Self.repositoryName) else { continue }
            let pinned = name + "@" + digest.string
            guard seen.insert(pinned).inserted else { continue }
            var candidate = results[index].finding
            candidate.status = .pinned
            candidate.reference = pinned
            candidates.append(candidate)
        }
        let verified = await verifier.verify(findings: candidates, at: Date(), timeout: verificationTimeout)
        var verdicts: [String: FindingVerification] = [:]
        for finding in verified { if let reference = finding.reference { verdicts[reference] = finding.verification } }
        for index in indices {
            guard let digest = results[index].digest, results[index].problem == nil,
                  let name = results[index].finding.reference.flatMap(Self.repositoryName),
                  let verdict = verdicts[name + "@" + digest.string] else { continue }
            if verdict.passed { continue }
            let undecided = verdict.decision == "indeterminate"
            results[index].problem = undecided ? .verificationUndecided : .verificationFailed
            results[index].message = "\(digest) not written: signature \(verdict.decision)"
                + (verdict.reasons.isEmpty ? "" : " [\(verdict.reasons.joined(separator: ", "))]")
                + (verdict.message.map { ": \($0)" } ?? "")
        }
    }

    /// `docker.io/library/nginx` of `docker.io/library/nginx:1.27`.
    static func repositoryName(_ reference: String) -> String? {
        (try? ImageReference(normalizing: reference))?.name
    }

    /// Computes one file's edits, applies them to its bytes and checks the result by scanning it again.
    private func edit(file: String, indices: [Int], results: inout [PinResult], scanned: [Finding]) -> PinnedFile? {
        guard let data = FileManager.default.contents(atPath: file) else {
            for index in indices {
                results[index].problem = .writeFailed
                results[index].message = "\(file) could not be read again"
            }
            return nil
        }
        let original = [UInt8](data)
        let editor = PinEditor(bytes: original)
        // One edit per site: findings that share a node (aliases) share the edit when they agree on the digest.
        var bySite: [PinSite: (edit: ByteEdit, digest: Digest, indices: [Int])] = [:]
        var siteOrder: [PinSite] = []
        for index in indices {
            guard let site = results[index].finding.pinSite, let digest = results[index].digest else { continue }
            if let existing = bySite[site] {
                guard existing.digest == digest else {
                    for i in existing.indices + [index] {
                        results[i].problem = .sharedNode
                        results[i].message = "one YAML node (an anchor or merge key) holds the tag of images with different digests; pin them by hand"
                    }
                    bySite[site] = nil
                    continue
                }
                bySite[site]?.indices.append(index)
                continue
            }
            do {
                bySite[site] = (try editor.edit(site, digest: digest), digest, [index])
                siteOrder.append(site)
            } catch let failure as PinEditFailure {
                results[index].problem = .notLocated
                results[index].message = failure.message
            } catch {
                results[index].problem = .notLocated
                results[index].message = "\(error)"
            }
        }
        let edits = siteOrder.compactMap { bySite[$0] }
        guard !edits.isEmpty else { return nil }
        let updated = PinEditor.apply(edits.map(\.edit), to: original)
        let pinnedIndices = edits.flatMap(\.indices)
        if let mismatch = selfCheck(file: file, updated: updated, before: scanned, pinned: pinnedIndices, results: results) {
            for index in pinnedIndices {
                results[index].problem = .selfCheckFailed
                results[index].message = "\(file) not written: after the edit, \(mismatch)"
            }
            return nil
        }
        return PinnedFile(path: file, original: original, updated: updated)
    }

    /// Scans the edited bytes and compares: nil when the findings are the same except that the pinned ones now
    /// name their digest; else what differs.
    private func selfCheck(file: String, updated: [UInt8], before: [Finding], pinned: [Int],
                           results: [PinResult]) -> String? {
        let after = scanner.scan(data: Data(updated), name: file)
        guard after.count == before.count else {
            return "the file holds \(after.count) images instead of \(before.count)"
        }
        var expected: [Int: Digest] = [:]
        for index in pinned {
            guard let position = before.firstIndex(of: results[index].finding), let digest = results[index].digest else {
                return "a finding could not be matched"
            }
            expected[position] = digest
        }
        for (position, (old, new)) in zip(before, after).enumerated() {
            if let digest = expected[position] {
                guard new.status == .pinned, new.reference?.hasSuffix("@" + digest.string) == true,
                      new.reference.flatMap(Self.repositoryName) == old.reference.flatMap(Self.repositoryName) else {
                    return "\(old.yamlPath) reads `\(new.image)` (\(new.status.rawValue)), not the pin to \(digest)"
                }
            } else if new.status != old.status || new.image != old.image {
                // An alias of an edited node becomes pinned too; anything else must not change.
                if new.status == .pinned, old.status == .tag || old.status == .implicitLatest,
                   expected.values.contains(where: { new.reference?.hasSuffix("@" + $0.string) == true }) { continue }
                return "\(old.yamlPath) changed from `\(old.image)` to `\(new.image)`"
            }
        }
        return nil
    }
}
