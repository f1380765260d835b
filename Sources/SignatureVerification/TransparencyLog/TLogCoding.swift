// Small, strict byte codecs used by the transparency-log code (internal).
import Foundation

/// Base64, hex and PEM helpers for the transparency-log code. Strict: anything malformed yields nil.
enum TLogCoding {
    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Decoding table: 0...63 for alphabet characters (standard and URL-safe), 0xFF otherwise.
    private static let base64Table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, char) in base64Alphabet.enumerated() { table[Int(char)] = UInt8(index) }
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        return table
    }()

    /// Decodes base64 (standard or URL-safe alphabet, as protojson accepts), with or without `=` padding.
    /// Rejects whitespace, misplaced padding, impossible lengths and non-zero trailing bits.
    static func base64Decode<S: StringProtocol>(_ text: S) -> [UInt8]? {
        var utf8 = Array(text.utf8)
        var padding = 0
        while let last = utf8.last, last == UInt8(ascii: "=") {
            utf8.removeLast()
            padding += 1
        }
        if padding > 2 { return nil }
        if padding > 0 && (utf8.count + padding) % 4 != 0 { return nil }
        let remainder = utf8.count % 4
        if remainder == 1 { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for char in utf8 {
            let value = base64Table[Int(char)]
            if value == 0xFF { return nil }
            accumulator = (accumulator << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // Leftover bits must be zero (canonical encoding).
        if bits > 0 && (accumulator & ((1 << UInt32(bits)) - 1)) != 0 { return nil }
        return out
    }

    /// Encodes bytes as standard, padded base64.
    static func base64Encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(base64Alphabet[Int(value >> 18 & 63)])
            out.append(base64Alphabet[Int(value >> 12 & 63)])
            out.append(base64Alphabet[Int(value >> 6 & 63)])
            out.append(base64Alphabet[Int(value & 63)])
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let value = UInt32(bytes[index]) << 16
            out.append(base64Alphabet[Int(value >> 18 & 63)])
            out.append(base64Alphabet[Int(value >> 12 & 63)])
            out.append(UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        } else if rest == 2 {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out.append(base64Alphabet[Int(value >> 18 & 63)])
            out.append(base64Alphabet[Int(value >> 12 & 63)])
            out.append(base64Alphabet[Int(value >> 6 & 63)])
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hex (either case); nil on odd length or a non-hex character.
    static func hexDecode<S: StringProtocol>(_ text: S) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        if utf8.count % 2 != 0 { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): char - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): char - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Lowercase hex.
    static func hexEncode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The single PEM block in `bytes`: its label (e.g. `CERTIFICATE`, `PUBLIC KEY`) and DER content.
    /// Text outside the block is not allowed except surrounding whitespace; nil if malformed or if there is
    /// more than one block.
    static func pemDecode(_ bytes: [UInt8]) -> (label: String, der: [UInt8])? {
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        let trimmed = text.trimmingASCIIWhitespace()
        let beginPrefix = "-----BEGIN "
        guard trimmed.hasPrefix(beginPrefix) else { return nil }
        let afterBegin = trimmed.dropFirst(beginPrefix.count)
        guard let labelEnd = afterBegin.range(of: "-----") else { return nil }
        let label = String(afterBegin[..<labelEnd.lowerBound])
        if label.isEmpty || label.contains("\n") { return nil }
        let endMarker = "-----END \(label)-----"
        guard trimmed.hasSuffix(endMarker) else { return nil }
        let bodyStart = labelEnd.upperBound
        let bodyEnd = trimmed.index(trimmed.endIndex, offsetBy: -endMarker.count)
        guard bodyStart <= bodyEnd else { return nil }
        let body = trimmed[bodyStart..<bodyEnd]
        if body.contains("-----") { return nil }   // a second block
        let base64 = body.unicodeScalars.filter { $0 != "\n" && $0 != "\r" && $0 != " " && $0 != "\t" }
        guard let der = base64Decode(String(String.UnicodeScalarView(base64))), !der.isEmpty else { return nil }
        return (label, der)
    }
}

fileprivate extension StringProtocol {
    /// The string without leading and trailing ASCII whitespace (space, tab, CR, LF).
    func trimmingASCIIWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        let whole = self[...]
        guard let first = whole.firstIndex(where: { !isSpace($0) }), let last = whole.lastIndex(where: { !isSpace($0) })
        else { return Substring() }
        return Substring(whole[first...last])
    }
}
