/// What `verify-image reference` reports for one input: the normalized parts of a reference, or why it is invalid.
///
/// Encodes to the JSON object of the CLI contract: `input`, `valid`, `error`, `errorCode`, `name`, `familiar`,
/// `domain`, `path`, `tag`, `digest`, `canonical` (absent parts are `null`).
public struct ReferenceInspection: Sendable, Hashable, Codable {
    /// The text as given.
    public let input: String
    /// Whether the input is a valid image reference (after Docker normalization).
    public let valid: Bool
    /// For an invalid input, one line naming the input and the problem.
    public let error: String?
    /// For an invalid input, the stable reason code (``ReferenceError/Code``).
    public let errorCode: String?
    /// The fully qualified repository, e.g. `docker.io/library/ubuntu`.
    public let name: String?
    /// The familiar form as Docker prints it, e.g. `ubuntu:22.04`.
    public let familiar: String?
    /// The registry, e.g. `docker.io`.
    public let domain: String?
    /// The repository path, e.g. `library/ubuntu`.
    public let path: String?
    /// The tag as written (no default added).
    public let tag: String?
    /// The digest as written.
    public let digest: String?
    /// The docker reference form: `name@digest`, else `name:tag` with `latest` as the default.
    public let canonical: String?

    /// Inspects `input` with ``ImageReference/init(normalizing:availableAlgorithms:)``.
    public init(_ input: String) {
        self.input = input
        do {
            let ref = try ImageReference(normalizing: input)
            valid = true
            error = nil
            errorCode = nil
            name = ref.name
            familiar = ref.familiarString
            domain = ref.domain
            path = ref.path
            tag = ref.tag
            digest = ref.digest?.string
            canonical = ref.canonical
        } catch {
            valid = false
            if let e = error as? ReferenceError {
                self.error = e.description
                errorCode = e.code.rawValue
            } else {
                self.error = "invalid reference \(quotedForDisplay(input)): \(error)"
                errorCode = ReferenceError.Code.invalidReferenceFormat.rawValue
            }
            name = nil
            familiar = nil
            domain = nil
            path = nil
            tag = nil
            digest = nil
            canonical = nil
        }
    }

    private enum CodingKeys: String, CodingKey {
        case input, valid, error, errorCode, name, familiar, domain, path, tag, digest, canonical
    }

    /// Encodes every key, with `null` for absent values, so consumers see a fixed shape.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(input, forKey: .input)
        try c.encode(valid, forKey: .valid)
        try c.encode(error, forKey: .error)
        try c.encode(errorCode, forKey: .errorCode)
        try c.encode(name, forKey: .name)
        try c.encode(familiar, forKey: .familiar)
        try c.encode(domain, forKey: .domain)
        try c.encode(path, forKey: .path)
        try c.encode(tag, forKey: .tag)
        try c.encode(digest, forKey: .digest)
        try c.encode(canonical, forKey: .canonical)
    }
}
