import OCIImage

/// An `images[].glob` of a ClusterImagePolicy, with policy-controller's semantics.
///
/// `*` matches any run of characters except `/`; `**` matches any run including `/`; every other character is
/// literal (a `.` is a dot). The glob must match the whole name. Only letters, digits and `-_:/*.@` may appear.
/// The image is matched in go-containerregistry's fully qualified form — `index.docker.io/library/busybox:latest`,
/// `ghcr.io/org/app@sha256:…` — and, when that does not match, as written (policy-controller's deprecated
/// fallback). The globs `*` and `*/*` mean `index.docker.io/library/*` and `index.docker.io/*/*`.
public struct ImageGlob: Sendable, Hashable, CustomStringConvertible {
    enum Token: Sendable, Hashable {
        case literal(Unicode.Scalar)
        case segment   // *
        case anything  // **
    }

    /// The glob as written in the policy.
    public let pattern: String
    /// The glob after policy-controller's rewriting of `*` and `*/*`.
    public let effectivePattern: String
    let tokens: [Token]

    /// Compiles a glob; throws `InvalidGlob` when it has characters a glob may not have.
    public init(_ pattern: String) throws(InvalidGlob) {
        self.pattern = pattern
        var glob = pattern
        if glob == "*/*" { glob = "index.docker.io/*/*" }
        if glob == "*" { glob = "index.docker.io/library/*" }
        effectivePattern = glob
        guard !glob.isEmpty, glob.unicodeScalars.allSatisfy(ImageGlob.allowed) else {
            throw InvalidGlob(pattern: pattern)
        }
        var tokens: [Token] = []
        let scalars = Array(glob.unicodeScalars)
        var i = 0
        while i < scalars.count {
            if scalars[i] == "*" {
                if i + 1 < scalars.count, scalars[i + 1] == "*" {
                    tokens.append(.anything)
                    i += 2
                } else {
                    tokens.append(.segment)
                    i += 1
                }
            } else {
                tokens.append(.literal(scalars[i]))
                i += 1
            }
        }
        self.tokens = tokens
    }

    /// A glob with a character outside `[a-zA-Z0-9-_:/*.@]`.
    public struct InvalidGlob: Error, Sendable, Hashable {
        /// The glob as written.
        public let pattern: String
    }

    static func allowed(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ":", "/", "*", ".", "@": return true
        default: return false
        }
    }

    /// Whether `image` (a reference as written in a manifest) matches. Throws `ReferenceError` when the
    /// image is not a valid reference: an invalid reference matches no glob.
    public func matches(image: String) throws -> Bool {
        let name = try ImageGlob.qualifiedName(image)
        if matches(name: name) { return true }
        return name != image && matches(name: image)
    }

    /// Whether the glob matches `name` exactly, without qualifying it.
    public func matches(name: String) -> Bool {
        let text = Array(name.unicodeScalars)
        // memo[t][n]: nil unknown, else the answer for tokens[t...] against text[n...].
        var memo = [[Bool?]](repeating: [Bool?](repeating: nil, count: text.count + 1), count: tokens.count + 1)
        func match(_ t: Int, _ n: Int) -> Bool {
            if let known = memo[t][n] { return known }
            let result: Bool
            if t == tokens.count {
                result = n == text.count
            } else {
                switch tokens[t] {
                case .literal(let c):
                    result = n < text.count && text[n] == c && match(t + 1, n + 1)
                case .segment:
                    var end = n
                    var found = match(t + 1, end)
                    while !found, end < text.count, text[end] != "/" {
                        end += 1
                        found = match(t + 1, end)
                    }
                    result = found
                case .anything:
                    var end = n
                    var found = match(t + 1, end)
                    while !found, end < text.count {
                        end += 1
                        found = match(t + 1, end)
                    }
                    result = found
                }
            }
            memo[t][n] = result
            return result
        }
        return match(0, 0)
    }

    /// go-containerregistry's `Reference.Name()`: Docker Hub as `index.docker.io`, official images under
    /// `library/`, the tag `latest` when neither tag nor digest is given, and only the digest when both are.
    public static func qualifiedName(_ image: String) throws -> String {
        let reference = try ImageReference(normalizing: image)
        let registry = reference.domain == ImageReference.defaultDomain ? "index.docker.io" : reference.domain
        let repository = registry + "/" + reference.path
        if let digest = reference.digest { return repository + "@" + digest.string }
        return repository + ":" + (reference.tag ?? ImageReference.defaultTag)
    }

    /// The glob as written.
    public var description: String { pattern }
}
