/// Shell-style matching with the semantics of Go's `path.Match`, used by ``ImageReference/familiarMatch(_:)``.
///
/// `*` matches any run of characters except `/`, `?` one character except `/`, `[...]` a class (ranges, `^`
/// negation), `\` escapes. A malformed pattern is an error even when the text does not match.
enum GoPathMatch {
    struct BadPattern: Error {}

    /// Whether all of `name` matches `pattern`.
    /// - Throws: ``ReferenceError/Code/badPattern`` for a malformed pattern.
    static func match(_ pattern: String, _ name: String) throws -> Bool {
        do {
            return try matchScalars(Array(pattern.unicodeScalars)[...], Array(name.unicodeScalars)[...])
        } catch {
            throw ReferenceError(.badPattern, input: pattern, subject: .pattern)
        }
    }

    typealias Text = ArraySlice<Unicode.Scalar>

    private static func matchScalars(_ patternIn: Text, _ nameIn: Text) throws(BadPattern) -> Bool {
        var pattern = patternIn
        var name = nameIn
        patternLoop: while !pattern.isEmpty {
            let (star, chunk, rest) = scanChunk(pattern)
            pattern = rest
            if star && chunk.isEmpty {
                // A trailing * matches the rest unless it contains a '/'.
                return !name.contains("/")
            }
            let (t, ok) = try matchChunk(chunk, name)
            // On a full match of the rest, or when more pattern follows, accept this chunk.
            if ok && (t.isEmpty || !pattern.isEmpty) {
                name = t
                continue
            }
            if star {
                // Try skipping more characters (never a '/') before the chunk.
                var i = name.startIndex
                while i < name.endIndex, name[i] != "/" {
                    let (t2, ok2) = try matchChunk(chunk, name[(i + 1)...])
                    if ok2 {
                        if pattern.isEmpty && !t2.isEmpty {
                            i += 1
                            continue
                        }
                        name = t2
                        continue patternLoop
                    }
                    i += 1
                }
            }
            // The match failed; the rest of the pattern must still be well formed.
            while !pattern.isEmpty {
                let (_, chunk2, rest2) = scanChunk(pattern)
                pattern = rest2
                _ = try matchChunk(chunk2, [][...])
            }
            return false
        }
        return name.isEmpty
    }

    /// Splits off the leading stars and the chunk up to the next unbracketed star.
    private static func scanChunk(_ patternIn: Text) -> (star: Bool, chunk: Text, rest: Text) {
        var pattern = patternIn
        var star = false
        while let first = pattern.first, first == "*" {
            pattern = pattern.dropFirst()
            star = true
        }
        var inRange = false
        var i = pattern.startIndex
        scan: while i < pattern.endIndex {
            switch pattern[i] {
            case "\\":
                if i + 1 < pattern.endIndex { i += 1 }
            case "[":
                inRange = true
            case "]":
                inRange = false
            case "*":
                if !inRange { break scan }
            default:
                break
            }
            i += 1
        }
        return (star, pattern[pattern.startIndex..<i], pattern[i...])
    }

    /// Matches `chunk` (no unbracketed stars) against the start of `s`; returns the rest of `s` on success.
    private static func matchChunk(_ chunkIn: Text, _ sIn: Text) throws(BadPattern) -> (rest: Text, ok: Bool) {
        var chunk = chunkIn
        var s = sIn
        var failed = false
        while let c = chunk.first {
            if !failed && s.isEmpty { failed = true }
            switch c {
            case "[":
                var r: Unicode.Scalar = "\0"
                if !failed, let first = s.first {
                    r = first
                    s = s.dropFirst()
                }
                chunk = chunk.dropFirst()
                var negated = false
                if chunk.first == "^" {
                    negated = true
                    chunk = chunk.dropFirst()
                }
                var matched = false
                var ranges = 0
                while true {
                    if chunk.first == "]", ranges > 0 {
                        chunk = chunk.dropFirst()
                        break
                    }
                    let lo = try getEscaped(&chunk)
                    var hi = lo
                    if chunk.first == "-" {
                        chunk = chunk.dropFirst()
                        hi = try getEscaped(&chunk)
                    }
                    if lo.value <= r.value && r.value <= hi.value { matched = true }
                    ranges += 1
                }
                if matched == negated { failed = true }
            case "?":
                if !failed {
                    if s.first == "/" { failed = true }
                    s = s.dropFirst()
                }
                chunk = chunk.dropFirst()
            default:
                var literal = c
                if c == "\\" {
                    chunk = chunk.dropFirst()
                    guard let escaped = chunk.first else { throw BadPattern() }
                    literal = escaped
                }
                if !failed {
                    if s.first != literal { failed = true }
                    s = s.dropFirst()
                }
                chunk = chunk.dropFirst()
            }
        }
        return failed ? ([][...], false) : (s, true)
    }

    /// One possibly escaped character of a class; `-`, `]` or the end of the pattern here is malformed.
    private static func getEscaped(_ chunk: inout Text) throws(BadPattern) -> Unicode.Scalar {
        guard let first = chunk.first, first != "-", first != "]" else { throw BadPattern() }
        var c = first
        chunk = chunk.dropFirst()
        if first == "\\" {
            guard let escaped = chunk.first else { throw BadPattern() }
            c = escaped
            chunk = chunk.dropFirst()
        }
        guard !chunk.isEmpty else { throw BadPattern() }
        return c
    }
}
