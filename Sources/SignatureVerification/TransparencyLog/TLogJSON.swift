// A strict JSON reader and an RFC 8785 (JCS) canonical writer for transparency-log data (internal).

/// A parsed JSON value. Objects keep their member order; numbers keep their exact lexeme.
enum TLogJSON: Sendable, Equatable {
    /// An object member.
    struct Member: Sendable, Equatable {
        let key: String
        let value: TLogJSON
    }

    case object([Member])
    case array([TLogJSON])
    case string(String)
    /// A number, as its exact JSON lexeme.
    case number(String)
    case bool(Bool)
    case null

    /// Why a document could not be read or written; `offset` is the byte offset of the problem.
    struct ParseError: Error, CustomStringConvertible, Sendable {
        let reason: String
        let offset: Int
        var description: String { "\(reason) at byte \(offset)" }
    }

    /// Maximum nesting of arrays and objects.
    static let maxDepth = 64

    // MARK: Access

    /// The member named `key` of an object, nil for other values or a missing key.
    subscript(key: String) -> TLogJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.key == key })?.value
    }

    /// The members of an object.
    var members: [Member]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements of an array.
    var elements: [TLogJSON]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The value of a string.
    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The value of an integer number (no fraction or exponent) that fits in Int64.
    var int64Value: Int64? {
        if case .number(let lexeme) = self, !lexeme.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
            return Int64(lexeme)
        }
        return nil
    }

    /// Convenience: an object from ordered (key, value) pairs.
    static func object(_ pairs: KeyValuePairs<String, TLogJSON>) -> TLogJSON {
        .object(pairs.map { Member(key: $0.key, value: $0.value) })
    }

    // MARK: Parsing

    /// Parses a complete JSON document (RFC 8259): no trailing content, no duplicate object keys, valid UTF-8,
    /// nesting at most `maxDepth`.
    static func parse(_ bytes: [UInt8]) throws(ParseError) -> TLogJSON {
        var parser = Parser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.index != bytes.count { throw ParseError(reason: "unexpected content after the JSON value", offset: parser.index) }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        func fail(_ reason: String) -> ParseError { ParseError(reason: reason, offset: index) }

        mutating func parseValue(depth: Int) throws(ParseError) -> TLogJSON {
            guard index < bytes.count else { throw fail("unexpected end of JSON") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
            case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
            case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
            case UInt8(ascii: "n"): try expectLiteral("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
            default: throw fail("unexpected character")
            }
        }

        mutating func expectLiteral(_ literal: StaticString) throws(ParseError) {
            let count = literal.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw fail("invalid literal") }
            let matches = literal.withUTF8Buffer { literalBytes in
                literalBytes.elementsEqual(bytes[index..<index + count])
            }
            guard matches else { throw fail("invalid literal") }
            index += count
        }

        mutating func parseObject(depth: Int) throws(ParseError) -> TLogJSON {
            if depth > TLogJSON.maxDepth { throw fail("JSON nested deeper than \(TLogJSON.maxDepth) levels") }
            index += 1
            var members = [Member]()
            var seen = Set<String>()
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected an object key") }
                let keyOffset = index
                let key = try parseString()
                if !seen.insert(key).inserted {
                    throw ParseError(reason: "duplicate object key \"\(key)\"", offset: keyOffset)
                }
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                index += 1
                skipWhitespace()
                let value = try parseValue(depth: depth)
                members.append(Member(key: key, value: value))
                skipWhitespace()
                guard index < bytes.count else { throw fail("unterminated object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                throw fail("expected ',' or '}'")
            }
        }

        mutating func parseArray(depth: Int) throws(ParseError) -> TLogJSON {
            if depth > TLogJSON.maxDepth { throw fail("JSON nested deeper than \(TLogJSON.maxDepth) levels") }
            index += 1
            var elements = [TLogJSON]()
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
            while true {
                skipWhitespace()
                elements.append(try parseValue(depth: depth))
                skipWhitespace()
                guard index < bytes.count else { throw fail("unterminated array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
                throw fail("expected ',' or ']'")
            }
        }

        mutating func parseHex4() throws(ParseError) -> UInt16 {
            guard index + 4 <= bytes.count else { throw fail("truncated \\u escape") }
            var value: UInt16 = 0
            for _ in 0..<4 {
                let char = bytes[index]
                let digit: UInt16
                switch char {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt16(char - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt16(char - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt16(char - UInt8(ascii: "A") + 10)
                default: throw fail("invalid \\u escape")
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }

        mutating func parseString() throws(ParseError) -> String {
            let start = index
            index += 1
            var out = [UInt8]()
            var runStart = index
            while true {
                guard index < bytes.count else { throw ParseError(reason: "unterminated string", offset: start) }
                let char = bytes[index]
                if char == UInt8(ascii: "\"") {
                    out.append(contentsOf: bytes[runStart..<index])
                    index += 1
                    break
                }
                if char < 0x20 { throw fail("unescaped control character in string") }
                if char != UInt8(ascii: "\\") { index += 1; continue }
                out.append(contentsOf: bytes[runStart..<index])
                index += 1
                guard index < bytes.count else { throw fail("unterminated escape") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    let unit = try parseHex4()
                    var scalarValue = UInt32(unit)
                    if (0xD800...0xDBFF).contains(unit) {
                        guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                        else { throw fail("unpaired surrogate in \\u escape") }
                        index += 2
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate in \\u escape") }
                        scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(unit) {
                        throw fail("unpaired surrogate in \\u escape")
                    }
                    guard let scalar = Unicode.Scalar(scalarValue) else { throw fail("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    throw fail("invalid escape")
                }
                runStart = index
            }
            guard let string = String(validating: out, as: UTF8.self) else {
                throw ParseError(reason: "string is not valid UTF-8", offset: start)
            }
            return string
        }

        mutating func parseNumber() throws(ParseError) -> String {
            let start = index
            func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail("invalid number") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else {
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard index < bytes.count, isDigit(bytes[index]) else { throw fail("invalid number fraction") }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard index < bytes.count, isDigit(bytes[index]) else { throw fail("invalid number exponent") }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index - start > 64 { throw ParseError(reason: "number longer than 64 characters", offset: start) }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
    }

    // MARK: RFC 8785 canonical form

    /// The RFC 8785 (JSON Canonicalization Scheme) serialization: object members sorted by the UTF-16 code units
    /// of their keys, no whitespace, strings escaped as ECMAScript `JSON.stringify` does, numbers in ECMAScript
    /// form. Only integral numbers of magnitude below 2^63 are supported (all that Rekor uses); others throw.
    func canonicalBytes() throws(ParseError) -> [UInt8] {
        var out = [UInt8]()
        try writeCanonical(into: &out)
        return out
    }

    private func writeCanonical(into out: inout [UInt8]) throws(ParseError) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .string(let value): TLogJSON.writeCanonicalString(value, into: &out)
        case .number(let lexeme): out.append(contentsOf: try TLogJSON.canonicalNumber(lexeme).utf8)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                try element.writeCanonical(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            let sorted = members.sorted { $0.key.utf16.lexicographicallyPrecedes($1.key.utf16) }
            out.append(UInt8(ascii: "{"))
            for (position, member) in sorted.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                TLogJSON.writeCanonicalString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                try member.value.writeCanonical(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// ECMAScript JSON string escaping (RFC 8785 §3.2.2.2).
    static func writeCanonicalString(_ value: String, into out: inout [UInt8]) {
        let hexDigits = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x00..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 15)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The ECMAScript form of an integral number (RFC 8785 §3.2.2.3: the number is read as an IEEE 754 double,
    /// then printed), e.g. `-0` → `0`, `1.0e2` → `100`. Integral values below 1e19 in magnitude are supported
    /// (ECMAScript prints them without an exponent); anything else throws.
    static func canonicalNumber(_ lexeme: String) throws(ParseError) -> String {
        if let integer = Int64(lexeme), integer.magnitude <= (1 << 53) { return String(integer) }
        guard let double = Double(lexeme), double.isFinite, double.rounded() == double, double.magnitude < 1e19 else {
            throw ParseError(reason: "number \(lexeme.prefix(64)) is not an integer this canonicalizer supports", offset: 0)
        }
        let magnitude = UInt64(double.magnitude)
        if magnitude == 0 { return "0" }
        return (double < 0 ? "-" : "") + String(magnitude)
    }
}
