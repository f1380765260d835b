// Hand-written matchers for the regular expressions of distribution/reference `regexp.go` (as implemented, not as
// documented) and go-digest. All character classes are ASCII-only, as in Go's RE2. Each matcher works on a byte
// range of UTF-8 input and runs in linear time; any non-ASCII byte simply fails to match.

/// ASCII byte classes.
enum ASCII {
    @inline(__always) static func isLowerAlnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    @inline(__always) static func isAlpha(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) }
    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool { isAlpha(c) || isDigit(c) }
    /// Go `\w`: `[0-9A-Za-z_]`.
    @inline(__always) static func isWord(_ c: UInt8) -> Bool { isAlnum(c) || c == UInt8(ascii: "_") }
    /// `[[:xdigit:]]`: `[0-9A-Fa-f]`.
    @inline(__always) static func isHex(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)
    }
    /// `[a-f0-9]`.
    @inline(__always) static func isLowerHex(_ c: UInt8) -> Bool { isDigit(c) || (c >= 0x61 && c <= 0x66) }
}

/// The pieces of distribution/reference's `ReferenceRegexp` and `anchoredNameRegexp`, as byte-range matchers.
enum ReferenceGrammar {
    typealias Bytes = [UInt8]

    /// `pathComponent = [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`.
    static func isPathComponent(_ b: Bytes, _ lo: Int, _ hi: Int) -> Bool {
        guard lo < hi, ASCII.isLowerAlnum(b[lo]), ASCII.isLowerAlnum(b[hi - 1]) else { return false }
        var i = lo + 1
        while i < hi {
            let c = b[i]
            if ASCII.isLowerAlnum(c) { i += 1; continue }
            // A run of separator characters between two alphanumerics must be exactly one separator.
            var j = i
            while j < hi, !ASCII.isLowerAlnum(b[j]) { j += 1 }
            let n = j - i
            switch c {
            case UInt8(ascii: "."):
                guard n == 1 else { return false }
            case UInt8(ascii: "_"):
                guard n <= 2, b[j - 1] == UInt8(ascii: "_") else { return false }
            case UInt8(ascii: "-"):
                for k in i..<j where b[k] != UInt8(ascii: "-") { return false }
            default:
                return false
            }
            i = j
        }
        return true
    }

    /// `remoteName = pathComponent(?:/pathComponent)*`.
    static func isRemoteName(_ b: Bytes, _ lo: Int, _ hi: Int) -> Bool {
        guard lo < hi else { return false }
        var start = lo
        var i = lo
        while i <= hi {
            if i == hi || b[i] == UInt8(ascii: "/") {
                guard isPathComponent(b, start, i) else { return false }
                start = i + 1
            }
            i += 1
        }
        return true
    }

    /// `domainNameComponent = (?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`.
    static func isDomainNameComponent(_ b: Bytes, _ lo: Int, _ hi: Int) -> Bool {
        guard lo < hi, ASCII.isAlnum(b[lo]), ASCII.isAlnum(b[hi - 1]) else { return false }
        for k in lo..<hi where !(ASCII.isAlnum(b[k]) || b[k] == UInt8(ascii: "-")) { return false }
        return true
    }

    /// `domainName = domainNameComponent(?:\.domainNameComponent)*`.
    static func isDomainName(_ b: Bytes, _ lo: Int, _ hi: Int) -> Bool {
        guard lo < hi else { return false }
        var start = lo
        var i = lo
        while i <= hi {
            if i == hi || b[i] == UInt8(ascii: ".") {
                guard isDomainNameComponent(b, start, i) else { return false }
                start = i + 1
            }
            i += 1
        }
        return true
    }

    /// `domainAndPort = (?:domainName|\[(?:[a-fA-F0-9:]+)\])(?::[0-9]+)?` (no port range check, no IPv6 validity).
    static func isDomainAndPort(_ b: Bytes, _ lo: Int, _ hi: Int) -> Bool {
        guard lo < hi else { return false }
        var hostEnd: Int
        if b[lo] == UInt8(ascii: "[") {
            var i = lo + 1
            while i < hi, ASCII.isHex(b[i]) || b[i] == UInt8(ascii: ":") { i += 1 }
            guard i > lo + 1, i < hi, b[i] == UInt8(ascii: "]") else { return false }
            hostEnd = i + 1
        } else {
            hostEnd = lo
            while hostEnd < hi, b[hostEnd] != UInt8(ascii: ":") { hostEnd += 1 }
            guard isDomainName(b, lo, hostEnd) else { return false }
        }
        if hostEnd == hi { return true }
        guard b[hostEnd] == UInt8(ascii: ":"), hostEnd + 1 < hi else { return false }
        for k in (hostEnd + 1)..<hi where !ASCII.isDigit(b[k]) { return false }
        return true
    }

