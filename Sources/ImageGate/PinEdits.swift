import ManifestScanner
import OCIImage

/// One replacement in a file's bytes.
struct ByteEdit: Sendable, Hashable {
    /// Where the replaced bytes start.
    var offset: Int
    /// How many bytes are replaced (0: an insertion).
    var length: Int
    /// The new bytes.
    var replacement: [UInt8]
}

/// Why a pin site could not be turned into an edit.
struct PinEditFailure: Error, Sendable {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Finds the bytes a ``PinSite`` names in the original text and writes the edit that pins it: only the digest
/// (and, for a plain Helm tag, its quotes, or for Kustomize one new `digest:` line) is added; nothing else moves.
struct PinEditor {
    let bytes: [UInt8]
    /// Start offset of every line (1-based line n starts at `lineStarts[n - 1]`).
    private let lineStarts: [Int]

    init(bytes: [UInt8]) {
        self.bytes = bytes
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == 10 { starts.append(i + 1) }
        lineStarts = starts
    }

    /// The edit that writes `digest` at `site`.
    func edit(_ site: PinSite, digest: Digest) throws -> ByteEdit {
        switch site {
        case .appendToScalar(let position, let quotePlain):
            let span = try locate(position)
            let pinned = Array((position.value + "@" + digest.string).utf8)
            if span.quote == nil, quotePlain {
                return ByteEdit(offset: span.start, length: span.end - span.start, replacement: [34] + pinned + [34])
            }
            return ByteEdit(offset: span.end, length: 0, replacement: Array(("@" + digest.string).utf8))
        case .fillEmptyKey(let key, let bareHex):
            return try fillEmptyValue(key: key, with: bareHex ? digest.encoded : digest.string)
        case .addDigestKey(let after, let keyColumn, let flow):
            let span = try locate(after)
            let valueEnd = span.end + (span.quote == nil ? 0 : 1)
            let line = try lineRange(after.line)
            let keyOffset = try byteOffset(line: line, column: keyColumn)
            let prefix = bytes[line.start..<keyOffset]
            if flow || prefix.contains(123) {
                return ByteEdit(offset: valueEnd, length: 0, replacement: Array(", digest: \(digest.string)".utf8))
            }
            // The new key's indentation: the key's column, with `- ` of a list item turned into spaces.
            guard prefix.allSatisfy({ $0 == 32 || $0 == 45 }) else {
                throw PinEditFailure("line \(after.line): the `newTag` key does not start its line; add `digest:` by hand")
            }
            let indent = [UInt8](repeating: 32, count: prefix.count)
            let newKey = indent + Array("digest: \(digest.string)".utf8)
            if line.terminatorEnd > line.end {
                return ByteEdit(offset: line.terminatorEnd, length: 0,
                                replacement: newKey + Array(bytes[line.end..<line.terminatorEnd]))
            }
            return ByteEdit(offset: line.end, length: 0, replacement: lineTerminator() + newKey)
        }
    }

    // MARK: - Locating scalars

    /// A scalar's value bytes (`start..<end`, inside the quotes when quoted).
    struct Span {
        var start: Int
        var end: Int
        var quote: UInt8?
    }

    struct LineRange {
        /// First byte of the line.
        var start: Int
        /// End of the content (before `\r\n` or `\n`).
        var end: Int
        /// End of the line terminator.
        var terminatorEnd: Int
    }

    func lineRange(_ line: Int) throws -> LineRange {
        guard line >= 1, line <= lineStarts.count else { throw PinEditFailure("line \(line) is not in the file") }
        let start = lineStarts[line - 1]
        let terminatorEnd = line < lineStarts.count ? lineStarts[line] : bytes.count
        var end = terminatorEnd
        if end > start, bytes[end - 1] == 10 { end -= 1 }
        if end > start, bytes[end - 1] == 13 { end -= 1 }
        return LineRange(start: start, end: end, terminatorEnd: terminatorEnd)
    }

    /// The byte offset of a 1-based column counted in Unicode scalars.
    func byteOffset(line: LineRange, column: Int) throws -> Int {
        var offset = line.start, scalars = 1
        while scalars < column, offset < line.end {
            offset += 1
            while offset < line.end, bytes[offset] & 0xC0 == 0x80 { offset += 1 }
            scalars += 1
        }
        guard scalars == column else { throw PinEditFailure("column \(column) is past the end of its line") }
        return offset
    }

