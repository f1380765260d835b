import Yams

/// Reads one YAML node of a policy file with its field path and line, collecting problems instead of stopping
/// at the first, so one run names every mistake in a file.
final class ProblemLog {
    let file: String
    private(set) var problems: [PolicyProblem] = []

    init(file: String) { self.file = file }

    func add(_ code: PolicyProblem.Code, _ field: Field, _ message: String, fix: String) {
        problems.append(PolicyProblem(code, file: file, line: field.line, field: field.path, message, fix: fix))
    }
}

/// A node and where it is: `spec.authorities[0].key` at line 12.
struct Field {
    let node: Node
    let path: String
    let line: Int
    let log: ProblemLog

    /// `line` defaults to where the node starts; a mapping value is located at its key's line instead.
    init(node: Node, path: String, log: ProblemLog, line: Int? = nil) {
        self.node = node
        self.path = path
        self.line = line ?? node.mark?.line ?? 0
        self.log = log
    }

    /// A field below this one; a field that is absent is located at its parent's line.
    func child(_ key: String, _ node: Node, line: Int? = nil) -> Field {
        Field(node: node, path: path.isEmpty ? key : path + "." + key, log: log, line: line ?? (node == self.node ? self.line : nil))
    }

    /// The mapping's fields by key; a key outside `known` is a problem (it might be a requirement).
    func mapping(known: Set<String>) -> [String: Field]? {
        guard case .mapping(let mapping) = node else {
            if case .scalar = node, isEmpty { return [:] }
            log.add(.fieldInvalid, self, "expected a mapping", fix: "write the fields of \(path.isEmpty ? "the document" : path) as a YAML mapping")
            return nil
        }
        var fields: [String: Field] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { continue }
            let field = child(name, value, line: key.mark?.line)
            if !known.contains(name) {
                log.add(.fieldUnknown, Field(node: key, path: field.path, log: log),
                        "unknown field \"\(name)\"",
                        fix: "remove it or correct its spelling (known here: \(known.sorted().joined(separator: ", ")))")
                continue
            }
            if fields[name] != nil {
                log.add(.fieldInvalid, field, "the field is given twice", fix: "keep one")
                continue
            }
            fields[name] = field
        }
        return fields
    }

    /// A scalar's text; nil (with a problem) for a mapping or sequence.
    func string() -> String? {
        guard case .scalar(let scalar) = node else {
            log.add(.fieldInvalid, self, "expected a string", fix: "give \(path) as a single value")
            return nil
        }
        return scalar.string
    }

    /// A boolean (`true` / `false`).
    func bool() -> Bool? {
        guard let text = string() else { return nil }
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            log.add(.fieldInvalid, self, "\"\(text)\" is not a boolean", fix: "write true or false")
            return nil
        }
    }

    /// The items of a sequence with their paths (`path[i]`).
    func items() -> [Field]? {
        guard case .sequence(let sequence) = node else {
            if case .scalar(let s) = node, s.string.isEmpty || s.string == "null" || s.string == "~" { return [] }
            log.add(.fieldInvalid, self, "expected a list", fix: "write \(path) as a YAML list (- item)")
            return nil
        }
        return sequence.enumerated().map { index, item in Field(node: item, path: "\(path)[\(index)]", log: log) }
    }

    /// Whether the node is an explicit null or empty (`keyless:` with nothing after it).
    var isEmpty: Bool {
        switch node {
        case .scalar(let s): return s.string.isEmpty || s.string == "null" || s.string == "~"
        case .mapping(let m): return m.count == 0
        case .sequence(let s): return s.count == 0
        case .alias: return false
        }
    }
}
