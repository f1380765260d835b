import Foundation

/// The output formats of a scan report.
public enum ScanOutputFormat: String, Sendable, CaseIterable {
    /// `file:line: path: image — status`, grouped by file, then a summary.
    case text
    /// `{"schemaVersion":1,"findings":[…],"summary":{…}}` (docs/ARCHITECTURE.md).
    case json
    /// SARIF 2.1.0, as GitHub code scanning accepts it.
    case sarif
}

/// Counts of a scan: what the summary of every output format is made of.
public struct ScanTally: Sendable, Hashable {
    /// Files scanned (archive entries count one each).
    public var files = 0
    /// Bytes read from disk or standard input.
    public var bytes = 0
    /// Bytes of YAML/JSON text parsed, archive entries counted decompressed.
    public var textBytes = 0
    /// Findings per status.
    public var byStatus: [PinStatus: Int] = [:]
    /// With `--verify`: findings whose signature verdict was pass, fail, indeterminate.
    public var verified = 0, verificationFailed = 0, verificationIndeterminate = 0
    /// With `--resolve`: digests the registry could not answer for (the scan cannot pass then).
    public var resolutionUndecided = 0

    /// Creates an empty tally.
    public init() {}

    /// All findings.
    public var findings: Int { byStatus.values.reduce(0, +) }
    /// Findings whose status is `pinned`.
    public var pinned: Int { byStatus[.pinned] ?? 0 }

    /// Findings whose status is in `failOn`.
    public func failing(_ failOn: Set<PinStatus>) -> Int {
        failOn.reduce(0) { $0 + (byStatus[$1] ?? 0) }
    }

    /// 1 when a finding's status is in `failOn` or a verified image failed its signature check; else 2 when a
    /// verification or a digest lookup could not decide; else 0.
    public func exitStatus(failOn: Set<PinStatus>) -> Int32 {
        if failing(failOn) > 0 || verificationFailed > 0 { return 1 }
        return verificationIndeterminate > 0 || resolutionUndecided > 0 ? 2 : 0
    }

    /// Adds findings to the counts.
    public mutating func add(_ findings: [Finding]) {
        for f in findings {
            byStatus[f.status, default: 0] += 1
            switch f.verification?.decision {
            case "pass"?: verified += 1
            case "fail"?: verificationFailed += 1
            case .some: verificationIndeterminate += 1
            case nil: break
            }
        }
    }
}

/// Writes a scan report in one of the output formats as findings arrive, so memory does not grow with the output:
/// `write` findings in order (files grouped), then `finish` with the tally.
public final class ScanReportWriter {
    private let format: ScanOutputFormat
    private let failOn: Set<PinStatus>
    private let sink: (String) -> Void
    private var started = false
    private var firstItem = true
    private var currentFile: String? = nil

    /// Creates a writer that hands text to `sink` in pieces.
    public init(format: ScanOutputFormat, failOn: Set<PinStatus> = PinStatus.defaultFailing,
                sink: @escaping (String) -> Void) {
        self.format = format
        self.failOn = failOn
        self.sink = sink
    }

    private func begin() {
        guard !started else { return }
        started = true
        switch format {
        case .text: break
        case .json: sink("{\"schemaVersion\":1,\"findings\":[")
        case .sarif: sink(sarifHeader())
        }
    }

    /// Writes findings (in scan order).
    public func write(_ findings: [Finding]) {
        begin()
        var out = ""
        for f in findings {
            switch format {
            case .text: out += textLine(f)
            case .json:
                if !firstItem { out += "," }
                firstItem = false
                out += jsonFinding(f)
            case .sarif:
                guard f.status != .pinned || f.verification.map({ !$0.passed }) == true, let result = sarifResult(f) else { continue }
                if !firstItem { out += "," }
                firstItem = false
                out += result
            }
        }
        if !out.isEmpty { sink(out) }
    }

    /// Writes the summary and closes the document.
    public func finish(_ tally: ScanTally) {
        begin()
        switch format {
        case .text: sink(textSummary(tally))
        case .json: sink(jsonSummary(tally))
        case .sarif: sink("]}]}\n")
        }
    }

    // MARK: text

    private func textLine(_ f: Finding) -> String {
        var out = ""
        if f.file != currentFile {
            if currentFile != nil { out += "\n" }
            out += "\(f.file)\n"
            currentFile = f.file
        }
        let object = f.object.map { "[\($0)] " } ?? ""
        let path = f.yamlPath.isEmpty ? "" : "\(object)\(f.yamlPath): "
        let image = f.status == .error ? "" : (f.image.isEmpty ? "(empty) " : "\(f.image) ")
        let mark = failOn.contains(f.status) || f.verification.map({ !$0.passed }) == true ? "✗" : "✓"
        out += "  \(mark) \(f.file):\(f.line): \(path)\(image)— \(f.status.rawValue)"
        if let note = f.note { out += " (\(note))" }
        if let v = f.verification {
            out += v.passed ? "; signature verified" : "; signature \(v.decision.uppercased())"
            if !v.reasons.isEmpty { out += " [\(v.reasons.joined(separator: ", "))]" }
            if !v.passed, let message = v.message { out += ": \(message)" }
        }
        return out + "\n"
    }

