import Foundation

/// The verdict on one image string: its status, its normalized docker reference and a remark.
public struct PinClassification: Sendable, Hashable {
    /// How the string is pinned.
    public var status: PinStatus
    /// The normalized docker reference (`name@digest` when pinned, `name:tag` otherwise), when the string is one.
    public var reference: String?
    /// Why (for malformed or placeholder digests, invalid references) or what to know (tag kept beside a digest).
    public var note: String?
    /// For status `error`: the stable code (`invalid_reference`).
    public var errorCode: String?
}

/// Decides how an image reference string is pinned.
///
/// Stricter than the peers (§6 of the OCI notes): a pin is `@sha256:` + 64 lower-case hex or `@sha512:` + 128
/// lower-case hex; anything else that contains `@` is a malformed digest, and a digest whose hex is an obvious
/// pattern is a placeholder.
public enum PinClassifier {
    /// Digest algorithms accepted as pins, with their hex length (OCI image-spec registered algorithms).
    public static let knownAlgorithms: [String: Int] = ["sha256": 64, "sha512": 128]

    /// Classifies one image string as it would be handed to the container runtime.
    public static func classify(_ raw: String) -> PinClassification {
        let value = raw.trimmingCharacters(in: .whitespaces)
        if value.contains("{{") {
            return PinClassification(status: .templated, reference: nil,
                                     note: "a template expression: only rendering decides the image", errorCode: nil)
        }
        if value.isEmpty {
            return PinClassification(status: .inherited, reference: nil,
                                     note: "empty image: the chart or controller falls back to a default",
                                     errorCode: nil)
        }
        if let at = value.firstIndex(of: "@") {
            return classifyDigested(value, at: at)
        }
        let (name, tag) = splitTag(Substring(value))
        guard let normalized = ReferenceGrammar.normalizedName(name) else {
            return invalid("`\(value)` is not an image reference (repository name must be lower-case "
                + "path components, optionally after a registry host)")
        }
        guard let tag else {
            return PinClassification(status: .implicitLatest, reference: normalized + ":latest",
                                     note: "no tag and no digest: pulls :latest", errorCode: nil)
        }
        guard ReferenceGrammar.isValidTag(tag) else {
            return invalid("tag `\(tag)` is not valid (1-128 of [A-Za-z0-9_.-], not starting with . or -)")
        }
        return PinClassification(status: .tag, reference: normalized + ":" + tag,
                                 note: tag == "latest" ? "explicit :latest" : nil, errorCode: nil)
    }

    private static func invalid(_ note: String) -> PinClassification {
        PinClassification(status: .error, reference: nil, note: note,
                          errorCode: ScanError.Code.invalidReference.rawValue)
    }

    private static func malformed(_ note: String) -> PinClassification {
        PinClassification(status: .malformedDigest, reference: nil, note: note, errorCode: nil)
    }

    private static func classifyDigested(_ value: String, at: String.Index) -> PinClassification {
        let namePart = value[..<at]
        let digestPart = value[value.index(after: at)...]
        if digestPart.contains("@") {
            return malformed("more than one `@`")
        }
        if namePart.hasSuffix(":") {
            return malformed("empty tag before `@` (`repo:@sha256:…`): a template rendered an empty tag")
        }
        let pieces = digestPart.split(separator: ":", omittingEmptySubsequences: false)
        if pieces.count < 2 {
            return malformed("digest `\(digestPart)` has no algorithm (expected `sha256:<64 hex>`)")
        }
        if pieces.count > 2 {
            return malformed("text after the digest (`repo@sha256:…:tag`): a tag must come before `@`")
        }
        let algorithm = String(pieces[0]), hex = pieces[1]
        guard let length = knownAlgorithms[algorithm] else {
            if algorithm.lowercased() != algorithm, knownAlgorithms[algorithm.lowercased()] != nil {
                return malformed("digest algorithm `\(algorithm)` must be lower-case")
            }
            return malformed("unknown digest algorithm `\(algorithm)` (sha256 or sha512 expected)")
        }
        if hex.isEmpty {
            return malformed("empty \(algorithm) digest: a template rendered an empty digest")
        }
        if !hex.utf8.allSatisfy(isHex) {
            return malformed("\(algorithm) digest contains characters that are not hex")
        }
        if hex.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "F") }) {
            return malformed("\(algorithm) digest uses upper-case hex (OCI: [A-F] MUST NOT be used)")
        }
        if hex.utf8.count != length {
            return malformed("\(algorithm) digest has \(hex.utf8.count) hex characters, \(length) expected")
        }
        let (name, tag) = splitTag(namePart)
        guard let normalized = ReferenceGrammar.normalizedName(name) else {
            return invalid("`\(namePart)` is not a repository name (lower-case path components, optionally "
                + "after a registry host)")
        }
        if let tag, !ReferenceGrammar.isValidTag(tag) {
            return invalid("tag `\(tag)` is not valid (1-128 of [A-Za-z0-9_.-], not starting with . or -)")
        }
        let digest = algorithm + ":" + hex
        if let why = placeholderReason(hex) {
            return PinClassification(status: .placeholderDigest, reference: normalized + "@" + digest,
                                     note: "the digest looks fake: \(why)", errorCode: nil)
        }
        var note: String? = nil
        if let tag {
            note = "tag \(tag) kept beside the digest; the digest decides what is pulled"
        }
        if algorithm != "sha256" {
            note = [note, "\(algorithm) pin: valid OCI, but some tools accept only sha256"]
                .compactMap { $0 }.joined(separator: "; ")
        }
        return PinClassification(status: .pinned, reference: normalized + "@" + digest, note: note, errorCode: nil)
    }

    /// Why a lower-case hex digest looks like a placeholder, or nil when it looks like a real hash.
    public static func placeholderReason(_ hex: Substring) -> String? {
        let bytes = Array(hex.utf8)
        guard !bytes.isEmpty else { return nil }
        var distinct = Set<UInt8>()
        for b in bytes { distinct.insert(b) }
        if distinct.count == 1 { return "one repeated character" }
        if distinct.count <= 4 { return "only \(distinct.count) distinct hex characters" }
        for period in 2...16 where period < bytes.count {
            var repeats = true
            for i in period..<bytes.count where bytes[i] != bytes[i - period] {
                repeats = false
                break
            }
            if repeats { return "a pattern of \(period) characters repeated" }
        }
        var run = 1, longest = 1
        for i in 1..<bytes.count {
            run = bytes[i] == bytes[i - 1] ? run + 1 : 1
            longest = max(longest, run)
        }
        if longest >= 16 { return "a run of \(longest) identical characters" }
        return nil
    }

    /// Splits `name[:tag]` (the tag is after the last `:` that follows the last `/`).
    static func splitTag(_ s: Substring) -> (name: Substring, tag: Substring?) {
        let lastSlash = s.lastIndex(of: "/")
        if let colon = s.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            return (s[..<colon], s[s.index(after: colon)...])
        }
        return (s, nil)
    }

    @inline(__always) static func isHex(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || (b >= 97 && b <= 102) || (b >= 65 && b <= 70)
    }
}

