import Foundation

/// One regular file read from a tar archive.
struct TarFile {
    /// The entry's path inside the archive (pax `path` / GNU long name / ustar prefix+name).
    var path: String
    /// Its bytes.
    var data: Data
}

/// A minimal ustar / pax / GNU tar reader: regular files only. Links, devices, absolute paths and `..` are
/// skipped and reported, never followed or written anywhere.
enum TarReader {
    /// The result of reading an archive: the regular files that are safe to scan, and the refusals.
    struct Result {
        var files: [TarFile] = []
        var refused: [(path: String, error: ScanError)] = []
    }

    static func read(_ data: Data, maxEntries: Int, wanted: (String) -> Bool) throws -> Result {
        var result = Result()
        let bytes = [UInt8](data)
        var offset = 0
        var entries = 0
        var paxPath: String? = nil
        var paxSize: Int? = nil
        var longName: String? = nil
        var globalPaxPath: String? = nil
        while offset + 512 <= bytes.count {
            let header = bytes[offset..<(offset + 512)]
            if header.allSatisfy({ $0 == 0 }) { break } // end-of-archive marker
            entries += 1
            if entries > maxEntries {
                throw ScanError(.archiveLimit, "more than \(maxEntries) tar entries; the rest were not read")
            }
            guard checksumOK(header) else {
                throw ScanError(.tarInvalid, "tar header checksum mismatch at byte \(offset): corrupt archive")
            }
            let typeflag = header[header.startIndex + 156]
            guard var size = parseNumber(header, at: 124, length: 12) else {
                throw ScanError(.tarInvalid, "bad size field in tar header at byte \(offset)")
            }
            if let ps = paxSize { size = ps }
            let dataStart = offset + 512
            guard size >= 0, size <= bytes.count - dataStart else {
                throw ScanError(.tarInvalid, "tar entry at byte \(offset) runs past the end of the archive (truncated)")
            }
            let padded = (size + 511) / 512 * 512
            let body = bytes[dataStart..<(dataStart + size)]
            offset = dataStart + padded

            var name = cString(header, at: 0, length: 100)
            let magic = cString(header, at: 257, length: 6)
            if magic == "ustar" || magic.hasPrefix("ustar") {
                let prefix = cString(header, at: 345, length: 155)
                if !prefix.isEmpty { name = prefix + "/" + name }
            }
            switch typeflag {
            case UInt8(ascii: "x"): // pax extended header for the next entry
                let records = parsePax(Data(body))
                paxPath = records["path"]
                paxSize = records["size"].flatMap { Int($0) }
                if let ps = paxSize, ps < 0 || ps > bytes.count {
                    throw ScanError(.tarInvalid, "pax size \(ps) of the entry after byte \(offset) is impossible")
                }
                continue
            case UInt8(ascii: "g"): // global pax header
                globalPaxPath = parsePax(Data(body))["path"] ?? globalPaxPath
                continue
            case UInt8(ascii: "L"): // GNU long name for the next entry
                longName = String(decoding: body.prefix(while: { $0 != 0 }), as: UTF8.self)
                continue
            default:
                break
            }
            if let p = paxPath { name = p } else if let l = longName { name = l }
            paxPath = nil; paxSize = nil; longName = nil
            _ = globalPaxPath

            switch typeflag {
            case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
                if let reason = unsafeReason(name) {
                    result.refused.append((name, ScanError(.tarUnsafePath, "tar entry `\(name)` \(reason); skipped, never extracted")))
                    continue
                }
                if wanted(name) { result.files.append(TarFile(path: name, data: Data(body))) }
            case UInt8(ascii: "1"), UInt8(ascii: "2"):
                let target = cString(header, at: 157, length: 100)
                let kind = typeflag == UInt8(ascii: "2") ? "symbolic link" : "hard link"
                result.refused.append((name, ScanError(.tarLink, "tar entry `\(name)` is a \(kind) to `\(target)`; skipped, never followed")))
            case UInt8(ascii: "3"), UInt8(ascii: "4"), UInt8(ascii: "6"):
                result.refused.append((name, ScanError(.tarLink, "tar entry `\(name)` is a device or FIFO; skipped")))
            default:
                continue // directories and other metadata entries
            }
        }
        return result
    }

    /// Why a path may not be used, or nil.
    static func unsafeReason(_ path: String) -> String? {
        if path.hasPrefix("/") || path.hasPrefix("\\") { return "has an absolute path" }
        if path.contains("\0") { return "has a NUL byte in its name" }
        let parts = path.split(whereSeparator: { $0 == "/" || $0 == "\\" })
        if parts.contains("..") { return "has a `..` component that escapes the archive" }
        if let first = parts.first, first.count == 2, first.hasSuffix(":") { return "has a drive-letter path" }
        return nil
    }

    private static func checksumOK(_ header: ArraySlice<UInt8>) -> Bool {
        guard let stored = parseNumber(header, at: 148, length: 8) else { return false }
        var sum = 0
        for (i, b) in header.enumerated() { sum += (i >= 148 && i < 156) ? 32 : Int(b) }
        return sum == stored
    }

    /// Octal (NUL/space terminated) or GNU base-256 numbers.
    private static func parseNumber(_ header: ArraySlice<UInt8>, at: Int, length: Int) -> Int? {
        let start = header.startIndex + at
        let field = header[start..<(start + length)]
        if let first = field.first, first & 0x80 != 0 {
            var value = 0
            for (i, b) in field.enumerated() {
                let byte = i == 0 ? Int(b & 0x7f) : Int(b)
                if value > (Int.max >> 9) { return nil }
                value = value << 8 | byte
            }
            return value
        }
        var value = 0
        var seenDigit = false
        for b in field {
            if b == 0 || b == 32 { if seenDigit { break } else { continue } }
            guard b >= 48 && b <= 55 else { return nil }
            seenDigit = true
            if value > (Int.max >> 4) { return nil }
            value = value * 8 + Int(b - 48)
        }
        return value
    }

    private static func cString(_ header: ArraySlice<UInt8>, at: Int, length: Int) -> String {
        let start = header.startIndex + at
        let field = header[start..<(start + length)]
        return String(decoding: field.prefix(while: { $0 != 0 }), as: UTF8.self)
    }

    /// pax records: "<len> <key>=<value>\n".
    private static func parsePax(_ data: Data) -> [String: String] {
        var records: [String: String] = [:]
        let bytes = [UInt8](data)
        var i = 0
        while i < bytes.count {
            var j = i
            while j < bytes.count, bytes[j] != 32 { j += 1 }
            guard j < bytes.count, let len = Int(String(decoding: bytes[i..<j], as: UTF8.self)), len > 0,
                  i + len <= bytes.count else { break }
            let record = bytes[(j + 1)..<(i + len)]
            if let eq = record.firstIndex(of: 61) {
                let key = String(decoding: record[record.startIndex..<eq], as: UTF8.self)
                var value = record[(eq + 1)...]
                if value.last == 10 { value = value.dropLast() }
                records[key] = String(decoding: value, as: UTF8.self)
            }
            i += len
        }
        return records
    }
}
