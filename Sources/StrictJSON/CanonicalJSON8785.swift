/// RFC 8785 (JSON Canonicalization Scheme) serialization of a parsed value: what Rekor signs (SETs) and what Rekor v2
/// hashes (entry bodies).
extension JSONValue {
    /// The RFC 8785 form: object members sorted by the UTF-16 code units of their names, no whitespace, strings
    /// escaped as ECMAScript's `JSON.stringify` does, numbers in ECMAScript form. Only integral numbers below 1e19 in
    /// magnitude are supported (all that Rekor writes).
    /// - Throws: ``JSONShapeError`` for another number.
    public func rfc8785Bytes() throws -> [UInt8] {
        var out = [UInt8]()
        try writeRFC8785(into: &out)
        return out
    }

    private func writeRFC8785(into out: inout [UInt8]) throws {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .string(let value): Self.writeRFC8785String(value, into: &out)
        case .integer(let value): out.append(contentsOf: try Self.rfc8785Number(String(value)).utf8)
        case .number(let lexeme): out.append(contentsOf: try Self.rfc8785Number(lexeme).utf8)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                try element.writeRFC8785(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (position, name) in members.keys.sorted(by: { $0.utf16.lexicographicallyPrecedes($1.utf16) }).enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeRFC8785String(name, into: &out)
                out.append(UInt8(ascii: ":"))
                try members[name]!.writeRFC8785(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// ECMAScript JSON string escaping (RFC 8785 §3.2.2.2).
    static func writeRFC8785String(_ value: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings (base64, hex, names) need no escape: copied at once.
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out.append(contentsOf: value.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        let hexDigits = Array("0123456789abcdef".utf8)
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

    /// The ECMAScript form of an integral number (RFC 8785 §3.2.2.3: the number is read as an IEEE 754 double, then
    /// printed), e.g. `-0` → `0`, `1.0e2` → `100`. Integral values below 1e19 in magnitude are supported (ECMAScript
    /// prints them without an exponent).
    /// - Throws: ``JSONShapeError`` for anything else.
    public static func rfc8785Number(_ lexeme: String) throws -> String {
        if let integer = Int64(lexeme), integer.magnitude <= (1 << 53) { return String(integer) }
        guard let double = Double(lexeme), double.isFinite, double.rounded() == double, double.magnitude < 1e19 else {
            throw JSONShapeError(path: "number \(lexeme.prefix(64))", problem: "is not an integer RFC 8785 canonicalization supports here")
        }
        let magnitude = UInt64(double.magnitude)
        if magnitude == 0 { return "0" }
        return (double < 0 ? "-" : "") + String(magnitude)
    }
}