    private func textSummary(_ t: ScanTally) -> String {
        var out = currentFile == nil ? "" : "\n"
        let failing = t.failing(failOn)
        let parts = PinStatus.allCases.compactMap { s in t.byStatus[s].flatMap { $0 > 0 ? "\($0) \(s.rawValue)" : nil } }
        out += "\(t.findings) image finding\(t.findings == 1 ? "" : "s") in \(t.files) file\(t.files == 1 ? "" : "s")"
        out += parts.isEmpty ? "" : ": " + parts.joined(separator: ", ")
        out += "\n"
        let checked = t.verified + t.verificationFailed + t.verificationIndeterminate
        if checked > 0 {
            out += "signatures: \(t.verified) verified, \(t.verificationFailed) failed, \(t.verificationIndeterminate) indeterminate\n"
        }
        out += failing == 0 ? (t.findings == 0 ? "PASS: no image references found\n" : "PASS: every image is pinned by digest\n")
            : "FAIL: \(failing) finding\(failing == 1 ? "" : "s") not pinned (fail-on: \(failOn.map(\.rawValue).sorted().joined(separator: ",")))\n"
        if t.verificationFailed > 0 { out += "FAIL: \(t.verificationFailed) pinned image\(t.verificationFailed == 1 ? "" : "s") failed signature verification\n" }
        return out
    }

    // MARK: JSON

    private func jsonFinding(_ f: Finding) -> String {
        var out = "{\"file\":\(jsonString(f.file)),\"line\":\(f.line),\"column\":\(f.column)"
        out += ",\"yamlPath\":\(jsonString(f.yamlPath)),\"image\":\(jsonString(f.image))"
        out += ",\"reference\":\(f.reference.map(jsonString) ?? "null"),\"status\":\(jsonString(f.status.rawValue))"
        out += ",\"pinned\":\(f.pinned),\"document\":\(f.document)"
        if let o = f.object { out += ",\"object\":\(jsonString(o))" }
        if let n = f.note { out += ",\"note\":\(jsonString(n))" }
        if let c = f.errorCode { out += ",\"errorCode\":\(jsonString(c))" }
        if let v = f.verification {
            out += ",\"verification\":{\"decision\":\(jsonString(v.decision)),\"reasons\":["
            out += v.reasons.map(jsonString).joined(separator: ",") + "]"
            if let m = v.message { out += ",\"message\":\(jsonString(m))" }
            out += "}"
        }
        return out + "}"
    }

    private func jsonSummary(_ t: ScanTally) -> String {
        let failing = t.failing(failOn)
        var out = "],\"summary\":{\"files\":\(t.files),\"bytes\":\(t.bytes),\"textBytes\":\(t.textBytes)"
        out += ",\"findings\":\(t.findings),\"pinned\":\(t.pinned),\"notPinned\":\(t.findings - t.pinned)"
        out += ",\"failing\":\(failing),\"byStatus\":{"
        out += PinStatus.allCases.map { "\(jsonString($0.rawValue)):\(t.byStatus[$0] ?? 0)" }.joined(separator: ",")
        out += "},\"failOn\":[" + failOn.map(\.rawValue).sorted().map(jsonString).joined(separator: ",") + "]"
        if t.verified + t.verificationFailed + t.verificationIndeterminate > 0 {
            out += ",\"verification\":{\"pass\":\(t.verified),\"fail\":\(t.verificationFailed),\"indeterminate\":\(t.verificationIndeterminate)}"
        }
        out += ",\"passed\":\(failing == 0 && t.verificationFailed == 0 && t.verificationIndeterminate == 0)}}\n"
        return out
    }

    // MARK: SARIF

    private static let rules: [(PinStatus, String, String)] = [
        (.tag, "image-tag-not-digest", "Image uses a tag, not a digest"),
        (.implicitLatest, "image-implicit-latest", "Image has neither tag nor digest (pulls :latest)"),
        (.malformedDigest, "image-malformed-digest", "Image digest is malformed"),
        (.placeholderDigest, "image-placeholder-digest", "Image digest is an obvious placeholder"),
        (.digestNotFound, "image-digest-not-found", "Image digest does not exist in its repository (scan --resolve)"),
        (.templated, "image-templated", "Image is a template expression; render the chart to check it"),
        (.inherited, "image-inherited", "Image repository is empty and falls back to another image"),
        (.error, "scan-error", "File could not be scanned"),
        (.pinned, "image-signature-not-verified", "Pinned image whose signatures do not satisfy the policy (scan --verify)"),
    ]