    /// `tag = [\w][\w.-]{0,127}`.
    static func isTag(_ b: Bytes, _ lo: Int, _ hi: Int) -> Bool {
        guard lo < hi, hi - lo <= 128, ASCII.isWord(b[lo]) else { return false }
        for k in (lo + 1)..<hi {
            let c = b[k]
            guard ASCII.isWord(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "-") else { return false }
        }
        return true
    }

    /// `digestPat = [A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}`.
    static func isReferenceDigest(_ b: Bytes, _ lo: Int, _ hi: Int) -> Bool {
        var colon = lo
        while colon < hi, b[colon] != UInt8(ascii: ":") { colon += 1 }
        guard colon < hi, hi - colon - 1 >= 32 else { return false }
        for k in (colon + 1)..<hi where !ASCII.isHex(b[k]) { return false }
        // Algorithm: components starting with a letter, separated by exactly one of - _ + .
        var atComponentStart = true
        for k in lo..<colon {
            let c = b[k]
            if atComponentStart {
                guard ASCII.isAlpha(c) else { return false }
                atComponentStart = false
            } else if c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") {
                atComponentStart = true
            } else if !ASCII.isAlnum(c) {
                return false
            }
        }
        return colon > lo && !atComponentStart
    }

    /// `identifier = [a-f0-9]{64}`, anchored.
    static func isIdentifier(_ b: Bytes) -> Bool {
        b.count == 64 && b.allSatisfy(ASCII.isLowerHex)
    }

    /// The split of a reference by `ReferenceRegexp`: the name, tag and digest byte ranges (Go's submatches).
    struct ReferenceMatch {
        var name: Range<Int>
        var tag: Range<Int>?
        var digest: Range<Int>?
        /// The name split by `anchoredNameRegexp`: domain (nil when absent) and path.
        var domain: Range<Int>?
        var path: Range<Int>
    }

    /// `^(namePat)(?::(tag))?(?:@(digestPat))?$`, with Go's leftmost-first submatches.
    ///
    /// No part of a name or tag may contain `@`, so a digest starts after the first `@`. A tag contains neither `:`
    /// nor `/`, and a `:` inside a name only occurs in the domain before a `/`; so a tag exists exactly when the last
    /// `:` of the name-and-tag part comes after its last `/`, and then it is everything after that `:`.
    static func matchReference(_ b: Bytes) -> ReferenceMatch? {
        var end = b.count
        var digest: Range<Int>?
        if let at = b.firstIndex(of: UInt8(ascii: "@")) {
            guard isReferenceDigest(b, at + 1, b.count) else { return nil }
            digest = (at + 1)..<b.count
            end = at
        }
        var lastColon: Int?
        var lastSlash: Int?
        for k in 0..<end {
            if b[k] == UInt8(ascii: ":") { lastColon = k } else if b[k] == UInt8(ascii: "/") { lastSlash = k }
        }
        var nameEnd = end
        var tag: Range<Int>?
        if let colon = lastColon, colon > (lastSlash ?? -1) {
            guard isTag(b, colon + 1, end) else { return nil }
            tag = (colon + 1)..<end
            nameEnd = colon
        }
        guard let split = splitName(b, 0, nameEnd) else { return nil }
        return ReferenceMatch(name: 0..<nameEnd, tag: tag, digest: digest, domain: split.domain, path: split.path)
    }

    /// `^(?:(domainAndPort)/)?(remoteName)$` over `b[lo..<hi]`: the domain (nil when absent) and path ranges.
    /// The optional domain is tried first (leftmost-first), so the first component is a domain whenever it matches
    /// domain syntax and a valid remote name follows.
    static func splitName(_ b: Bytes, _ lo: Int, _ hi: Int) -> (domain: Range<Int>?, path: Range<Int>)? {
        if let slash = b[lo..<hi].firstIndex(of: UInt8(ascii: "/")),
           isDomainAndPort(b, lo, slash), isRemoteName(b, slash + 1, hi) {
            return (lo..<slash, (slash + 1)..<hi)
        }
        if isRemoteName(b, lo, hi) { return (nil, lo..<hi) }
        return nil
    }
}

extension Array where Element == UInt8 {
    /// The bytes in `range` as a String (the ranges used here always cut at ASCII boundaries).
    @inline(__always) func string(_ range: Range<Int>) -> String {
        String(decoding: self[range], as: UTF8.self)
    }
}
