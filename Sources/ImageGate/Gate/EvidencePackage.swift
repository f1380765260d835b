import CryptoPrimitives
import Foundation
import GateVerdict
import ManifestScanner
import OCIImage
import PolicyFiles
import RegistryAccess
import SignatureVerification

/// `decision.json` of an evidence package: the decision with everything needed to re-decide it.
public struct EvidenceRecord: Codable, Sendable, Hashable {
    /// A policy file as used: its path at decision time and where the package keeps its bytes.
    public struct PolicyFile: Codable, Sendable, Hashable {
        /// The path given to `--policy` (locations in the report name it).
        public var path: String
        /// The package-relative path of the copy.
        public var stored: String
    }

    /// Version of this record's shape.
    public var schemaVersion = 1
    /// `verify-image`.
    public var tool = "verify-image"
    /// ``ImageGateVersion/current`` of the tool that decided.
    public var version: String
    /// The exact command line.
    public var commandLine: [String]
    /// `--fail-on` statuses.
    public var failOn: [String]
    /// `--no-match`.
    public var noMatch: String
    /// The policy files, in load order.
    public var policyFiles: [PolicyFile]
    /// The decision, in full.
    public var report: GateReport
}

/// Writes and re-verifies evidence packages: a folder (or `.tar.gz`) holding the decision (`decision.json`), the
/// scan report (`scan.json`), the policies and trusted root as used, an OCI image layout (`layout/`) with every
/// manifest, signature, attestation and referrer the decision read, a Markdown summary, and `SHA256SUMS` over every
/// file; optionally `SHA256SUMS.sigstore.json`, a Sigstore bundle signing the checksum list (and so everything).
public enum EvidencePackage {
    /// The files with fixed names.
    public static let decisionFile = "decision.json"
    /// The scan report.
    public static let scanFile = "scan.json"
    /// The trusted root used by authorities without `trustRootRef`.
    public static let trustedRootFile = "trusted-root.json"
    /// The checksum list (`sha256sum -c` format).
    public static let checksumFile = "SHA256SUMS"
    /// The signature over the checksum list.
    public static let signatureFile = "SHA256SUMS.sigstore.json"
    /// The human summary.
    public static let summaryFile = "SUMMARY.md"
    /// The OCI image layout.
    public static let layoutFolder = "layout"

    // MARK: - Writing

    /// Whether `path` names an archive (`.tar.gz` / `.tgz`) rather than a folder.
    public static func isArchive(_ path: String) -> Bool { path.hasSuffix(".tar.gz") || path.hasSuffix(".tgz") }

