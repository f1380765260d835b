import Foundation

/// Base64 decoding as protojson accepts it for `bytes` fields: the standard or URL-safe alphabet, with or without
/// `=` padding (padding, when present, must be correct); line breaks (`\r`, `\n`) are ignored, as Go's decoder (and so
/// protojson) ignores them. Returns nil on any other character or an impossible length.
@usableFromInline
func protoBase64Decode(_ string: String) -> [UInt8]? {
    guard string.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { return TLogCoding.base64Decode(string) }
    return TLogCoding.base64Decode(String(decoding: string.utf8.filter { $0 != 0x0A && $0 != 0x0D }, as: UTF8.self))
}

/// Standard base64 with padding (the module's one encoder; `TLogCoding.base64Decode` is its one decoder).
@usableFromInline
func base64Encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }


/// Parses an RFC 3339 timestamp (`2021-01-12T11:53:27Z`, `…27.123Z`, `…27+02:00`) without a formatter or the clock.
/// Returns nil when the string is not a valid RFC 3339 date-time.
@usableFromInline
func parseRFC3339(_ string: String) -> Date? {
    let c = Array(string.utf8)
    func digits(_ start: Int, _ count: Int) -> Int? {
        guard start + count <= c.count else { return nil }
        var value = 0
        for i in start..<(start + count) {
            let d = Int(c[i]) - 48
            guard d >= 0 && d <= 9 else { return nil }
            value = value * 10 + d
        }
        return value
    }
    guard c.count >= 20,
          let year = digits(0, 4), c[4] == UInt8(ascii: "-"),
          let month = digits(5, 2), c[7] == UInt8(ascii: "-"),
          let day = digits(8, 2), c[10] == UInt8(ascii: "T") || c[10] == UInt8(ascii: "t"),
          let hour = digits(11, 2), c[13] == UInt8(ascii: ":"),
          let minute = digits(14, 2), c[16] == UInt8(ascii: ":"),
          let second = digits(17, 2)
    else { return nil }
    guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
    var index = 19
    var fraction = 0.0
    if index < c.count && c[index] == UInt8(ascii: ".") {
        index += 1
        var scale = 0.1
        let start = index
        while index < c.count, c[index] >= 48, c[index] <= 57 {
            fraction += Double(Int(c[index]) - 48) * scale
            scale /= 10
            index += 1
        }
        guard index > start, index - start <= 9 else { return nil }
    }
    guard index < c.count else { return nil }
    var offset = 0
    switch c[index] {
    case UInt8(ascii: "Z"), UInt8(ascii: "z"):
        index += 1
    case UInt8(ascii: "+"), UInt8(ascii: "-"):
        guard let oh = digits(index + 1, 2), index + 3 < c.count, c[index + 3] == UInt8(ascii: ":"),
              let om = digits(index + 4, 2), oh < 24, om < 60 else { return nil }
        offset = (oh * 3600 + om * 60) * (c[index] == UInt8(ascii: "-") ? -1 : 1)
        index += 6
    default:
        return nil
    }
    guard index == c.count else { return nil }
    // Days from civil (proleptic Gregorian), Howard Hinnant's algorithm.
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    let days = era * 146097 + doe - 719468
    let seconds = days * 86400 + hour * 3600 + minute * 60 + min(second, 59) - offset
    return Date(timeIntervalSince1970: Double(seconds) + fraction)
}

/// Formats a date as RFC 3339 UTC with second precision (for messages and verdicts).
@usableFromInline
func formatRFC3339(_ date: Date) -> String {
    let total = Int(date.timeIntervalSince1970.rounded(.down))
    var days = total >= 0 ? total / 86400 : (total - 86399) / 86400
    let secs = total - days * 86400
    days += 719468
    let era = (days >= 0 ? days : days - 146096) / 146097
    let doe = days - era * 146097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    func pad(_ v: Int, _ w: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, w - s.count)) + s
    }
    return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secs / 3600, 2)):\(pad(secs / 60 % 60, 2)):\(pad(secs % 60, 2))Z"
}

/// RFC 3339 times as Sigstore formats use them, without a date formatter (no locale or time-zone data is loaded).
public enum RFC3339 {
    /// Parses `2021-01-12T11:53:27Z`, `…27.123Z` or `…27+02:00`; nil when the text is not an RFC 3339 date-time.
    public static func parse(_ text: String) -> Date? { parseRFC3339(text) }

    /// Formats a time in UTC to the second: `2024-05-01T12:00:00Z`.
    public static func format(_ date: Date) -> String { formatRFC3339(date) }
}
