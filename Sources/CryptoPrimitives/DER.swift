/// A minimal, bounds-checked DER reader: enough to slice TBSCertificate out of a certificate, walk the SCT list
/// extension and decode string values. Never traps on malformed input; returns nil instead.
struct DERReader {
    /// One element: its identifier octet, the range of its contents, and the range of the whole TLV.
    struct Element {
        let tag: UInt8
        let contents: Range<Int>
        let whole: Range<Int>
    }

    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        self.bytes = bytes
        self.position = range?.lowerBound ?? 0
        self.end = range?.upperBound ?? bytes.count
    }

    var isAtEnd: Bool { position >= end }

    /// Reads the next TLV (single-byte tags only, definite lengths only, minimal length encoding required).
    mutating func next() -> Element? {
        let start = position
        guard end - position >= 2 else { return nil }
        let tag = bytes[position]
        guard tag & 0x1f != 0x1f else { return nil }  // multi-byte tags are not used in what we read
        var cursor = position + 1
        let first = bytes[cursor]
        cursor += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7f)
            guard count >= 1, count <= 4, end - cursor >= count else { return nil }
            for _ in 0..<count {
                length = length << 8 | Int(bytes[cursor])
                cursor += 1
            }
            guard length >= 0x80, count == 1 || bytes[cursor - count] != 0 else { return nil }  // minimal encoding
        }
        guard length <= end - cursor else { return nil }
        position = cursor + length
        return Element(tag: tag, contents: cursor..<(cursor + length), whole: start..<(cursor + length))
    }
}

/// Decodes a DER-encoded string value (UTF8String, IA5String, PrintableString, VisibleString) to a Swift String;
/// nil for other types, trailing bytes or invalid UTF-8.
func decodeDERString(_ der: [UInt8]) -> String? {
    var reader = DERReader(der)
    guard let element = reader.next(), reader.isAtEnd else { return nil }
    switch element.tag {
    case 0x0c, 0x16, 0x13, 0x1a:
        return String(validating: der[element.contents], as: UTF8.self)
    default:
        return nil
    }
}
