import Foundation

/// Output formats the CLI offers.
public enum OutputFormat: String, Sendable, CaseIterable {
    /// For people.
    case text
    /// For machines: the JSON contracts of ARCHITECTURE.md.
    case json
    /// SARIF 2.1.0 (scan only).
    case sarif
}

/// The one JSON style of every document the tool prints: pretty, keys sorted, slashes unescaped, dates RFC 3339.
public enum ContractJSON {
    /// Encodes a value as the tool prints it (a trailing newline is not included).
    public static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Formats a time as RFC 3339 in UTC, to the second (`2024-05-01T12:00:00Z`).
    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}

extension Verdict {
    /// The human rendering, modelled on cosign's: per subject a headline, the checks that were performed, then
    /// each signature with what it was checked against, and for a refusal the reasons with the fix.
    public func renderText() -> String {
        var out = ""
        for subject in subjects {
            out += subject.renderText()
        }
        if subjects.count > 1 {
            let counts = Dictionary(grouping: subjects, by: \.decision).mapValues(\.count)
            out += "\(subjects.count) subjects: \(counts[.pass] ?? 0) pass, \(counts[.fail] ?? 0) fail, "
                + "\(counts[.indeterminate] ?? 0) indeterminate\n"
        }
        return out
    }
}

extension SubjectVerdict {
    /// The human rendering of one subject.
    public func renderText() -> String {
        var out = ""
        let what = digest.map { reference.hasSuffix($0) ? reference : "\(reference) (\($0))" } ?? reference
        switch decision {
        case .pass: out += "Verification for \(what) --\n"
        case .fail: out += "Verification FAILED for \(what)\n"
        case .indeterminate: out += "Verification INDETERMINATE for \(what): could not decide\n"
        }
        let passedChecks = checks.filter(\.passed) + (signatures.first(where: \.verified)?.checks.filter(\.passed) ?? [])
        if decision == .pass, !passedChecks.isEmpty {
            out += "The following checks were performed on each of these signatures:\n"
            for check in passedChecks { out += "  - \(check.detail)\n" }
        }
        for check in checks where !check.passed {
            out += "  ✗ \(check.detail)\(check.reason.map { " [\($0)]" } ?? "")\n"
        }
        for (index, signature) in signatures.enumerated() {
            let mark = signature.verified ? "✓" : "✗"
            var line = "  \(mark) \(signature.kind) \(index + 1) (\(signature.source))"
            if let keyID = signature.keyID { line += " key \(keyID.prefix(16))…" }
            if let identity = signature.certificateIdentity { line += " identity \(identity)" }
            if let issuer = signature.certificateIssuer { line += " issuer \(issuer)" }
            if let index = signature.tlogIndex { line += " tlog index \(index)" }
            if let time = signature.integratedTime { line += " integrated \(time)" }
            if let type = signature.predicateType { line += " predicate \(type)" }
            out += line + "\n"
            if !signature.verified {
                for check in signature.checks where !check.passed {
                    out += "      ✗ \(check.detail)\(check.reason.map { " [\($0)]" } ?? "")\n"
                }
            }
        }
        for message in messages { out += "  \(message)\n" }
        if !reasons.isEmpty { out += "  reasons: \(reasons.map(\.rawValue).joined(separator: ", "))\n" }
        return out
    }
}
