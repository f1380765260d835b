/// TUF's documents are StrictJSON trees; its users see JSONValue through TUF.
@_exported import StrictJSON
/// OLPC canonical JSON, the encoding TUF signs (as securesystemslib's `encode_canonical`, which every TUF
/// implementation follows): object members sorted by the code points of their names, no whitespace, strings with
/// only `"` and `\` escaped (everything else as raw UTF-8), integers only — no floating-point numbers.
/// This is NOT RFC 8785 (JCS), which escapes control characters and sorts by UTF-16 code units.
public enum CanonicalJSON {
    /// The canonical bytes of `value`.
    /// - Throws: `TUFError` `malformed_metadata` if the value contains a non-integer number.
    public static func encode(_ value: JSONValue) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        try append(value, to: &out)
        return out
    }

    private static func append(_ value: JSONValue, to out: inout [UInt8]) throws {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let number): out.append(contentsOf: String(number).utf8)
        case .number(let text):
            throw TUFError(.malformedMetadata, "canonical JSON cannot encode the non-integer number \(text)")
        case .string(let text): appendString(text, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                try append(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            // Code-point order equals UTF-8 byte order (Swift's String `<` compares canonical equivalence instead).
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (position, member) in sorted.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                appendString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                try append(member.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }
}