    private func sarifHeader() -> String {
        var out = "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{"
        out += "\"tool\":{\"driver\":{\"name\":\"verify-image\""
        out += ",\"rules\":["
        out += Self.rules.map { status, id, text in
            "{\"id\":\(jsonString(id)),\"name\":\(jsonString(id)),\"shortDescription\":{\"text\":\(jsonString(text))}"
                + ",\"fullDescription\":{\"text\":\(jsonString(status == .pinned ? text + ". Sign the image, or fix the policy flags." : text + " (status \(status.rawValue)). Pin images by digest: name@sha256:<64 hex>."))}"
                + ",\"defaultConfiguration\":{\"level\":\"\(failOn.contains(status) || status == .pinned ? "error" : "warning")\"}"
                + ",\"properties\":{\"tags\":[\"security\",\"supply-chain\"]}}"
        }.joined(separator: ",")
        return out + "]}},\"results\":["
    }

    /// One SARIF result; findings inside archives point at the archive file and name the entry in the message.
    private func sarifResult(_ f: Finding) -> String? {
        guard let index = Self.rules.firstIndex(where: { $0.0 == f.status }) else { return nil }
        let id = Self.rules[index].1
        let parts = f.file.split(separator: "!", maxSplits: 1)
        let artifact = String(parts.first ?? "")
        let inArchive = parts.count > 1 ? " in \(f.file)" : ""
        var message: String
        if f.status == .error {
            message = "Could not scan \(f.file): \(f.note ?? "error")"
        } else {
            let subject = f.image.isEmpty ? f.yamlPath : f.image
            if f.status == .pinned, let v = f.verification {
                message = "\(subject) at \(f.yamlPath)\(inArchive) is pinned, but its signature verification says \(v.decision)"
                if !v.reasons.isEmpty { message += " [\(v.reasons.joined(separator: ", "))]" }
                if let m = v.message { message += ": \(m)" }
            } else {
                message = "\(subject) at \(f.yamlPath)\(inArchive) is \(f.status.rawValue)"
                if let note = f.note { message += " (\(note))" }
            }
        }
        var uri = artifact == "-" ? "stdin" : artifact
        while uri.hasPrefix("./") { uri.removeFirst(2) }
        if uri.hasPrefix("/") { uri = "file://" + uri }
        let line = parts.count > 1 ? 1 : max(1, f.line)
        var out = "{\"ruleId\":\(jsonString(id)),\"ruleIndex\":\(index)"
        out += ",\"level\":\"\(failOn.contains(f.status) ? "error" : "warning")\""
        out += ",\"message\":{\"text\":\(jsonString(message))}"
        out += ",\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\(jsonString(uri))}"
        out += ",\"region\":{\"startLine\":\(line)"
        if parts.count == 1, f.column > 0 { out += ",\"startColumn\":\(f.column)" }
        out += "}}"
        if !f.yamlPath.isEmpty {
            out += ",\"logicalLocations\":[{\"fullyQualifiedName\":\(jsonString(f.file + "#" + f.yamlPath))}]"
        }
        out += "}],\"partialFingerprints\":{\"imageFinding/v1\":\(jsonString(fingerprint(f)))}}"
        return out
    }

    /// A stable fingerprint of a finding (FNV-1a of file, path, image, status), so code scanning can track it.
    private func fingerprint(_ f: Finding) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in "\(f.file)\u{0}\(f.yamlPath)\u{0}\(f.image)\u{0}\(f.status.rawValue)".utf8 {
            hash ^= UInt64(b)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

extension ScanReport {
    /// The counts of this report.
    public var tally: ScanTally {
        var t = ScanTally()
        t.files = filesScanned
        t.bytes = bytesScanned
        t.textBytes = textBytes
        t.add(findings)
        return t
    }

    /// Encodes the report in `format`; `failOn` decides the summary's failing count and SARIF levels.
    public func encoded(_ format: ScanOutputFormat, failOn: Set<PinStatus> = PinStatus.defaultFailing) -> String {
        var out = ""
        let writer = ScanReportWriter(format: format, failOn: failOn) { out += $0 }
        writer.write(findings)
        writer.finish(tally)
        return out
    }

    /// Human-readable report: findings grouped by file, then a summary line per status.
    public func text(failOn: Set<PinStatus> = PinStatus.defaultFailing) -> String { encoded(.text, failOn: failOn) }

    /// The JSON contract: `{"schemaVersion":1,"findings":[{file,line,column,yamlPath,image,reference,status,pinned,…}],"summary":{…}}`.
    public func json(failOn: Set<PinStatus> = PinStatus.defaultFailing) -> String { encoded(.json, failOn: failOn) }

    /// SARIF 2.1.0: one rule per non-pinned status, one result per finding that is not pinned (level `error` when
    /// its status is in `failOn`, else `warning`).
    public func sarif(failOn: Set<PinStatus> = PinStatus.defaultFailing) -> String { encoded(.sarif, failOn: failOn) }
}

/// A JSON string literal (quotes, backslashes and control characters escaped); shared with the admission server's
/// JSON log lines.
public func jsonString(_ s: String) -> String {
    var out = "\""
    out.reserveCapacity(s.utf8.count + 2)
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                out += String(format: "\\u%04x", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
