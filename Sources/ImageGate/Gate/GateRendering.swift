import Foundation
import GateVerdict

extension GateReport {
    /// The human rendering: grouped by image — where it is used, which policies matched, which authority passed or
    /// why each failed, and the fix — then the decision.
    public func renderText() -> String {
        var out = ""
        for image in images {
            let mark = image.decision == .pass ? "✓" : image.decision == .fail ? "✗" : "?"
            out += "\(mark) \(image.image) — \(image.status)\(image.digest.map { image.image.hasSuffix($0) ? "" : " (\($0))" } ?? "")\n"
            for use in image.uses {
                out += "    used at \(use.file):\(use.line)\(use.object.map { " [\($0)]" } ?? "") \(use.yamlPath)\n"
            }
            for policy in image.policies {
                out += "    policy \(policy.policy) (\(policy.location), \(policy.mode)) matched by \(policy.glob): "
                out += policy.note ?? (policy.decision.rawValue + (policy.passedBy.map { " by authority \($0)" } ?? ""))
                out += "\n"
                // A passing policy needs one authority: show that one; a failing one shows why each failed.
                for authority in policy.authorities where policy.decision != .pass || authority.decision == .pass {
                    let a = authority.decision == .pass ? "✓" : authority.decision == .fail ? "✗" : "?"
                    out += "      \(a) authority \(authority.name) (\(authority.requirement)): \(authority.message)"
                    out += authority.reasons.isEmpty ? "\n" : " [\(authority.reasons.joined(separator: ", "))]\n"
                }
            }
            if image.decision != .pass {
                if let message = image.message { out += "    why: \(message)\n" }
                if let fix = image.fix { out += "    fix: \(fix)\n" }
            }
            for warning in image.warnings { out += "    warning: \(warning)\n" }
        }
        out += "\n\(summary.images) image\(summary.images == 1 ? "" : "s") in \(summary.files) file\(summary.files == 1 ? "" : "s"), "
            + "\(policies.count) polic\(policies.count == 1 ? "y" : "ies"): \(summary.passed) pass, \(summary.failed) fail, "
            + "\(summary.indeterminate) indeterminate\(summary.warnings > 0 ? ", \(summary.warnings) warning\(summary.warnings == 1 ? "" : "s")" : "")\n"
        switch decision {
        case .pass: out += "DECISION: PASS\n"
        case .fail: out += "DECISION: FAIL\n"
        case .indeterminate: out += "DECISION: INDETERMINATE (could not decide; not a pass)\n"
        }
        return out
    }

    /// The JSON contract (`schemaVersion` 1).
    public func renderJSON() throws -> String { try ContractJSON.encode(self) + "\n" }

