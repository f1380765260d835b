import Foundation
import Yams

/// Checks made on YAML text before it reaches the parser.
enum YAMLSafety {
    /// The line of the first alias that may sit inside a mapping key, or nil.
    ///
    /// Yams expands aliases by sharing the anchored subtree (cheap for values; the walk then counts every visit),
    /// but it hashes mapping keys to detect duplicates, and hashing an aliased key walks the whole expansion: an
    /// alias bomb placed in a key would hang the parser. So a file that has anchors is refused when an alias is
    /// followed by `:` (an implicit key), or when it uses an explicit key (`? `) or a flow collection as a key
    /// (`]:` / `}:`). Conservative: comments and quoted text can trigger it, never hide one.
    static func aliasInKeyLine(_ text: String) -> Int? {
        let u = Array(text.utf8)
        // No anchor, no alias can resolve (an undefined alias is a parse error).
        guard u.contains(UInt8(ascii: "&")), u.contains(UInt8(ascii: "*")) else { return nil }
        var line = 1
        var hasAlias = false
        var hasAnchor = false
        var suspicious: Int? = nil
        var i = 0
        @inline(__always) func isAnchorChar(_ b: UInt8) -> Bool {
            (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 45 || b == 95
        }
        @inline(__always) func isBreakOrEnd(_ j: Int) -> Bool {
            j >= u.count || u[j] == 32 || u[j] == 9 || u[j] == 10 || u[j] == 13 || u[j] == 44 || u[j] == 125 || u[j] == 93
        }
        while i < u.count {
            let b = u[i]
            if b == 10 { line += 1; i += 1; continue }
            let atTokenStart = i == 0 || [32, 9, 10, 13, 91, 123, 44].contains(u[i - 1])
            if b == UInt8(ascii: "#"), atTokenStart { // comment: skip to the end of the line
                while i < u.count, u[i] != 10 { i += 1 }
                continue
            }
            if b == UInt8(ascii: "&"), atTokenStart, i + 1 < u.count, isAnchorChar(u[i + 1]) { hasAnchor = true }
            if b == UInt8(ascii: "*"), atTokenStart, i + 1 < u.count, isAnchorChar(u[i + 1]) {
                hasAlias = true
                var j = i + 1
                while j < u.count, isAnchorChar(u[j]) { j += 1 }
                while j < u.count, u[j] == 32 || u[j] == 9 { j += 1 }
                if j < u.count, u[j] == UInt8(ascii: ":"), isBreakOrEnd(j + 1) { return line }
                i = j
                continue
            }
            if b == UInt8(ascii: "?"), atTokenStart, isBreakOrEnd(i + 1) {
                suspicious = suspicious ?? line
            }
            if b == UInt8(ascii: "]") || b == UInt8(ascii: "}") {
                var j = i + 1
                while j < u.count, u[j] == 32 || u[j] == 9 { j += 1 }
                if j < u.count, u[j] == UInt8(ascii: ":"), isBreakOrEnd(j + 1) { suspicious = suspicious ?? line }
            }
            i += 1
        }
        return hasAlias && hasAnchor ? suspicious : nil
    }

    /// A short message and the position of a Yams error.
    static func describe(_ error: Error) -> (String, Int, Int) {
        guard let yamlError = error as? YamlError else { return ("\(error)", 0, 0) }
        switch yamlError {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let what = context.map { "\($0.text) (line \($0.mark.line)): \(problem)" } ?? problem
            return ("\(what) at line \(mark.line), column \(mark.column)", mark.line, mark.column)
        case let .reader(problem, offset, _, _):
            return ("\(problem)\(offset.map { " at byte \($0)" } ?? "")", 0, 0)
        case let .duplicatedKeysInMapping(duplicates, context):
            return ("duplicate keys \(duplicates.joined(separator: ", ")) in one mapping", context.mark.line,
                    context.mark.column)
        default:
            return ("\(yamlError)", 0, 0)
        }
    }
}

/// Reads the image lines of a Helm/Go template that is not valid YAML (`{{ … }}` outside quotes).
enum TemplateScanner {
    private struct Entry {
        var indent: Int
        var key: String
        var isItem: Bool
    }

    static func scan(_ text: String, file: String) -> [Finding] {
        var findings: [Finding] = []
        var stack: [Entry] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let indent = line.prefix(while: { $0 == " " }).count
            var rest = line.dropFirst(indent)
            if rest.isEmpty || rest.hasPrefix("#") || rest.hasPrefix("{{") || rest.hasPrefix("---") { continue }
            var keyIndent = indent
            while rest.hasPrefix("- ") || rest == "-" {
                // A list item: it closes deeper entries and earlier items at this level.
                while let top = stack.last, top.indent > keyIndent || (top.indent == keyIndent && top.isItem) {
                    stack.removeLast()
                }
                let dashes = rest.prefix(2).count
                rest = rest.dropFirst(dashes)
                let spaces = rest.prefix(while: { $0 == " " }).count
                rest = rest.dropFirst(spaces)
                keyIndent += dashes + spaces
                stack.append(Entry(indent: keyIndent, key: "[*]", isItem: true))
            }
            guard let colon = keyColon(rest) else { continue }
            let key = String(rest[..<colon]).trimmingCharacters(in: .whitespaces)
                .trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            var value = rest[rest.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("#") { value = "" }
            if let hash = value.range(of: " #") { value = String(value[..<hash.lowerBound]) }
            while let top = stack.last, top.indent > keyIndent || (top.indent == keyIndent && !top.isItem) {
                stack.removeLast()
            }
            if value.isEmpty || value == "|" || value == ">" || value == "|-" || value == ">-" {
                stack.append(Entry(indent: keyIndent, key: key, isItem: false))
                continue
            }
            guard key == "image" || (key.count > 5 && key.hasSuffix("Image")) else { continue }
            if value.count >= 2, let f = value.first, f == "\"" || f == "'", value.last == f {
                value = String(value.dropFirst().dropLast())
            }
            var path = ""
            for entry in stack + [Entry(indent: keyIndent, key: key, isItem: false)] {
                if entry.isItem { path += entry.key } else { path += (path.isEmpty ? "" : ".") + entry.key }
            }
            let result = PinClassifier.classify(value)
            let column = line.count - rest.count + rest.distance(from: rest.startIndex, to: colon) + 3
            findings.append(Finding(file: file, line: lineNumber, column: column, yamlPath: path,
                                    image: value, reference: result.reference, status: result.status,
                                    note: ["a Helm template, not YAML: render it (helm template) to check the image",
                                           result.status == .templated ? nil : result.note]
                                        .compactMap { $0 }.joined(separator: "; "),
                                    errorCode: result.errorCode))
        }
        return findings
    }

    /// The `:` that ends a simple key (`key:` followed by space or end of line), outside `{{ }}` and quotes.
    private static func keyColon(_ s: Substring) -> Substring.Index? {
        var depth = 0
        var i = s.startIndex
        if let f = s.first, f == "\"" || f == "'" {
            guard let close = s[s.index(after: i)...].firstIndex(of: f) else { return nil }
            i = s.index(after: close)
        }
        while i < s.endIndex {
            let c = s[i]
            if c == "{" { depth += 1 } else if c == "}" { depth -= 1 }
            if c == ":", depth == 0 {
                let next = s.index(after: i)
                if next == s.endIndex || s[next] == " " { return i }
            }
            if c == " " && depth == 0 && !s[s.startIndex..<i].isEmpty {
                // keys have no spaces before their colon in manifests
                return nil
            }
            i = s.index(after: i)
        }
        return nil
    }
}
