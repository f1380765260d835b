/// A container image reference `[domain/]path[:tag][@digest]`, parsed exactly as distribution/reference does.
///
/// - ``parse(_:availableAlgorithms:)`` is strict (`reference.Parse`): no defaults are added, so `ubuntu` has an
///   empty ``domain`` and `test.com:5000` is the name `test.com` with tag `5000`.
/// - ``init(normalizing:availableAlgorithms:)`` applies Docker normalization (`reference.ParseNormalizedNamed`):
///   `ubuntu` → `docker.io/library/ubuntu`, `index.docker.io` → `docker.io`, `localhost` and names with `.` or `:`
///   or upper case in the first component are registries.
/// - ``parseDockerReference(_:availableAlgorithms:)`` (`reference.ParseDockerRef`) also adds `:latest` to a bare
///   name and drops the tag when a digest is present (the digest is authoritative).
///
/// A digest in a reference is checked by the go-digest rules: the algorithm must be available (sha256, sha384 and
/// sha512 by default) and the encoded part lowercase hex of the right length.
public struct ImageReference: Sendable, Hashable, CustomStringConvertible {
    /// The registry host with optional port (`docker.io`, `localhost:5000`, `[::1]:5000`); empty when a strictly
    /// parsed reference has none, and — exactly as in distribution/reference — even after normalization when the
    /// first component looks like a host but is not a valid one (`foo_bar.com/x`). Registry clients must refuse an
    /// empty domain.
    public let domain: String
    /// The repository path within the registry (`library/ubuntu`); at most 255 characters.
    public let path: String
    /// The tag, if the reference has one.
    public let tag: String?
    /// The digest, if the reference has one.
    public let digest: Digest?