/// The distribution/reference name grammar and docker normalization (REF normalize.go), used for composing
/// and normalizing references found in manifests.
enum ReferenceGrammar {
    /// `docker.io/library/x` style fully-qualified name, or nil when `name` is not a valid repository name.
    static func normalizedName(_ name: Substring) -> String? {
        guard !name.isEmpty else { return nil }
        var domain = "docker.io"
        var remainder = name
        if let slash = name.firstIndex(of: "/") {
            let first = name[..<slash]
            if first == "localhost" || first.contains(".") || first.contains(":")
                || first.contains(where: { $0.isUppercase }) {
                guard isValidDomain(first) else { return nil }
                domain = first == "index.docker.io" ? "docker.io" : String(first)
                remainder = name[name.index(after: slash)...]
            }
        }
        if domain == "docker.io", !remainder.contains("/") {
            remainder = "library/" + remainder
        }
        guard remainder.utf8.count <= 255, isValidPath(remainder) else { return nil }
        return domain + "/" + remainder
    }

    /// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    static func isValidTag(_ tag: Substring) -> Bool {
        let u = Array(tag.utf8)
        guard !u.isEmpty, u.count <= 128 else { return false }
        func word(_ b: UInt8) -> Bool {
            (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95
        }
        guard word(u[0]) else { return false }
        return u.dropFirst().allSatisfy { word($0) || $0 == 46 || $0 == 45 }
    }

    /// host[:port] where host is domain components or `[ipv6]`.
    static func isValidDomain(_ d: Substring) -> Bool {
        var host = d
        if d.hasPrefix("[") {
            guard let close = d.firstIndex(of: "]") else { return false }
            let inner = d[d.index(after: d.startIndex)..<close]
            guard !inner.isEmpty, inner.utf8.allSatisfy({ PinClassifier.isHex($0) || $0 == 58 }) else { return false }
            let rest = d[d.index(after: close)...]
            return rest.isEmpty || (rest.first == ":" && rest.count > 1 && rest.dropFirst().allSatisfy(\.isNumber))
        }
        if let colon = d.firstIndex(of: ":") {
            let port = d[d.index(after: colon)...]
            guard !port.isEmpty, port.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
            host = d[..<colon]
        }
        let comps = host.split(separator: ".", omittingEmptySubsequences: false)
        for c in comps {
            let u = Array(c.utf8)
            guard !u.isEmpty else { return false }
            func alnum(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
            guard alnum(u[0]), alnum(u[u.count - 1]), u.allSatisfy({ alnum($0) || $0 == 45 }) else { return false }
        }
        return true
    }

    /// path-component ('/' path-component)*, path-component = [a-z0-9]+ (separator [a-z0-9]+)*,
    /// separator = `.` | `_` | `__` | `-`+.
    static func isValidPath(_ p: Substring) -> Bool {
        for comp in p.split(separator: "/", omittingEmptySubsequences: false) {
            let u = Array(comp.utf8)
            guard !u.isEmpty else { return false }
            func alnum(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || (b >= 97 && b <= 122) }
            guard alnum(u[0]), alnum(u[u.count - 1]) else { return false }
            var i = 0
            while i < u.count {
                if alnum(u[i]) { i += 1; continue }
                // a separator run
                var j = i
                while j < u.count, !alnum(u[j]) { j += 1 }
                let sep = u[i..<j]
                let ok = sep.elementsEqual([46]) || sep.elementsEqual([95]) || sep.elementsEqual([95, 95])
                    || sep.allSatisfy { $0 == 45 }
                guard ok else { return false }
                i = j
            }
        }
        return true
    }
}