    /// The scalar at the position; when it is not exactly there (values inside a Chart.yaml annotation are
    /// counted from the annotation's text), the only occurrence of the value on that line.
    func locate(_ position: ScalarPosition) throws -> Span {
        let value = Array(position.value.utf8)
        let line = try lineRange(position.line)
        guard !value.isEmpty, !value.contains(10), !value.contains(92), !value.contains(34), !value.contains(39) else {
            throw PinEditFailure("line \(position.line): the value is empty, spans lines or holds quotes or escapes; pin it by hand")
        }
        if let offset = try? byteOffset(line: line, column: position.column),
           let span = match(value, at: offset, in: line, strictStart: false) {
            return span
        }
        var found: [Span] = []
        for offset in line.start..<line.end {
            if let span = match(value, at: offset, in: line, strictStart: true) { found.append(span) }
        }
        guard found.count == 1 else {
            throw PinEditFailure("line \(position.line): `\(position.value)` is not where the parser saw it"
                + (found.isEmpty ? "" : " (it occurs \(found.count) times on the line)") + "; pin it by hand")
        }
        return found[0]
    }

    /// The value as a quoted or plain scalar starting at `offset`.
    private func match(_ value: [UInt8], at offset: Int, in line: LineRange, strictStart: Bool) -> Span? {
        guard offset < line.end else { return nil }
        let first = bytes[offset]
        if first == 34 || first == 39 {
            let start = offset + 1, end = start + value.count
            guard end < line.end, bytes[end] == first, bytes[start..<end].elementsEqual(value) else { return nil }
            return Span(start: start, end: end, quote: first)
        }
        let end = offset + value.count
        guard end <= line.end, bytes[offset..<end].elementsEqual(value) else { return nil }
        if end < line.end, ![32, 9, 44, 58, 93, 125].contains(bytes[end]) { return nil }
        if strictStart, offset > line.start, ![32, 9, 61, 91, 123].contains(bytes[offset - 1]) { return nil }
        return Span(start: offset, end: end, quote: nil)
    }

    /// Fills the empty value after `key:` (`""`, `''`, nothing, `~`, `null`) with `text`, in double quotes unless it
    /// was already quoted.
    private func fillEmptyValue(key: ScalarPosition, with text: String) throws -> ByteEdit {
        let span = try locate(key)
        let line = try lineRange(key.line)
        var i = span.end + (span.quote == nil ? 0 : 1)
        while i < line.end, bytes[i] == 32 || bytes[i] == 9 { i += 1 }
        guard i < line.end, bytes[i] == 58 else { throw PinEditFailure("line \(key.line): no `:` after `\(key.value)`") }
        let colon = i
        i += 1
        while i < line.end, bytes[i] == 32 || bytes[i] == 9 { i += 1 }
        let valueStart = i
        if valueStart + 1 < line.end, bytes[valueStart] == 34 || bytes[valueStart] == 39,
           bytes[valueStart + 1] == bytes[valueStart] {
            return ByteEdit(offset: valueStart + 1, length: 0, replacement: Array(text.utf8))
        }
        var valueEnd = valueStart
        while valueEnd < line.end, ![32, 9, 35, 44, 125].contains(bytes[valueEnd]) { valueEnd += 1 }
        let token = String(decoding: bytes[valueStart..<valueEnd], as: UTF8.self)
        guard ["", "~", "null", "Null", "NULL"].contains(token) else {
            throw PinEditFailure("line \(key.line): `\(key.value)` is not empty (`\(token)`)")
        }
        let quoted = Array("\"\(text)\"".utf8)
        if token.isEmpty {
            if valueStart > colon + 1 {
                return ByteEdit(offset: valueStart, length: 0,
                                replacement: quoted + (valueStart < line.end && bytes[valueStart] == 35 ? [32] : []))
            }
            return ByteEdit(offset: colon + 1, length: 0, replacement: [32] + quoted)
        }
        return ByteEdit(offset: valueStart, length: valueEnd - valueStart, replacement: quoted)
    }

    /// The file's line terminator (`\r\n` when its first line ends so, else `\n`).
    private func lineTerminator() -> [UInt8] {
        if lineStarts.count > 1, lineStarts[1] >= 2, bytes[lineStarts[1] - 2] == 13 { return [13, 10] }
        return [10]
    }

    /// The bytes with every edit applied (edits must not overlap).
    static func apply(_ edits: [ByteEdit], to bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        for edit in edits.sorted(by: { $0.offset > $1.offset }) {
            out.replaceSubrange(edit.offset..<(edit.offset + edit.length), with: edit.replacement)
        }
        return out
    }
}
