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
        var text = text
        text.makeContiguousUTF8()
        return text.utf8.withContiguousStorageIfAvailable { aliasInKeyLine(bytes: $0) } ?? nil
    }

    private static func aliasInKeyLine(bytes u: UnsafeBufferPointer<UInt8>) -> Int? {
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
            let atTokenStart: Bool
            if i == 0 {
                atTokenStart = true
            } else {
                switch u[i - 1] {
                case 32, 9, 10, 13, 91, 123, 44: atTokenStart = true
                default: atTokenStart = false
                }
            }
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
        let u = Array(text.utf8)
        var lineNumber = 0
        var lineStart = 0
        while lineStart <= u.count {
            lineNumber += 1
            var lineEnd = lineStart
            while lineEnd < u.count, u[lineEnd] != 10 { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }
            var end = lineEnd
            if end > lineStart, u[end - 1] == 13 { end -= 1 }
            var i = lineStart
            while i < end, u[i] == 32 { i += 1 }
            let indent = i - lineStart
            if i >= end || u[i] == 35 /* # */ || (u[i] == 123 && i + 1 < end && u[i + 1] == 123)
                || (u[i] == 45 && i + 2 < end && u[i + 1] == 45 && u[i + 2] == 45) { continue }
            var keyIndent = indent
            while i < end, u[i] == 45 /* - */, i + 1 == end || u[i + 1] == 32 {
                // A list item: it closes deeper entries and earlier items at this level.
                while let top = stack.last, top.indent > keyIndent || (top.indent == keyIndent && top.isItem) {
                    stack.removeLast()
                }
                i += 1
                while i < end, u[i] == 32 { i += 1 }
                keyIndent = i - lineStart
                stack.append(Entry(indent: keyIndent, key: "[*]", isItem: true))
            }
            guard let colon = keyColon(u, i, end) else { continue }
            // Key: trimmed of blanks and quotes; value: trimmed, a trailing ` #comment` removed.
            var ks = i, ke = colon
            while ks < ke, u[ks] == 32 || u[ks] == 34 || u[ks] == 39 { ks += 1 }
            while ke > ks, u[ke - 1] == 32 || u[ke - 1] == 34 || u[ke - 1] == 39 { ke -= 1 }
            var vs = colon + 1, ve = end
            while vs < ve, u[vs] == 32 || u[vs] == 9 { vs += 1 }
            if vs < ve, u[vs] == 35 { ve = vs }
            var j = vs
            while j + 1 < ve { if u[j] == 32 && u[j + 1] == 35 { ve = j; break }; j += 1 }
            while ve > vs, u[ve - 1] == 32 || u[ve - 1] == 9 { ve -= 1 }
            while let top = stack.last, top.indent > keyIndent || (top.indent == keyIndent && !top.isItem) {
                stack.removeLast()
            }
            let valueLength = ve - vs
            if valueLength == 0 || ((u[vs] == 124 || u[vs] == 62) && (valueLength == 1 || (valueLength == 2 && u[vs + 1] == 45))) {
                stack.append(Entry(indent: keyIndent, key: String(decoding: u[ks..<ke], as: UTF8.self), isItem: false))
                continue
            }
            let keyBytes = u[ks..<ke]
            guard keyBytes.elementsEqual("image".utf8)
                    || (keyBytes.count > 5 && keyBytes.suffix(5).elementsEqual("Image".utf8)) else { continue }
            let key = String(decoding: keyBytes, as: UTF8.self)
            if valueLength >= 2, u[vs] == 34 || u[vs] == 39, u[ve - 1] == u[vs] { vs += 1; ve -= 1 }
            let value = String(decoding: u[vs..<ve], as: UTF8.self)
            var path = ""
            for entry in stack + [Entry(indent: keyIndent, key: key, isItem: false)] {
                if entry.isItem { path += entry.key } else { path += (path.isEmpty ? "" : ".") + entry.key }
            }
            let result = PinClassifier.classify(value)
            findings.append(Finding(file: file, line: lineNumber, column: keyIndent + 1, yamlPath: path,
                                    image: value, reference: result.reference, status: result.status,
                                    note: ["a Helm template, not YAML: render it (helm template) to check the image",
                                           result.status == .templated ? nil : result.note]
                                        .compactMap { $0 }.joined(separator: "; "),
                                    errorCode: result.errorCode))
        }
        return findings
    }

    /// The `:` that ends a simple key (`key:` followed by space or end of line), outside `{{ }}` and quotes.
    private static func keyColon(_ u: [UInt8], _ start: Int, _ end: Int) -> Int? {
        var depth = 0
        var i = start
        if i < end, u[i] == 34 || u[i] == 39 {
            let quote = u[i]
            i += 1
            while i < end, u[i] != quote { i += 1 }
            i += 1
        }
        while i < end {
            let c = u[i]
            if c == 123 { depth += 1 } else if c == 125 { depth -= 1 }
            if c == 58, depth == 0, i + 1 == end || u[i + 1] == 32 { return i }
            if c == 32, depth == 0, i > start { return nil } // keys have no spaces before their colon
            i += 1
        }
        return nil
    }
}
