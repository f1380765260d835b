import CryptoPrimitives
import Foundation

/// Matches a string exactly or against an anchored regular expression (the whole value must match).
public struct StringMatcher: Sendable, Hashable, CustomStringConvertible {
    /// How the expected value is compared.
    public enum Kind: String, Sendable, Hashable {
        /// Byte-for-byte equality.
        case exact
        /// Anchored regular expression (ICU syntax): `\A(?:pattern)\z`.
        case regexp
    }

    /// The comparison kind.
    public let kind: Kind
    /// The expected value or the pattern.
    public let value: String
    private let regex: RegexBox?

    /// An exact matcher.
    public static func exact(_ value: String) -> StringMatcher { StringMatcher(kind: .exact, value: value, regex: nil) }

    /// An anchored regular-expression matcher; throws `policy_invalid` when the pattern does not compile.
    public static func regexp(_ pattern: String) throws -> StringMatcher {
        do {
            let compiled = try NSRegularExpression(pattern: "\\A(?:\(pattern))\\z", options: [])
            return StringMatcher(kind: .regexp, value: pattern, regex: RegexBox(compiled))
        } catch {
            throw SignatureVerificationError(.policyInvalid, check: .policy,
                                             "regular expression \"\(pattern)\" does not compile: \(error.localizedDescription)")
        }
    }

    private init(kind: Kind, value: String, regex: RegexBox?) {
        self.kind = kind
        self.value = value
        self.regex = regex
    }

    /// Whether `candidate` satisfies the matcher.
    public func matches(_ candidate: String) -> Bool {
        switch kind {
        case .exact:
            return candidate == value
        case .regexp:
            guard let regex else { return false }
            let range = NSRange(candidate.startIndex..<candidate.endIndex, in: candidate)
            return regex.expression.firstMatch(in: candidate, options: [], range: range) != nil
        }
    }

    /// `"value"` or `/pattern/`.
    public var description: String { kind == .exact ? "\"\(value)\"" : "/\(value)/ (anchored)" }

    /// Equality by kind and value.
    public static func == (lhs: StringMatcher, rhs: StringMatcher) -> Bool { lhs.kind == rhs.kind && lhs.value == rhs.value }
    /// Hash by kind and value.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(value)
    }
}

/// Holds a compiled expression; NSRegularExpression is immutable and thread-safe once built.
private final class RegexBox: @unchecked Sendable {
    let expression: NSRegularExpression
    init(_ expression: NSRegularExpression) { self.expression = expression }
}

/// The Fulcio certificate extensions (OIDs under 1.3.6.1.4.1.57264.1) decoded from a certificate.
public struct FulcioExtensions: Sendable, Equatable {
    /// Extension names by OID arc (1.3.6.1.4.1.57264.1.N); arcs 1–6 are raw strings, 8–22 DER UTF8String.
    public static let names: [Int: String] = [
        1: "issuerV1", 2: "githubWorkflowTrigger", 3: "githubWorkflowSHA", 4: "githubWorkflowName",
        5: "githubWorkflowRepository", 6: "githubWorkflowRef", 8: "issuer", 9: "buildSignerURI",
        10: "buildSignerDigest", 11: "runnerEnvironment", 12: "sourceRepositoryURI", 13: "sourceRepositoryDigest",
        14: "sourceRepositoryRef", 15: "sourceRepositoryIdentifier", 16: "sourceRepositoryOwnerURI",
        17: "sourceRepositoryOwnerIdentifier", 18: "buildConfigURI", 19: "buildConfigDigest", 20: "buildTrigger",
        21: "runInvocationURI", 22: "sourceRepositoryVisibilityAtSigning",
    ]
    /// The OID prefix of Fulcio extensions.
    public static let oidPrefix = "1.3.6.1.4.1.57264.1."

    /// Decoded values keyed by name (see `names`).
    public let values: [String: String]

    /// The OIDC issuer: OID .8 (DER UTF8String) when present, else the legacy OID .1 (raw bytes).
    public var issuer: String? { values["issuer"] ?? values["issuerV1"] }

    /// Decodes the Fulcio extensions of a certificate. Throws `bundle_invalid` when an extension is malformed, repeated,
    /// or when OIDs .1 and .8 disagree.
    public init(certificate: Certificate) throws {
        var values = [String: String]()
        for ext in certificate.extensions where ext.oid.hasPrefix(FulcioExtensions.oidPrefix) {
            let arcText = ext.oid.dropFirst(FulcioExtensions.oidPrefix.count)
            guard let arc = Int(arcText), let name = FulcioExtensions.names[arc] else { continue }
            let value: String
            if arc <= 6 {
                guard let text = String(validating: ext.value, as: UTF8.self) else {
                    throw certificateError("Fulcio extension \(ext.oid) is not UTF-8")
                }
                value = text
            } else {
                guard let text = derUTF8String(ext.value) else {
                    throw certificateError("Fulcio extension \(ext.oid) is not a DER UTF8String")
                }
                value = text
            }
            guard values[name] == nil else { throw certificateError("Fulcio extension \(ext.oid) appears twice") }
            values[name] = value
        }
        if let v1 = values["issuerV1"], let v2 = values["issuer"], v1 != v2 {
            throw certificateError("issuer extensions disagree: OID .1 says \"\(v1)\", OID .8 says \"\(v2)\"")
        }
        self.values = values
    }
}

