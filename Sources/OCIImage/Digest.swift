/// A digest algorithm this project can verify (content is hashed by CryptoPrimitives; see RegistryAccess).
public enum DigestAlgorithm: String, Sendable, Hashable, CaseIterable, Codable {
    /// SHA-256; the OCI default and the only algorithm every registry must support.
    case sha256
    /// SHA-384 (registered in go-digest; not an OCI-registered algorithm).
    case sha384
    /// SHA-512 (OCI-registered; many tools do not accept it in references).
    case sha512

    /// The number of hex characters of an encoded digest: twice the hash size in bytes.
    public var encodedLength: Int {
        switch self {
        case .sha256: 64
        case .sha384: 96
        case .sha512: 128
        }
    }

    /// The hash output size in bytes.
    public var byteCount: Int { encodedLength / 2 }
}

/// A content digest `algorithm:encoded`, e.g. `sha256:6c3c…`.
///
/// Build one with ``init(validating:allowUnrecognizedAlgorithms:)`` from untrusted text (OCI grammar; registered
/// algorithms must use lowercase hex of the right length; other algorithms that fit the grammar are accepted and
/// reported by ``isRecognized``), or with ``init(algorithm:hash:)`` from a computed hash. References parsed with
/// ``ImageReference`` carry digests validated by the go-digest rules. Equality is by the exact string.
public struct Digest: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// The full `algorithm:encoded` text.
    public let string: String
    /// The length of the algorithm part (the `:` follows it).
    private let colon: Int

    /// The algorithm part, e.g. `sha256`.
    public var algorithm: String { String(decoding: string.utf8.prefix(colon), as: UTF8.self) }
    /// The encoded part after the `:`, e.g. 64 hex characters for sha256.
    public var encoded: String { String(decoding: string.utf8.dropFirst(colon + 1), as: UTF8.self) }
    /// The algorithm, when it is one this project can compute.
    public var knownAlgorithm: DigestAlgorithm? { DigestAlgorithm(rawValue: algorithm) }
    /// True when the algorithm is recognized and the encoded part is lowercase hex of exactly the right length:
    /// only such a digest can be checked against content. A digest for which this is false must be treated as
    /// "cannot verify", never as a match.
    public var isVerifiable: Bool {
        guard let alg = knownAlgorithm else { return false }
        let enc = string.utf8.dropFirst(colon + 1)
        return enc.count == alg.encodedLength && enc.allSatisfy(ASCII.isLowerHex)
    }
    /// True when the algorithm is one of ``DigestAlgorithm`` (the OCI spec asks implementations to accept
    /// well-formed digests with unrecognized algorithms, which cannot be verified).
    public var isRecognized: Bool { knownAlgorithm != nil }

    /// The text form, `algorithm:encoded`.
    public var description: String { string }

    /// Orders digests by their text.
    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.string < rhs.string }

    /// Wraps text already checked by a caller in this module.
    init(unchecked string: String, colon: Int) {
        self.string = string
        self.colon = colon
    }

    /// Makes the digest of content whose `algorithm` hash is `hash` (raw bytes, e.g. from CryptoPrimitives).
    /// - Throws: ``ReferenceError/Code/checksumInvalidLength`` when `hash` has the wrong size for `algorithm`.
    public init(algorithm: DigestAlgorithm, hash: [UInt8]) throws {
        guard hash.count == algorithm.byteCount else {
            throw ReferenceError(.checksumInvalidLength, input: "\(algorithm.rawValue):(\(hash.count) bytes)",
                                 subject: .digest,
                                 message: "a \(algorithm.rawValue) hash is \(algorithm.byteCount) bytes, got \(hash.count)")
        }
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(algorithm.rawValue.utf8.count + 1 + hash.count * 2)
        text.append(contentsOf: algorithm.rawValue.utf8)
        text.append(UInt8(ascii: ":"))
        for byte in hash {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        self.init(unchecked: String(decoding: text, as: UTF8.self), colon: algorithm.rawValue.utf8.count)
    }

    /// Parses and validates a digest from untrusted text by the OCI image-spec rules:
    /// `algorithm ::= [a-z0-9]+ ([+._-] [a-z0-9]+)*`, `encoded ::= [a-zA-Z0-9=_-]+`; for sha256, sha384 and sha512
    /// the encoded part must be lowercase hex of exactly 64, 96 or 128 characters.
    ///
    /// - Parameter allowUnrecognizedAlgorithms: accept other algorithms that fit the grammar (OCI: "SHOULD allow";
    ///   such digests report `isRecognized == false` and cannot be verified). Pass `false` to require sha256,
    ///   sha384 or sha512.
    /// - Throws: ``ReferenceError`` (subject `.digest`) naming the rule that failed.
    public init(validating text: String, allowUnrecognizedAlgorithms: Bool = true) throws {
        let b = Array(text.utf8)
        func fail(_ code: ReferenceError.Code, _ message: String) -> ReferenceError {
            ReferenceError(code, input: text, subject: .digest, message: message)
        }
        guard let colon = b.firstIndex(of: UInt8(ascii: ":")) else {
            throw fail(.checksumInvalidFormat, "a digest is algorithm:encoded, e.g. sha256:<64 lowercase hex>; no ':' found")
        }
        guard colon > 0 else { throw fail(.checksumInvalidFormat, "the algorithm before ':' is empty") }
        guard colon + 1 < b.count else { throw fail(.checksumInvalidFormat, "the encoded part after ':' is empty") }
        guard Digest.isOCIAlgorithm(b, 0, colon) else {
            throw fail(.checksumInvalidFormat,
                       "the algorithm must be lowercase letters and digits, components separated by one of + . _ -")
        }
        let algorithmText = b.string(0..<colon)
        if let alg = DigestAlgorithm(rawValue: algorithmText) {
            let n = b.count - colon - 1
            guard n == alg.encodedLength else {
                throw fail(.checksumInvalidLength,
                           "a \(alg.rawValue) digest has \(alg.encodedLength) hex characters, this one has \(n)")
            }
            for k in (colon + 1)..<b.count where !ASCII.isLowerHex(b[k]) {
                throw fail(.checksumInvalidFormat, "the encoded part must be lowercase hex [0-9a-f]")
            }
        } else {
            for k in (colon + 1)..<b.count {
                let c = b[k]
                guard ASCII.isAlnum(c) || c == UInt8(ascii: "=") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") else {
                    throw fail(.checksumInvalidFormat, "the encoded part may only contain [a-zA-Z0-9=_-]")
                }
            }
            guard allowUnrecognizedAlgorithms else {
                throw fail(.digestUnsupported,
                           "unsupported digest algorithm \"\(algorithmText)\"; use sha256, sha384 or sha512")
            }
        }
        self.init(unchecked: text, colon: colon)
    }

    /// Parses a digest the way go-digest's `Parse` does (the rules behind distribution/reference), with
    /// `available` as the algorithms "linked into the binary". Messages are go-digest's exact texts.
    static func goDigestParse(_ b: [UInt8], _ lo: Int, _ hi: Int, input: String,
                              available: Set<DigestAlgorithm>) -> Result<Digest, ReferenceError> {
        guard let colon = b[lo..<hi].firstIndex(of: UInt8(ascii: ":")), colon > lo, colon + 1 < hi else {
            return .failure(ReferenceError(.checksumInvalidFormat, input: input))
        }
        let algorithmText = b.string(lo..<colon)
        guard let alg = DigestAlgorithm(rawValue: algorithmText), available.contains(alg) else {
            // go-digest: DigestRegexpAnchored = [a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+
            let encodedOK = b[(colon + 1)..<hi].allSatisfy { c in
                ASCII.isAlnum(c) || c == UInt8(ascii: "=") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
            }
            if isOCIAlgorithm(b, lo, colon) && encodedOK {
                return .failure(ReferenceError(.digestUnsupported, input: input))
            }
            return .failure(ReferenceError(.checksumInvalidFormat, input: input))
        }
        guard hi - colon - 1 == alg.encodedLength else {
            return .failure(ReferenceError(.checksumInvalidLength, input: input))
        }
        guard b[(colon + 1)..<hi].allSatisfy(ASCII.isLowerHex) else {
            return .failure(ReferenceError(.checksumInvalidFormat, input: input))
        }
        return .success(Digest(unchecked: b.string(lo..<hi), colon: colon - lo))
    }

    /// OCI / go-digest algorithm grammar: `[a-z0-9]+(?:[.+_-][a-z0-9]+)*`.
    static func isOCIAlgorithm(_ b: [UInt8], _ lo: Int, _ hi: Int) -> Bool {
        guard lo < hi else { return false }
        var atStart = true
        for k in lo..<hi {
            let c = b[k]
            if ASCII.isLowerAlnum(c) {
                atStart = false
            } else if !atStart, c == UInt8(ascii: ".") || c == UInt8(ascii: "+") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") {
                atStart = true
            } else {
                return false
            }
        }
        return !atStart
    }

    /// The tag under which a registry without the referrers API keeps the referrers index of this digest
    /// (distribution-spec "Referrers Tag Schema"): `<alg>-<encoded>`, the algorithm cut to 32 characters and the
    /// encoded part to 64, every character not allowed in a tag replaced by `-`. E.g. `sha256-<64 hex>`.
    public var referrersTag: String {
        let alg = string.utf8.prefix(colon).prefix(32)
        let enc = string.utf8.dropFirst(colon + 1).prefix(64)
        var out = [UInt8]()
        out.reserveCapacity(alg.count + 1 + enc.count)
        for c in alg { out.append(ASCII.isWord(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "-") ? c : UInt8(ascii: "-")) }
        out.append(UInt8(ascii: "-"))
        for c in enc { out.append(ASCII.isWord(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "-") ? c : UInt8(ascii: "-")) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The legacy cosign tag for this digest with `suffix` (`sig`, `att`, `sbom`): `sha256-<hex>.sig`.
    public func cosignTag(suffix: String) -> String {
        algorithm + "-" + encoded + "." + suffix
    }

    /// True when this digest's legacy cosign tags (`.sig`, `.att`) are valid tags (`[\w][\w.-]{0,127}`). A sha256
    /// or sha384 digest has them; a sha512 digest's would be 139 characters long, so the signatures of an image pinned
    /// by sha512 can only be OCI 1.1 referrers.
    public var hasCosignTags: Bool {
        let tag = Array(cosignTag(suffix: "sig").utf8)
        return ReferenceGrammar.isTag(tag, 0, tag.count)
    }

    /// Decodes a digest string, validating it with ``init(validating:allowUnrecognizedAlgorithms:)``.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(validating: text)
        } catch let error as ReferenceError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description,
                                                    underlyingError: error))
        }
    }

    /// Encodes the digest as its string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(string)
    }
}