    /// Builds a reference from parts that are already valid (used by the parsers and `with…` methods).
    init(domain: String, path: String, tag: String?, digest: Digest?) {
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    /// The maximum length of ``path`` (`RepositoryNameTotalLengthMax`); the domain is not counted.
    public static let maximumPathLength = 255
    /// The tag Docker assumes when a reference has neither tag nor digest.
    public static let defaultTag = "latest"
    /// The registry Docker assumes for names without one.
    public static let defaultDomain = "docker.io"
    /// The algorithms accepted in reference digests unless a caller narrows them.
    public static let defaultAlgorithms: Set<DigestAlgorithm> = Set(DigestAlgorithm.allCases)

    /// The repository name: `domain/path`, or `path` when there is no domain.
    public var name: String { domain.isEmpty ? path : domain + "/" + path }

    /// The reference text `name[:tag][@digest]` (Go `String()`).
    public var string: String {
        var s = name
        if let tag { s += ":" + tag }
        if let digest { s += "@" + digest.string }
        return s
    }

    /// Same as ``string``.
    public var description: String { string }

    /// The docker reference form: `name@digest` when a digest is present, else `name:tag` with `latest` as the
    /// default tag. This is what a gate resolves and what verdicts name.
    public var canonical: String {
        if let digest { return name + "@" + digest.string }
        return name + ":" + (tag ?? Self.defaultTag)
    }

    /// True when the reference names content by digest.
    public var isDigestPinned: Bool { digest != nil }

    /// The name as Docker shows it: `docker.io/` removed, and `library/` removed when no further `/` follows
    /// (`docker.io/library/ubuntu` → `ubuntu`, `docker.io/library/foo/bar` → `library/foo/bar`).
    public var familiarName: String {
        guard domain == Self.defaultDomain else { return name }
        if path.hasPrefix("library/") {
            let rest = path.dropFirst("library/".count)
            if !rest.contains("/") { return String(rest) }
        }
        return path
    }

    /// The reference as Docker shows it: ``familiarName`` with the tag and digest.
    public var familiarString: String {
        var s = familiarName
        if let tag { s += ":" + tag }
        if let digest { s += "@" + digest.string }
        return s
    }

    /// The repository alone, without tag or digest (`reference.TrimNamed`).
    public var repository: ImageReference { ImageReference(domain: domain, path: path, tag: nil, digest: nil) }

    /// This reference in `ParseDockerRef` form: the tag dropped when a digest is present, `latest` added when
    /// there is neither.
    public var dockerReference: ImageReference {
        if digest != nil { return ImageReference(domain: domain, path: path, tag: nil, digest: digest) }
        if tag == nil { return ImageReference(domain: domain, path: path, tag: Self.defaultTag, digest: nil) }
        return self
    }

    // MARK: - Parsing

    /// Parses `s` strictly (`reference.Parse`): grammar, lowercase repository, path ≤ 255, digest by go-digest.
    /// - Parameter availableAlgorithms: the digest algorithms accepted; others fail with `digest_unsupported`.
    /// - Throws: ``ReferenceError`` with distribution/reference's message.
    public static func parse(_ s: String,
                             availableAlgorithms: Set<DigestAlgorithm> = defaultAlgorithms) throws -> ImageReference {
        switch strictParse(Array(s.utf8), input: s, available: availableAlgorithms) {
        case .success(let ref): return ref
        case .failure(let error): throw error
        }
    }

    /// The core of `reference.Parse`, on bytes, reporting errors against `input`.
    static func strictParse(_ b: [UInt8], input: String,
                            available: Set<DigestAlgorithm>) -> Result<ImageReference, ReferenceError> {
        guard !b.isEmpty else { return .failure(ReferenceError(.nameEmpty, input: input)) }
        guard let match = ReferenceGrammar.matchReference(b) else {
            // Go lowercases the string being parsed (for normalization: the docker.io-prefixed form).
            let lowered = Array(String(decoding: b, as: UTF8.self).lowercased().utf8)
            if lowered != b, ReferenceGrammar.matchReference(lowered) != nil {
                return .failure(ReferenceError(.nameContainsUppercase, input: input))
            }
            return .failure(ReferenceError(.invalidReferenceFormat, input: input))
        }
        let split = (domain: match.domain, path: match.path)
        guard split.path.count <= maximumPathLength else {
            return .failure(ReferenceError(.nameTooLong, input: input))
        }
        var digest: Digest?
        if let range = match.digest {
            switch Digest.goDigestParse(b, range.lowerBound, range.upperBound, input: input, available: available) {
            case .success(let d): digest = d
            case .failure(let error): return .failure(error)
            }
        }
        return .success(ImageReference(domain: split.domain.map { b.string($0) } ?? "",
                                       path: b.string(split.path),
                                       tag: match.tag.map { b.string($0) },
                                       digest: digest))
    }

    /// Parses `s` with Docker normalization (`reference.ParseNormalizedNamed`): names without a registry get
    /// `docker.io` (and `library/` for single names). The result has a domain except in the case described at
    /// ``domain``.
    /// - Throws: ``ReferenceError``; a 64-hex-character input is refused (it would be an image id, not a name).
    public init(normalizing s: String, availableAlgorithms: Set<DigestAlgorithm> = ImageReference.defaultAlgorithms) throws {
        let b = Array(s.utf8)
        if ReferenceGrammar.isIdentifier(b) {
            throw ReferenceError(.identifierNotAllowed, input: s,
                                 message: "invalid repository name (\(s)), cannot specify 64-byte hexadecimal strings")
        }
        let (domain, remainder) = Self.splitDockerDomain(b)
        let remoteEnd = remainder.firstIndex(of: UInt8(ascii: ":")) ?? remainder.endIndex
        if !Self.isLowercase(remainder[remainder.startIndex..<remoteEnd]) {
            let remoteText = String(decoding: remainder[remainder.startIndex..<remoteEnd], as: UTF8.self)
            throw ReferenceError(.nameContainsUppercase, input: s,
                                 message: "invalid reference format: repository name (\(remoteText)) must be lowercase")
        }
        var full = [UInt8]()
        full.reserveCapacity(domain.count + 1 + remainder.count)
        full.append(contentsOf: domain)
        full.append(UInt8(ascii: "/"))
        full.append(contentsOf: remainder)
        switch Self.strictParse(full, input: s, available: availableAlgorithms) {
        case .success(let ref): self = ref
        case .failure(let error): throw error
        }
    }

    /// Same as ``init(normalizing:availableAlgorithms:)`` (`reference.ParseNormalizedNamed`).
    public static func parseNormalized(_ s: String,
                                       availableAlgorithms: Set<DigestAlgorithm> = defaultAlgorithms) throws -> ImageReference {
        try ImageReference(normalizing: s, availableAlgorithms: availableAlgorithms)
    }

    /// Parses a reference that must already be fully qualified (`reference.ParseNamed`): normalizing it must not
    /// change it, else `name_not_canonical`.
    public static func parseNamed(_ s: String,
                                  availableAlgorithms: Set<DigestAlgorithm> = defaultAlgorithms) throws -> ImageReference {
        let ref = try ImageReference(normalizing: s, availableAlgorithms: availableAlgorithms)
        guard ref.string == s else { throw ReferenceError(.nameNotCanonical, input: s) }
        return ref
    }

    /// Parses with normalization and returns the docker reference form (`reference.ParseDockerRef`): `name@digest`
    /// when a digest is present (a tag beside it is dropped), else `name:tag` with `latest` added if absent.
    public static func parseDockerReference(_ s: String,
                                            availableAlgorithms: Set<DigestAlgorithm> = defaultAlgorithms) throws -> ImageReference {
        try ImageReference(normalizing: s, availableAlgorithms: availableAlgorithms).dockerReference
    }

    private static let dockerIOBytes: [UInt8] = Array(defaultDomain.utf8)
    private static let libraryPrefix: [UInt8] = Array("library/".utf8)
    private static let localhostBytes: [UInt8] = Array("localhost".utf8)
    private static let indexDockerIOBytes: [UInt8] = Array("index.docker.io".utf8)

    /// Go's `strings.ToLower(x) == x`: ASCII fast path, Unicode lowercasing otherwise (messages stay exact).
    static func isLowercase(_ bytes: ArraySlice<UInt8>) -> Bool {
        if bytes.allSatisfy({ $0 < 0x80 }) { return !bytes.contains { $0 >= 0x41 && $0 <= 0x5A } }
        let text = String(decoding: bytes, as: UTF8.self)
        return text.lowercased() == text
    }

    /// Docker's split of a familiar name into registry and remainder (`splitDockerDomain`).
    static func splitDockerDomain(_ b: [UInt8]) -> (domain: ArraySlice<UInt8>, remainder: ArraySlice<UInt8>) {
        guard let slash = b.firstIndex(of: UInt8(ascii: "/")) else {
            return (dockerIOBytes[...], (libraryPrefix + b)[...])
        }
        let first = b[..<slash]
        let rest = b[(slash + 1)...]
        var domain: ArraySlice<UInt8>
        var remainder: ArraySlice<UInt8>
        if first.elementsEqual(localhostBytes) {
            (domain, remainder) = (first, rest)
        } else if first.elementsEqual(indexDockerIOBytes) {
            (domain, remainder) = (dockerIOBytes[...], rest)
        } else if first.contains(UInt8(ascii: ".")) || first.contains(UInt8(ascii: ":")) || !isLowercase(first) {
            (domain, remainder) = (first, rest)
        } else {
            (domain, remainder) = (dockerIOBytes[...], b[...])
        }
        if domain.elementsEqual(dockerIOBytes), !remainder.contains(UInt8(ascii: "/")) {
            remainder = (libraryPrefix + remainder)[...]
        }
        return (domain, remainder)
    }

    // MARK: - Building

    /// A name-only reference from `name` (`reference.WithName`): anchored name grammar, no normalization.
    public static func withName(_ name: String) throws -> ImageReference {
        let b = Array(name.utf8)
        guard let split = ReferenceGrammar.splitName(b, 0, b.count) else {
            throw ReferenceError(.invalidReferenceFormat, input: name)
        }
        guard split.path.count <= maximumPathLength else { throw ReferenceError(.nameTooLong, input: name) }
        return ImageReference(domain: split.domain.map { b.string($0) } ?? "", path: b.string(split.path),
                              tag: nil, digest: nil)
    }

    /// This reference with `tag` (`reference.WithTag`); a digest is kept.
    /// - Throws: ``ReferenceError/Code/tagInvalidFormat`` unless `tag` matches `[\w][\w.-]{0,127}`.
    public func withTag(_ tag: String) throws -> ImageReference {
        let b = Array(tag.utf8)
        guard ReferenceGrammar.isTag(b, 0, b.count) else {
            throw ReferenceError(.tagInvalidFormat, input: tag, subject: .tag)
        }
        return ImageReference(domain: domain, path: path, tag: tag, digest: digest)
    }

    /// This reference with a digest given as text (`reference.WithDigest`); a tag is kept.
    ///
    /// Like Go, only the reference digest grammar is checked (`alg:` + at least 32 hex digits), not the length
    /// for the algorithm; the result's ``Digest/isVerifiable`` tells whether content can be checked against it.
    /// - Throws: ``ReferenceError/Code/digestInvalidFormat``.
    public func withDigest(_ digest: String) throws -> ImageReference {
        let b = Array(digest.utf8)
        guard ReferenceGrammar.isReferenceDigest(b, 0, b.count),
              let colon = b.firstIndex(of: UInt8(ascii: ":")) else {
            throw ReferenceError(.digestInvalidFormat, input: digest, subject: .digest)
        }
        return withDigest(Digest(unchecked: digest, colon: colon))
    }

    /// This reference with `digest`; a tag is kept.
    public func withDigest(_ digest: Digest) -> ImageReference {
        ImageReference(domain: domain, path: path, tag: tag, digest: digest)
    }

    // MARK: - Matching

    /// Docker's `FamiliarMatch`: Go `path.Match` of `pattern` against ``familiarString``, then against
    /// ``familiarName`` (`*` does not cross `/`; `**` is not special).
    /// - Throws: ``ReferenceError/Code/badPattern`` for a malformed pattern.
    public func familiarMatch(_ pattern: String) throws -> Bool {
        if try GoPathMatch.match(pattern, familiarString) { return true }
        return (try? GoPathMatch.match(pattern, familiarName)) ?? false
    }
}

/// A reference that is either a named image reference or a bare digest (`reference.ParseAnyReference`).
public enum AnyReference: Sendable, Hashable, CustomStringConvertible {
    /// A named reference (normalized).
    case named(ImageReference)
    /// A bare digest, e.g. from `sha256:<hex>` or a 64-hex image id.
    case digest(Digest)

