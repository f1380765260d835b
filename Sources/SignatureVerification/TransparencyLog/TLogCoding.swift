// Small, strict byte codecs used by the transparency-log code (internal).
import Foundation

/// Base64 and PEM decoding for the module (protojson `bytes`, signed notes, entry bodies, PEM). Strict: anything
/// malformed yields nil. Encoding is `base64Encode`.
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
        var text = String(text)
        return text.withUTF8 { base64Decode($0, ignoringWhitespace: false) }
    }

    /// Decodes base64 bytes; with `ignoringWhitespace`, ASCII spaces, tabs, CR and LF anywhere are skipped (PEM).
    static func base64Decode(_ input: UnsafeBufferPointer<UInt8>, ignoringWhitespace: Bool) -> [UInt8]? {
        base64Table.withUnsafeBufferPointer { table -> [UInt8]? in
            var out = [UInt8](repeating: 0, count: input.count * 3 / 4 + 3)
            var written = 0
            var accumulator: UInt32 = 0
            var bits = 0
            var symbols = 0
            var padding = 0
            let ok = out.withUnsafeMutableBufferPointer { output -> Bool in
                for char in input {
                    if ignoringWhitespace && (char == 0x20 || char == 0x09 || char == 0x0A || char == 0x0D) { continue }
                    if char == UInt8(ascii: "=") {
                        padding += 1
                        if padding > 2 { return false }
                        continue
                    }
                    if padding > 0 { return false }   // data after padding
                    let value = table[Int(char)]
                    if value == 0xFF { return false }
                    symbols += 1
                    accumulator = (accumulator << 6) | UInt32(value)
                    bits += 6
                    if bits >= 8 {
                        bits -= 8
                        output[written] = UInt8(truncatingIfNeeded: accumulator >> UInt32(bits))
                        written += 1
                    }
                }
                return true
            }
            guard ok else { return nil }
            if symbols % 4 == 1 { return nil }
            if padding > 0 && (symbols + padding) % 4 != 0 { return nil }
            // Leftover bits must be zero (canonical encoding).
            if bits > 0 && (accumulator & ((1 << UInt32(bits)) - 1)) != 0 { return nil }
            out.removeLast(out.count - written)
            return out
        }
    }

    /// The single PEM block in `bytes`: its label (e.g. `CERTIFICATE`, `PUBLIC KEY`) and DER content.
    /// Only ASCII whitespace may surround the block; nil if malformed or if there is more than one block.
    static func pemDecode(_ bytes: [UInt8]) -> (label: String, der: [UInt8])? {
        bytes.withUnsafeBufferPointer { buffer -> (label: String, der: [UInt8])? in
            func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
            var start = 0, end = buffer.count
            while start < end && isSpace(buffer[start]) { start += 1 }
            while end > start && isSpace(buffer[end - 1]) { end -= 1 }
            let dashes = Array("-----".utf8)
            let begin = Array("-----BEGIN ".utf8)
            func matches(_ pattern: [UInt8], at position: Int) -> Bool {
                guard position >= 0, position + pattern.count <= end else { return false }
                for offset in 0..<pattern.count where buffer[position + offset] != pattern[offset] { return false }
                return true
            }
            guard matches(begin, at: start) else { return nil }
            var labelEnd = start + begin.count
            while labelEnd < end && !matches(dashes, at: labelEnd) {
                if buffer[labelEnd] == 0x0A || buffer[labelEnd] == 0x0D { return nil }
                labelEnd += 1
            }
            guard labelEnd > start + begin.count, labelEnd < end else { return nil }
            let labelBytes = Array(buffer[(start + begin.count)..<labelEnd])
            let endMarker = Array("-----END ".utf8) + labelBytes + dashes
            let bodyStart = labelEnd + dashes.count
            let bodyEnd = end - endMarker.count
            guard bodyEnd >= bodyStart, matches(endMarker, at: bodyEnd) else { return nil }
            // Any '-' inside the body means another block or garbage; base64 has none.
            let body = UnsafeBufferPointer(rebasing: buffer[bodyStart..<bodyEnd])
            if body.contains(where: { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }) { return nil }
            guard let der = base64Decode(body, ignoringWhitespace: true), !der.isEmpty else { return nil }
            return (String(decoding: labelBytes, as: UTF8.self), der)
        }
    }
}
