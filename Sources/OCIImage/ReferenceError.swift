/// The error thrown when an image reference, a digest string, a tag or a match pattern is not acceptable.
///
/// `message` is the exact text distribution/reference (or go-digest) gives for the same failure, so results can be
/// compared with Docker tooling; `description` adds the offending input, e.g.
/// `invalid reference "docker/Docker": invalid reference format: repository name (docker/Docker) must be lowercase`.
public struct ReferenceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable, snake_case identifiers of every way a reference or digest can be rejected.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The input is empty (`ErrNameEmpty`).
        case nameEmpty = "name_empty"
        /// The input does not follow the reference grammar (`ErrReferenceInvalidFormat`).
        case invalidReferenceFormat = "invalid_reference_format"
        /// The repository name contains upper-case letters (`ErrNameContainsUppercase`).
        case nameContainsUppercase = "name_contains_uppercase"
        /// The repository path is longer than 255 characters (`ErrNameTooLong`).
        case nameTooLong = "name_too_long"
        /// `parseNamed` was given a reference that is not in fully-qualified form (`ErrNameNotCanonical`).
        case nameNotCanonical = "name_not_canonical"
        /// A tag does not match `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}` (`ErrTagInvalidFormat`).
        case tagInvalidFormat = "tag_invalid_format"
        /// A digest does not match the reference digest grammar (`ErrDigestInvalidFormat`).
        case digestInvalidFormat = "digest_invalid_format"
        /// A digest string is malformed: no `:`, bad characters or bad case (go-digest `ErrDigestInvalidFormat`).
        case checksumInvalidFormat = "checksum_invalid_format"
        /// A digest's encoded part has the wrong length for its algorithm (go-digest `ErrDigestInvalidLength`).
        case checksumInvalidLength = "checksum_invalid_length"
        /// A digest names an algorithm this build does not support (go-digest `ErrDigestUnsupported`).
        case digestUnsupported = "digest_unsupported"
        /// A 64-hex-character string was given where a repository name is expected.
        case identifierNotAllowed = "identifier_not_allowed"
        /// A match pattern is malformed (Go `path.ErrBadPattern`).
        case badPattern = "bad_pattern"
    }

    /// What kind of text was rejected; it selects the wording of ``description``.
    public enum Subject: String, Sendable, Hashable {
        /// An image reference.
        case reference
        /// A digest string.
        case digest
        /// A tag.
        case tag
        /// A match pattern.
        case pattern
    }

    /// The stable reason code.
    public let code: Code
    /// The rejected input, verbatim.
    public let input: String
    /// The kind of text that was rejected.
    public let subject: Subject
    /// The exact distribution/reference (or go-digest) error text, or for ``Digest`` validation a specific reason.
    public let message: String

    /// Creates an error; `message` defaults to the standard text for `code`.
    public init(_ code: Code, input: String, subject: Subject = .reference, message: String? = nil) {
        self.code = code
        self.input = input
        self.subject = subject
        self.message = message ?? code.standardMessage
    }

    /// One line naming the input and the problem, safe to print (control characters escaped, long inputs cut).
    public var description: String {
        "invalid \(subject.rawValue) \(quotedForDisplay(input)): \(message)"
    }
}

extension ReferenceError.Code {
    /// The exact message distribution/reference or go-digest uses for this failure.
    public var standardMessage: String {
        switch self {
        case .nameEmpty: "repository name must have at least one component"
        case .invalidReferenceFormat: "invalid reference format"
        case .nameContainsUppercase: "repository name must be lowercase"
        case .nameTooLong: "repository name must not be more than 255 characters"
        case .nameNotCanonical: "repository name must be canonical"
        case .tagInvalidFormat: "invalid tag format"
        case .digestInvalidFormat: "invalid digest format"
        case .checksumInvalidFormat: "invalid checksum digest format"
        case .checksumInvalidLength: "invalid checksum digest length"
        case .digestUnsupported: "unsupported digest algorithm"
        case .identifierNotAllowed: "cannot specify 64-byte hexadecimal strings"
        case .badPattern: "syntax error in pattern"
        }
    }
}

/// Quotes `s` for a one-line message: escapes quotes, backslashes and control characters; cuts inputs over 256
/// characters (saying how long they were) so a hostile input cannot flood a log.
func quotedForDisplay(_ s: String) -> String {
    var out = "\""
    var count = 0
    for scalar in s.unicodeScalars {
        if count == 256 {
            out += "…\" (\(s.utf8.count) bytes)"
            return out
        }
        count += 1
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value) {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
