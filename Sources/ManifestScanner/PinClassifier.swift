import Foundation
import OCIImage

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
    /// The same algorithms as OCIImage's `DigestAlgorithm`s.
    static let acceptedAlgorithms: Set<DigestAlgorithm> = [.sha256, .sha512]

    /// Classifies one image string as it would be handed to the container runtime.
    public static func classify(_ raw: String) -> PinClassification {
        let value = hasNoEdgeWhitespace(raw) ? raw : raw.trimmingCharacters(in: .whitespaces)
        if containsTemplateOpening(value) {
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
        let ref: ImageReference
        do {
            ref = try ImageReference(normalizing: value, availableAlgorithms: acceptedAlgorithms)
        } catch let error as ReferenceError {
            return invalid("`\(value)` is not an image reference: \(error.message)")
        } catch {
            return invalid("`\(value)` is not an image reference")
        }
        guard let tag = ref.tag else {
            return PinClassification(status: .implicitLatest, reference: ref.canonical,
                                     note: "no tag and no digest: pulls :latest", errorCode: nil)
        }
        return PinClassification(status: .tag, reference: ref.canonical,
                                 note: tag == "latest" ? "explicit :latest" : nil, errorCode: nil)
    }

    /// The repository name of `name` normalized (`docker.io/library/x`), or nil when it is not a valid name.
    public static func normalizedName(_ name: String) -> String? {
        guard let ref = try? ImageReference(normalizing: name, availableAlgorithms: acceptedAlgorithms),
              ref.tag == nil, ref.digest == nil else { return nil }
        return ref.name
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
        let ref: ImageReference
        do {
            ref = try ImageReference(normalizing: value, availableAlgorithms: acceptedAlgorithms)
        } catch let error as ReferenceError {
            if error.subject == .digest { return malformed(error.message) }
            return invalid("`\(value)` is not an image reference: \(error.message)")
        } catch {
            return invalid("`\(value)` is not an image reference")
        }
        let tag = ref.tag
        let normalized = ref.name
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
        var seen: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)   // one bit per byte value
        for b in bytes {
            let bit = UInt64(1) << UInt64(b & 63)
            switch b >> 6 {
            case 0: seen.0 |= bit
            case 1: seen.1 |= bit
            case 2: seen.2 |= bit
            default: seen.3 |= bit
            }
        }
        let distinct = seen.0.nonzeroBitCount + seen.1.nonzeroBitCount + seen.2.nonzeroBitCount + seen.3.nonzeroBitCount
        if distinct == 1 { return "one repeated character" }
        if distinct <= 4 { return "only \(distinct) distinct hex characters" }
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
        let covered = patternedCharacters(bytes)
        if covered * 8 >= bytes.count * 5 {
            return "\(covered) of its \(bytes.count) characters follow a short repeating or counting pattern"
        }
        return nil
    }

    /// How many characters lie in a stretch of at least 12 that repeats with a period of up to 16 characters
    /// (`deadbeefdeadbeef`, `78901234567890`) or counts in steps that repeat with a period of up to 4
    /// (`0123456789`, `a1b2c3d4e5f6`). A real hash has almost none: eight chance matches in a row are rarer than
    /// one in four billion.
    static func patternedCharacters(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        var covered = [Bool](repeating: false, count: n)
        func mark(_ start: Int, _ end: Int) {
            guard end - start >= 12 else { return }
            for i in start..<end { covered[i] = true }
        }
        // Stretches where each character equals the one `period` places before it.
        for period in 1...16 where period < n {
            var runStart = period
            for i in period...n {
                if i < n, bytes[i] == bytes[i - period] { continue }
                if i - runStart >= max(period, 8) { mark(runStart - period, i) }
                runStart = i + 1
            }
        }
        // Stretches where each step (difference of neighbours) equals the step `period` places before it.
        let steps = (1..<max(n, 1)).map { Int(bytes[$0]) - Int(bytes[$0 - 1]) }
        for period in 1...4 where period < steps.count {
            var runStart = period
            for i in period...steps.count {
                if i < steps.count, steps[i] == steps[i - period] { continue }
                if i - runStart >= 8 { mark(runStart - period, i + 1) }
                runStart = i + 1
            }
        }
        return covered.reduce(0) { $0 + ($1 ? 1 : 0) }
    }

    /// Whether `text` begins and ends with a printable ASCII character, so `trimmingCharacters(in: .whitespaces)`
    /// would return it unchanged (the common case, decided without Foundation).
    @inline(__always) static func hasNoEdgeWhitespace(_ text: String) -> Bool {
        guard let first = text.utf8.first, let last = text.utf8.last else { return false }
        return first > 0x20 && first < 0x7F && last > 0x20 && last < 0x7F
    }

    /// Whether `text` contains `{{` (a template expression), by bytes.
    @inline(__always) static func containsTemplateOpening(_ text: String) -> Bool {
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "{") && previous == UInt8(ascii: "{") { return true }
            previous = byte
        }
        return false
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