    /// Writes the package for `run` into the folder `destination` (created; it must not exist or be empty), or
    /// into the archive `destination` when it ends in `.tar.gz` / `.tgz`. `recording` is the source the gate read
    /// through.
    public static func write(run: GateRun, gate: Gate, recording: RecordingSource, commandLine: [String],
                             to destination: String, signingKey: SigningKey? = nil) throws(ImageGateError) {
        do {
            guard isArchive(destination) else {
                try writeUnchecked(run: run, gate: gate, recording: recording, commandLine: commandLine, to: destination,
                                   signingKey: signingKey)
                return
            }
            guard !FileManager.default.fileExists(atPath: destination) else {
                throw ImageGateError(.evidenceWriteFailed, "\(destination) exists; give a new file for the evidence", file: destination)
            }
            let folder = NSTemporaryDirectory() + "/verify-image-evidence-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try writeUnchecked(run: run, gate: gate, recording: recording, commandLine: commandLine, to: folder,
                               signingKey: signingKey)
            let files = try self.files(under: folder).map { ($0, try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0))) }
            try TarGzip.archive(files).write(to: URL(fileURLWithPath: destination))
        } catch let error as ImageGateError {
            throw error
        } catch {
            throw ImageGateError(.evidenceWriteFailed, "cannot write the evidence package \(destination): \(error)", file: destination)
        }
    }

    private static func writeUnchecked(run: GateRun, gate: Gate, recording: RecordingSource, commandLine: [String],
                                       to destination: String, signingKey: SigningKey?) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: destination), !((try? fm.contentsOfDirectory(atPath: destination))?.isEmpty ?? false) {
            throw ImageGateError(.evidenceWriteFailed, "\(destination) exists and is not empty; give a new folder for the evidence", file: destination)
        }
        try fm.createDirectory(atPath: destination, withIntermediateDirectories: true)
        func put(_ relative: String, _ data: Data) throws {
            let path = destination + "/" + relative
            try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: path))
        }
        // Policies as used.
        var policyFiles: [EvidenceRecord.PolicyFile] = []
        for (index, file) in gate.policies.files.enumerated() {
            let stored = String(format: "policies/%02d-", index + 1) + (file.path as NSString).lastPathComponent
            try put(stored, file.bytes)
            policyFiles.append(.init(path: file.path, stored: stored))
        }
        try put(trustedRootFile, gate.options.trustedRootJSON ?? TrustedRoot.productionJSON)
        try put(scanFile, Data(run.scan.json(failOn: gate.options.failOn).utf8))
        // The layout: every manifest and blob read, tag resolutions as ref.name entries.
        let recorded = recording.recorded()
        try put(layoutFolder + "/oci-layout", Data("{\"imageLayoutVersion\":\"1.0.0\"}".utf8))
        var entries: [Descriptor] = []
        for manifest in recorded.manifests {
            try put("\(layoutFolder)/blobs/\(manifest.digest.algorithm)/\(manifest.digest.encoded)", Data(manifest.bytes))
            entries.append(Descriptor(mediaType: manifest.mediaType, digest: manifest.digest, size: Int64(manifest.bytes.count)))
        }
        for (digest, bytes) in recorded.blobs {
            try put("\(layoutFolder)/blobs/\(digest.algorithm)/\(digest.encoded)", Data(bytes))
        }
        for (name, descriptor) in recorded.tags {
            var entry = Descriptor(mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size)
            entry.annotations = [Descriptor.refNameAnnotation: name]
            entries.append(entry)
        }
        let index = ["schemaVersion": 2, "mediaType": MediaType.ociIndex.rawValue,
                     "manifests": try entries.map { try JSONSerialization.jsonObject(with: JSONEncoder().encode($0)) }] as [String: Any]
        try put(layoutFolder + "/index.json", try JSONSerialization.data(withJSONObject: index, options: [.sortedKeys, .withoutEscapingSlashes]))
        // The decision.
        let record = EvidenceRecord(version: ImageGateVersion.current, commandLine: commandLine,
                                    failOn: gate.options.failOn.map(\.rawValue).sorted(), noMatch: gate.options.noMatch.rawValue,
                                    policyFiles: policyFiles, report: run.report)
        try put(decisionFile, Data((try ContractJSON.encode(record) + "\n").utf8))
        try put(summaryFile, Data(summary(record).utf8))
        // Checksums over every file, then the signature over the checksums.
        let sums = try checksums(of: destination)
        let list = sums.map { "\($0.value)  \($0.key)\n" }.joined()
        try put(checksumFile, Data(list.utf8))
        if let signingKey {
            try put(signatureFile, try EvidenceSignature.bundle(signing: Data(list.utf8), with: signingKey))
        }
    }

    /// SHA-256 of every regular file under `root` except the checksum list and its signature, by relative path.
    static func checksums(of root: String) throws -> [(key: String, value: String)] {
        var out: [(String, String)] = []
        for relative in try files(under: root) where relative != checksumFile && relative != signatureFile {
            out.append((relative, try HashAlgorithm.sha256.hashFile(atPath: root + "/" + relative).hexString))
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// Every entry under `root`, relative, sorted; anything but a regular file or folder is an error naming it.
    static func files(under root: String) throws -> [String] {
        let fm = FileManager.default
        guard let enumerator = fm.enumerator(atPath: root) else {
            throw ImageGateError(.evidenceInvalid, "\(root) cannot be read as a folder", file: root)
        }
        var out: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let attributes = try fm.attributesOfItem(atPath: root + "/" + relative)
            let type = attributes[.type] as? FileAttributeType
            if type == .typeDirectory { continue }
            guard type == .typeRegular else {
                throw ImageGateError(.evidenceTampered, "\(relative) is not a regular file (\(type?.rawValue ?? "?")); an evidence package holds only files", file: relative)
            }
            out.append(relative)
        }
        return out.sorted()
    }

    static func summary(_ record: EvidenceRecord) -> String {
        let report = record.report
        var out = "# Gate decision: \(report.decision.rawValue.uppercased())\n\n"
        out += "- decided at \(report.verifiedAt) by verify-image \(record.version)\n"
        out += "- command: `\(record.commandLine.joined(separator: " "))`\n"
        out += "- \(report.summary.images) images in \(report.summary.files) files: \(report.summary.passed) pass, \(report.summary.failed) fail, \(report.summary.indeterminate) indeterminate\n"
        out += "- policies: " + report.policies.map { "`\($0.name)` (\($0.file):\($0.line), \($0.mode))" }.joined(separator: ", ") + "\n\n"
        out += "| image | pin | decision | evidence |\n|---|---|---|---|\n"
        for image in report.images {
            let evidence = image.policies.map { policy in
                "\(policy.policy): \(policy.decision.rawValue)" + (policy.passedBy.map { " by \($0)" } ?? "")
            }.joined(separator: "; ")
            let cell = image.decision == .pass ? evidence : (image.message ?? evidence)
            out += "| `\(image.image)` | \(image.status) | \(image.decision.rawValue) | \(cell.replacingOccurrences(of: "|", with: "\\|")) |\n"
        }
        out += "\nRe-check offline: `verify-image gate verify-evidence <this folder>` (checksums, then every verification again from `layout/` at the recorded time).\n"
        return out
    }

    // MARK: - Verifying

    /// What re-verifying a package found.
    public struct Verification: Sendable {
        /// The recorded decision (reproduced).
        public let record: EvidenceRecord
        /// The decision made again from the package.
        public let reproduced: GateReport
        /// Whether the checksum list was signed and the signature verified with the key given.
        public let signature: String
        /// How many files the checksums covered.
        public let files: Int
    }

    /// Re-verifies the package at `path` — a folder, or a `.tar.gz` / `.tgz` archive of one — offline (see
    /// ``verify(folder:key:)``).
    public static func verify(path: String, key: PublicKey?) async throws(ImageGateError) -> Verification {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ImageGateError(.evidenceInvalid, "\(path): no such evidence folder or archive", file: path)
        }
        if isDirectory.boolValue { return try await verify(folder: path, key: key) }
        let folder = NSTemporaryDirectory() + "/verify-image-evidence-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ImageGateError(.evidenceInvalid, "\(path) cannot be read", file: path)
            }
            for (relative, bytes) in try TarGzip.extract(data) {
                let target = folder + "/" + relative
                try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true)
                try bytes.write(to: URL(fileURLWithPath: target))
            }
        } catch let error as ImageGateError {
            throw error
        } catch {
            throw ImageGateError(.evidenceTampered, "\(path) is not an intact evidence archive: \(error)", file: path)
        }
        return try await verify(folder: folder, key: key)
    }

    /// Re-verifies the package in folder `path` offline: every checksum (a changed, missing or added file fails,
    /// named), the signature when a key is given, then the decision again from the package's own layout, policies
    /// and trusted root at the recorded time; it must equal the recorded one image by image, policy by policy.
    public static func verify(folder path: String, key: PublicKey?) async throws(ImageGateError) -> Verification {
        let fm = FileManager.default
        func read(_ relative: String) throws(ImageGateError) -> Data {
            guard let data = fm.contents(atPath: path + "/" + relative) else {
                throw ImageGateError(.evidenceTampered, "\(relative) is missing from the evidence package", file: relative)
            }
            return data
        }
        // 1. Checksums first: nothing else is read before the bytes are known to be the recorded ones.
        let listText = String(decoding: try read(checksumFile), as: UTF8.self)
        var listed: [String: String] = [:]
        for line in listText.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 64 else {
                throw ImageGateError(.evidenceTampered, "\(checksumFile) has a malformed line: \(line.prefix(80))", file: checksumFile)
            }
            listed[String(parts[1].drop { $0 == " " || $0 == "*" })] = String(parts[0])
        }
        let present: [(key: String, value: String)]
        do { present = try checksums(of: path) } catch let error as ImageGateError { throw error } catch {
            throw ImageGateError(.evidenceInvalid, "cannot read \(path): \(error)", file: path)
        }
        var problems: [String] = []
        var firstFile: String?
        for (relative, digest) in present {
            if let expected = listed[relative] {
                if expected != digest {
                    problems.append("\(relative) does not match \(checksumFile) (its sha256 is \(digest); \(checksumFile) records \(expected))")
                    firstFile = firstFile ?? relative
                }
            } else {
                problems.append("\(relative) was added (not in \(checksumFile))"); firstFile = firstFile ?? relative
            }
        }
        let presentNames = Set(present.map(\.key))
        for relative in listed.keys.sorted() where !presentNames.contains(relative) {
            problems.append("\(relative) is missing"); firstFile = firstFile ?? relative
        }
        if !problems.isEmpty {
            throw ImageGateError(.evidenceTampered, "the evidence package is not intact: " + problems.joined(separator: "; "), file: firstFile)
        }
        // 2. The signature over the checksum list.
        var signature = "unsigned"
        let signed = fm.fileExists(atPath: path + "/" + signatureFile)
        if let key {
            guard signed else {
                throw ImageGateError(.evidenceSignatureInvalid, "a key was given but the package has no \(signatureFile)", file: signatureFile)
            }
            try EvidenceSignature.verify(bundle: try read(signatureFile), message: Data(listText.utf8), key: key)
            signature = "signature verified with key \(key.keyID.prefix(16))…"
        } else if signed {
            signature = "signed; give --key to check the signature"
        }
        // 3. The decision again, from the package alone.
        let record: EvidenceRecord
        do {
            record = try JSONDecoder().decode(EvidenceRecord.self, from: try read(decisionFile))
        } catch let error as ImageGateError { throw error } catch {
            throw ImageGateError(.evidenceInvalid, "\(decisionFile) is not a decision record: \(error)", file: decisionFile)
        }
        var files: [PolicySet.SourceFile] = []
        for file in record.policyFiles { files.append(.init(path: file.path, bytes: try read(file.stored))) }
        let policies: PolicySet
        do { policies = try PolicySet.load(files: files) } catch {
            throw ImageGateError(.evidenceInvalid, "the recorded policies do not load: \(error)", file: record.policyFiles.first?.stored)
        }
        var options = GateOptions()
        options.trustedRootJSON = try read(trustedRootFile)
        options.failOn = Set(record.failOn.compactMap(PinStatus.init(rawValue:)))
        options.noMatch = GateOptions.NoMatch(rawValue: record.noMatch) ?? .deny
        let source: OCILayoutSource
        do { source = try OCILayoutSource(path: path + "/" + layoutFolder) } catch {
            throw ImageGateError(.evidenceInvalid, "\(layoutFolder)/ is not an OCI layout: \(error)", file: layoutFolder)
        }
        let gate = try Gate(policies: policies, source: source, options: options)
        let findings = try recordedFindings(try read(scanFile))
        guard let time = ISO8601DateFormatter().date(from: record.report.verifiedAt) else {
            throw ImageGateError(.evidenceInvalid, "\(decisionFile) has no valid verifiedAt", file: decisionFile)
        }
        let reproduced = await gate.decide(findings: findings, filesScanned: record.report.summary.files, at: time)
        if let difference = firstDifference(record.report, reproduced) {
            throw ImageGateError(.evidenceNotReproduced, "re-verifying the package does not reproduce the recorded decision: \(difference)", file: decisionFile)
        }
        return Verification(record: record, reproduced: reproduced, signature: signature, files: present.count)
    }

    /// The findings of a scan report's JSON (`scan.json`).
    static func recordedFindings(_ data: Data) throws(ImageGateError) -> [Finding] {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let list = root["findings"] as? [[String: Any]] else {
            throw ImageGateError(.evidenceInvalid, "\(scanFile) is not a scan report", file: scanFile)
        }
        var findings: [Finding] = []
        for item in list {
            guard let file = item["file"] as? String, let line = item["line"] as? Int, let image = item["image"] as? String,
                  let statusText = item["status"] as? String, let status = PinStatus(rawValue: statusText) else {
                throw ImageGateError(.evidenceInvalid, "\(scanFile) has a finding without file, line, image or status", file: scanFile)
            }
            findings.append(Finding(file: file, line: line, column: item["column"] as? Int ?? 0,
                                    yamlPath: item["yamlPath"] as? String ?? "", image: image,
                                    reference: item["reference"] as? String, status: status,
                                    document: item["document"] as? Int ?? 0, object: item["object"] as? String,
                                    note: item["note"] as? String, errorCode: item["errorCode"] as? String))
        }
        return findings
    }

    /// Where two reports' decisions differ (overall, per image, per policy, per authority), or nil.
    static func firstDifference(_ recorded: GateReport, _ again: GateReport) -> String? {
        if recorded.decision != again.decision { return "decision \(again.decision.rawValue), recorded \(recorded.decision.rawValue)" }
        guard recorded.images.count == again.images.count else { return "\(again.images.count) images, recorded \(recorded.images.count)" }
        for (a, b) in zip(recorded.images, again.images) {
            if a.image != b.image || a.decision != b.decision || a.digest != b.digest {
                return "\(a.image): \(b.decision.rawValue), recorded \(a.decision.rawValue)"
            }
            guard a.policies.count == b.policies.count else { return "\(a.image): policies differ" }
            for (p, q) in zip(a.policies, b.policies) {
                if p.policy != q.policy || p.decision != q.decision || p.passedBy != q.passedBy {
                    return "\(a.image) × \(p.policy): \(q.decision.rawValue), recorded \(p.decision.rawValue)"
                }
                for (x, y) in zip(p.authorities, q.authorities) where x.decision != y.decision {
                    return "\(a.image) × \(p.policy) authority \(x.name): \(y.decision.rawValue), recorded \(x.decision.rawValue)"
                }
            }
        }
        return nil
    }
}