/// The identity a certificate attests: its SAN (URI, email or Fulcio otherName) and OIDC issuer.
public struct CertificateIdentity: Sendable, Equatable {
    /// Which SAN kind the identity came from.
    public enum SANKind: String, Sendable {
        /// A URI SAN (workflow refs, SPIFFE ids).
        case uri
        /// An rfc822Name SAN.
        case email
        /// An otherName SAN of type 1.3.6.1.4.1.57264.1.7 (`user!issuer`).
        case otherName
    }

    /// The identity value.
    public let subjectAlternativeName: String
    /// Its kind.
    public let sanKind: SANKind
    /// The OIDC issuer (nil when the certificate has none).
    public let issuer: String?
    /// All decoded Fulcio extensions.
    public let extensions: FulcioExtensions

    /// The OID of Fulcio's otherName SAN type.
    public static let otherNameOID = "1.3.6.1.4.1.57264.1.7"

    /// Extracts the identity: the first URI SAN, else the first email, else the first Fulcio otherName.
    public init(certificate: Certificate) throws {
        extensions = try FulcioExtensions(certificate: certificate)
        issuer = extensions.issuer
        var uri: String?
        var email: String?
        var other: String?
        for san in certificate.subjectAlternativeNames {
            switch san {
            case .uri(let value): if uri == nil { uri = value }
            case .email(let value): if email == nil { email = value }
            case .otherName(let typeOID, let value):
                if typeOID == CertificateIdentity.otherNameOID, other == nil {
                    var inner = value
                    if let first = inner.first, first == 0xA0, let unwrapped = derContents(inner, tag: 0xA0) { inner = unwrapped }
                    other = derUTF8String(inner)
                }
            default: continue
            }
        }
        if let uri {
            subjectAlternativeName = uri
            sanKind = .uri
        } else if let email {
            subjectAlternativeName = email
            sanKind = .email
        } else if let other {
            subjectAlternativeName = other
            sanKind = .otherName
        } else {
            throw SignatureVerificationError(.identityMismatch, check: .certificateIdentity,
                                             "the signing certificate has no URI, email or Fulcio otherName SAN")
        }
    }

    /// Checks the identity against a policy's matchers; throws `identity_mismatch` / `issuer_mismatch`. A nil
    /// issuer matcher (private CAs only, see `VerificationPolicy.Identity`) accepts a certificate with any issuer
    /// or none.
    public func check(identity: StringMatcher, issuer expectedIssuer: StringMatcher?, extensions expected: [String: String]) throws {
        guard identity.matches(subjectAlternativeName) else {
            throw SignatureVerificationError(.identityMismatch, check: .certificateIdentity,
                                             "certificate identity is \"\(subjectAlternativeName)\", not \(identity); pass the signer's identity to --certificate-identity")
        }
        if let expectedIssuer {
            guard let issuer else {
                throw SignatureVerificationError(.issuerMismatch, check: .certificateIssuer,
                                                 "certificate has no OIDC issuer extension (1.3.6.1.4.1.57264.1.8 or .1)")
            }
            guard expectedIssuer.matches(issuer) else {
                throw SignatureVerificationError(.issuerMismatch, check: .certificateIssuer,
                                                 "certificate OIDC issuer is \"\(issuer)\", not \(expectedIssuer); pass the signer's issuer to --certificate-oidc-issuer")
            }
        }
        for (name, value) in expected.sorted(by: { $0.key < $1.key }) {
            guard extensions.values[name] == value else {
                throw SignatureVerificationError(.identityMismatch, check: .certificateExtensions,
                                                 "certificate extension \(name) is \"\(extensions.values[name] ?? "(absent)")\", not \"\(value)\"")
            }
        }
    }
}

private func certificateError(_ message: String) -> SignatureVerificationError {
    SignatureVerificationError(.bundleInvalid, check: .certificateExtensions, message)
}

/// The contents of a DER TLV with the given tag that spans exactly `der`; nil otherwise.
func derContents(_ der: [UInt8], tag: UInt8) -> [UInt8]? {
    guard der.count >= 2, der[0] == tag else { return nil }
    var length = 0
    var offset = 2
    let first = Int(der[1])
    if first < 0x80 {
        length = first
    } else {
        let count = first & 0x7F
        guard count >= 1, count <= 4, der.count >= 2 + count else { return nil }
        for index in 0..<count { length = length << 8 | Int(der[2 + index]) }
        guard length >= 0x80 else { return nil }  // DER: long form only when needed
        offset = 2 + count
    }
    guard offset + length == der.count else { return nil }
    return Array(der[offset...])
}

/// Decodes a DER UTF8String spanning exactly `der`.
func derUTF8String(_ der: [UInt8]) -> String? {
    guard let contents = derContents(der, tag: 0x0C) else { return nil }
    return String(validating: contents, as: UTF8.self)
}
