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

extension ScanReport {
    /// Encodes the report in `format`; `failOn` decides the summary's failing count and SARIF levels.
    public func encoded(_ format: ScanOutputFormat, failOn: Set<PinStatus> = PinStatus.defaultFailing) -> String {
        switch format {
        case .text: return text(failOn: failOn)
        case .json: return json(failOn: failOn)
        case .sarif: return sarif(failOn: failOn)
        }
    }

    /// Human-readable report: findings grouped by file, then a summary line per status.
    public func text(failOn: Set<PinStatus> = PinStatus.defaultFailing) -> String {
        var out = ""
        var currentFile: String? = nil
        for f in findings {
            if f.file != currentFile {
                if currentFile != nil { out += "\n" }
                out += "\(f.file)\n"
                currentFile = f.file
            }
            let object = f.object.map { "[\($0)] " } ?? ""
            let path = f.yamlPath.isEmpty ? "" : "\(object)\(f.yamlPath): "
            let image = f.status == .error ? "" : (f.image.isEmpty ? "(empty) " : "\(f.image) ")
            let mark = failOn.contains(f.status) ? "✗" : "✓"
            out += "  \(mark) \(f.file):\(f.line): \(path)\(image)— \(f.status.rawValue)"
            if let note = f.note { out += " (\(note))" }
            out += "\n"
        }
        if !findings.isEmpty { out += "\n" }
        let counts = countsByStatus
        let failing = findings.filter { failOn.contains($0.status) }.count
        let parts = PinStatus.allCases.compactMap { s in counts[s].flatMap { $0 > 0 ? "\($0) \(s.rawValue)" : nil } }
        out += "\(findings.count) image finding\(findings.count == 1 ? "" : "s") in \(filesScanned) file\(filesScanned == 1 ? "" : "s")"
        out += parts.isEmpty ? "" : ": " + parts.joined(separator: ", ")
        out += "\n"
        out += failing == 0 ? "PASS: every image is pinned by digest\n"
            : "FAIL: \(failing) finding\(failing == 1 ? "" : "s") not pinned (fail-on: \(failOn.map(\.rawValue).sorted().joined(separator: ",")))\n"
        return out
    }

    /// The JSON contract: `{"schemaVersion":1,"findings":[{file,line,column,yamlPath,image,reference,status,pinned,…}],"summary":{…}}`.
    public func json(failOn: Set<PinStatus> = PinStatus.defaultFailing) -> String {
        var out = "{\"schemaVersion\":1,\"findings\":["
        for (i, f) in findings.enumerated() {
            if i > 0 { out += "," }
            out += "{\"file\":\(jsonString(f.file)),\"line\":\(f.line),\"column\":\(f.column)"
            out += ",\"yamlPath\":\(jsonString(f.yamlPath)),\"image\":\(jsonString(f.image))"
            out += ",\"reference\":\(f.reference.map(jsonString) ?? "null"),\"status\":\(jsonString(f.status.rawValue))"
            out += ",\"pinned\":\(f.pinned),\"document\":\(f.document)"
            if let o = f.object { out += ",\"object\":\(jsonString(o))" }
            if let n = f.note { out += ",\"note\":\(jsonString(n))" }
            if let c = f.errorCode { out += ",\"errorCode\":\(jsonString(c))" }
            out += "}"
        }
        let counts = countsByStatus
        let failing = findings.filter { failOn.contains($0.status) }.count
        out += "],\"summary\":{\"files\":\(filesScanned),\"bytes\":\(bytesScanned),\"findings\":\(findings.count)"
        out += ",\"pinned\":\(counts[.pinned] ?? 0),\"notPinned\":\(findings.count - (counts[.pinned] ?? 0))"
        out += ",\"failing\":\(failing),\"byStatus\":{"
        out += PinStatus.allCases.map { "\(jsonString($0.rawValue)):\(counts[$0] ?? 0)" }.joined(separator: ",")
        out += "},\"failOn\":[" + failOn.map(\.rawValue).sorted().map(jsonString).joined(separator: ",") + "]"
        out += ",\"passed\":\(failing == 0)}}\n"
        return out
    }