    /// JUnit XML for CI dashboards: one test suite per policy (plus `pinning` and `no-policy`), one test case per
    /// image × policy; a failure is `<failure>`, an indeterminate outcome `<error>`, a `mode: warn` failure passes
    /// with `<system-out>`.
    public func renderJUnit() -> String {
        struct Case { var name: String; var classname: String; var decision: Decision; var message: String; var detail: String; var warn: Bool }
        var suites: [(String, [Case])] = []
        func add(_ suite: String, _ testCase: Case) {
            if let index = suites.firstIndex(where: { $0.0 == suite }) { suites[index].1.append(testCase) } else { suites.append((suite, [testCase])) }
        }
        for image in images {
            let location = image.uses.first.map { "\($0.file):\($0.line) \($0.yamlPath)" } ?? ""
            if image.reasons.contains(GateReason.notDigestPinned) || image.reasons.contains(GateReason.scanError) {
                add("pinning", Case(name: image.image, classname: "pinning", decision: .fail,
                                    message: image.message ?? image.status, detail: "\(location)\nfix: \(image.fix ?? "")", warn: false))
            }
            if image.policies.isEmpty && image.reasons.contains(GateReason.noPolicyMatched) {
                add("no-policy", Case(name: image.image, classname: "no-policy", decision: .fail,
                                      message: image.message ?? "", detail: "\(location)\nfix: \(image.fix ?? "")", warn: false))
            }
            for policy in image.policies {
                let detail = policy.authorities.map { "\($0.name): \($0.decision.rawValue) — \($0.message)" }.joined(separator: "\n")
                add(policy.policy, Case(name: "\(image.image) × \(policy.policy)", classname: policy.policy,
                                        decision: policy.decision, message: "no authority passed",
                                        detail: "\(location)\n\(detail)", warn: policy.mode == "warn"))
            }
        }
        func escape(_ s: String) -> String {
            var out = ""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&quot;"
                case "\n", "\t": out.unicodeScalars.append(scalar)
                default:
                    // XML 1.0 has no escape for most control characters: they are dropped.
                    if scalar.value < 0x20 { continue }
                    out.unicodeScalars.append(scalar)
                }
            }
            return out
        }
        let all = suites.flatMap(\.1)
        let failures = all.filter { $0.decision == .fail && !$0.warn }.count
        let errors = all.filter { $0.decision == .indeterminate && !$0.warn }.count
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"verify-image gate\" tests=\"\(all.count)\" failures=\"\(failures)\" errors=\"\(errors)\" timestamp=\"\(verifiedAt)\">\n"
        for (suite, cases) in suites {
            let f = cases.filter { $0.decision == .fail && !$0.warn }.count
            let e = cases.filter { $0.decision == .indeterminate && !$0.warn }.count
            out += "  <testsuite name=\"\(escape(suite))\" tests=\"\(cases.count)\" failures=\"\(f)\" errors=\"\(e)\">\n"
            for c in cases {
                out += "    <testcase classname=\"\(escape(c.classname))\" name=\"\(escape(c.name))\""
                if c.decision == .pass { out += "/>\n"; continue }
                out += ">\n"
                if c.warn {
                    out += "      <system-out>mode: warn — \(escape(c.decision.rawValue)): \(escape(c.detail))</system-out>\n"
                } else if c.decision == .fail {
                    out += "      <failure message=\"\(escape(c.message))\" type=\"fail\">\(escape(c.detail))</failure>\n"
                } else {
                    out += "      <error message=\"could not decide\" type=\"indeterminate\">\(escape(c.detail))</error>\n"
                }
                out += "    </testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }

    /// SARIF 2.1.0 for code scanning: one result per image use that does not pass (pinning, no policy, a failed or
    /// undecided policy), at the file and line where the image is used.
    public func renderSARIF() throws -> String {
        let rules: [(id: String, text: String)] = [
            ("gate/not-pinned", "Image not pinned by a valid digest"),
            ("gate/no-policy", "No ClusterImagePolicy matches the image"),
            ("gate/policy-failed", "A matching policy was not satisfied"),
            ("gate/indeterminate", "The gate could not decide"),
            ("gate/warning", "A mode: warn policy or --no-match warn"),
        ]
        var results: [[String: Any]] = []
        for image in images {
            var entries: [(rule: String, level: String, text: String)] = []
            if image.reasons.contains(GateReason.notDigestPinned) || image.reasons.contains(GateReason.scanError) {
                entries.append(("gate/not-pinned", "error", "\(image.image): \(image.message ?? image.status). Fix: \(image.fix ?? "")"))
            } else if image.reasons.contains(GateReason.noPolicyMatched) {
                entries.append(("gate/no-policy", "error", "\(image.image): \(image.message ?? ""). Fix: \(image.fix ?? "")"))
            }
            for policy in image.policies where policy.decision != .pass {
                let why = policy.authorities.map { "\($0.name): \($0.message)" }.joined(separator: "; ")
                let rule = policy.mode == "warn" ? "gate/warning" : policy.decision == .fail ? "gate/policy-failed" : "gate/indeterminate"
                if image.reasons.contains(GateReason.notDigestPinned) { continue }
                entries.append((rule, policy.mode == "warn" ? "warning" : "error", "\(image.image) does not satisfy policy \(policy.policy) (\(policy.location)): \(why)"))
            }
            for use in image.uses {
                for entry in entries {
                    let file = use.file.split(separator: "!").first.map(String.init) ?? use.file
                    results.append([
                        "ruleId": entry.rule, "level": entry.level, "message": ["text": entry.text],
                        "locations": [["physicalLocation": [
                            "artifactLocation": ["uri": file],
                            "region": ["startLine": max(1, use.line), "startColumn": max(1, use.column)],
                        ]]],
                    ])
                }
            }
        }
        let document: [String: Any] = [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
            "runs": [[
                "tool": ["driver": ["name": "verify-image gate", "version": ImageGateVersion.current,
                                    "rules": rules.map { ["id": $0.id, "shortDescription": ["text": $0.text]] }]],
                "results": results,
            ]],
        ]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