    /// Parses a 64-hex identifier as `sha256:<id>`, a digest string as a digest, else a normalized name
    /// (`reference.ParseAnyReference`).
    public static func parse(_ s: String,
                             availableAlgorithms: Set<DigestAlgorithm> = ImageReference.defaultAlgorithms) throws -> AnyReference {
        let b = Array(s.utf8)
        if ReferenceGrammar.isIdentifier(b) {
            return .digest(Digest(unchecked: "sha256:" + s, colon: 6))
        }
        if case .success(let d) = Digest.goDigestParse(b, 0, b.count, input: s, available: availableAlgorithms) {
            return .digest(d)
        }
        return .named(try ImageReference(normalizing: s, availableAlgorithms: availableAlgorithms))
    }

    /// The reference text.
    public var description: String {
        switch self {
        case .named(let ref): ref.string
        case .digest(let d): d.string
        }
    }

    /// The familiar form (a digest is shown as is).
    public var familiarString: String {
        switch self {
        case .named(let ref): ref.familiarString
        case .digest(let d): d.string
        }
    }

    /// `FamiliarMatch` for either kind of reference.
    public func familiarMatch(_ pattern: String) throws -> Bool {
        switch self {
        case .named(let ref): try ref.familiarMatch(pattern)
        case .digest(let d): try GoPathMatch.match(pattern, d.string)
        }
    }
}

extension ImageReference: Codable {
    /// Decodes a reference string with strict parsing (as Go's `reference.Field` does); errors name the input.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try ImageReference.parse(text)
        } catch let error as ReferenceError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description,
                                                    underlyingError: error))
        }
    }

    /// Encodes the reference as its ``string``.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(string)
    }
}