    /// SARIF 2.1.0: one rule per non-pinned status, one result per finding that is not pinned (level `error` when
    /// its status is in `failOn`, else `warning`). Findings inside archives point at the archive file and name the
    /// entry in the message.
    public func sarif(failOn: Set<PinStatus> = PinStatus.defaultFailing) -> String {
        let rules: [(PinStatus, String, String)] = [
            (.tag, "image-tag-not-digest", "Image uses a tag, not a digest"),
            (.implicitLatest, "image-implicit-latest", "Image has neither tag nor digest (pulls :latest)"),
            (.malformedDigest, "image-malformed-digest", "Image digest is malformed"),
            (.placeholderDigest, "image-placeholder-digest", "Image digest is an obvious placeholder"),
            (.templated, "image-templated", "Image is a template expression; render the chart to check it"),
            (.inherited, "image-inherited", "Image repository is empty and falls back to another image"),
            (.error, "scan-error", "File could not be scanned"),
        ]
        let ruleIndex = Dictionary(uniqueKeysWithValues: rules.enumerated().map { ($1.0, ($0, $1.1)) })
        var out = "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{"
        out += "\"tool\":{\"driver\":{\"name\":\"verify-image\",\"informationUri\":\"https://github.com/image-verifier/image-verifier\""
        out += ",\"rules\":["
        out += rules.map { status, id, text in
            "{\"id\":\(jsonString(id)),\"name\":\(jsonString(id)),\"shortDescription\":{\"text\":\(jsonString(text))}"
                + ",\"fullDescription\":{\"text\":\(jsonString(text + " (status \(status.rawValue)). Pin images by digest: name@sha256:<64 hex>."))}"
                + ",\"defaultConfiguration\":{\"level\":\"\(failOn.contains(status) ? "error" : "warning")\"}"
                + ",\"properties\":{\"tags\":[\"security\",\"supply-chain\"]}}"
        }.joined(separator: ",")
        out += "]}},\"results\":["
        var first = true
        for f in findings where f.status != .pinned {
            guard let (index, id) = ruleIndex[f.status] else { continue }
            if !first { out += "," }
            first = false
            let parts = f.file.split(separator: "!", maxSplits: 1)
            let artifact = String(parts.first ?? "")
            let inArchive = parts.count > 1 ? " in \(f.file)" : ""
            var message: String
            if f.status == .error {
                message = "Could not scan \(f.file): \(f.note ?? "error")"
            } else {
                let subject = f.image.isEmpty ? f.yamlPath : "\(f.image)"
                message = "\(subject) at \(f.yamlPath)\(inArchive) is \(f.status.rawValue)"
                if let note = f.note { message += " (\(note))" }
            }
            var uri = artifact == "-" ? "stdin" : artifact
            while uri.hasPrefix("./") { uri.removeFirst(2) }
            let line = parts.count > 1 ? 1 : max(1, f.line)
            out += "{\"ruleId\":\(jsonString(id)),\"ruleIndex\":\(index)"
            out += ",\"level\":\"\(failOn.contains(f.status) ? "error" : "warning")\""
            out += ",\"message\":{\"text\":\(jsonString(message))}"
            out += ",\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\(jsonString(uri))}"
            out += ",\"region\":{\"startLine\":\(line)"
            if parts.count == 1, f.column > 0 { out += ",\"startColumn\":\(f.column)" }
            out += "}}"
            if !f.yamlPath.isEmpty {
                out += ",\"logicalLocations\":[{\"fullyQualifiedName\":\(jsonString(f.file + "#" + f.yamlPath))}]"
            }
            out += "}]"
            out += ",\"partialFingerprints\":{\"imageFinding/v1\":\(jsonString(fingerprint(f)))}"
            out += "}"
        }
        out += "]}]}\n"
        return out
    }

    /// A stable fingerprint of a finding (FNV-1a of file, path, image), so code scanning can track it.
    private func fingerprint(_ f: Finding) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in "\(f.file)\u{0}\(f.yamlPath)\u{0}\(f.image)\u{0}\(f.status.rawValue)".utf8 {
            hash ^= UInt64(b)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

/// A JSON string literal.
func jsonString(_ s: String) -> String {
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
