import CZlib
import Foundation

/// `.tar.gz` archives of regular files, read with the same bounded reader as chart archives and written as ustar
/// (used for evidence packages given as `FILE.tar.gz`).
public enum TarGzip {
    /// Writes `files` (relative paths, in order) as a gzip-compressed ustar archive. Paths longer than ustar allows
    /// (255 bytes, split at a `/`) are an error.
    public static func archive(_ files: [(path: String, data: Data)]) throws -> Data {
        var tar = Data()
        for file in files {
            tar.append(try header(path: file.path, size: file.data.count))
            tar.append(file.data)
            let padding = (512 - file.data.count % 512) % 512
            tar.append(Data(count: padding))
        }
        tar.append(Data(count: 1024))
        return try deflate(tar)
    }

    /// Reads the regular files of a `.tar.gz`, bounded by `limits` (size, ratio, entry count). Any entry that is not
    /// a plain relative regular file (a link, a device, an absolute path, `..`) is an error naming it.
    public static func extract(_ data: Data, limits: ScanLimits = ScanLimits()) throws -> [(path: String, data: Data)] {
        let tar = try Gunzip.inflate(data, maxOutput: limits.maxArchiveBytes, maxRatio: limits.maxDecompressionRatio)
        let result = try TarReader.read(tar, maxEntries: limits.maxArchiveEntries) { _ in true }
        if let refused = result.refused.first {
            throw ScanError(.tarUnsafePath, "\(refused.path): \(refused.error.message)")
        }
        return result.files.map { ($0.path, $0.data) }
    }

    private static func header(path: String, size: Int) throws -> Data {
        var bytes = [UInt8](repeating: 0, count: 512)
        let utf8 = Array(path.utf8)
        var name = utf8
        var prefix: [UInt8] = []
        if utf8.count > 100 {
            guard let split = utf8.indices.last(where: { utf8[$0] == UInt8(ascii: "/") && $0 <= 155 && utf8.count - $0 - 1 <= 100 }) else {
                throw ScanError(.tarUnsafePath, "\(path): too long for a ustar archive")
            }
            prefix = Array(utf8[..<split])
            name = Array(utf8[(split + 1)...])
        }
        func put(_ field: [UInt8], at offset: Int) { for (i, b) in field.enumerated() { bytes[offset + i] = b } }
        func octal(_ value: Int, width: Int) -> [UInt8] {
            Array(String(format: "%0\(width - 1)o", value).utf8) + [0]
        }
        put(name, at: 0)
        put(octal(0o644, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(octal(size, width: 12), at: 124)
        put(octal(0, width: 12), at: 136)
        put(Array("        ".utf8), at: 148)
        bytes[156] = UInt8(ascii: "0")
        put(Array("ustar".utf8) + [0], at: 257)
        put(Array("00".utf8), at: 263)
        put(prefix, at: 345)
        let checksum = bytes.reduce(0) { $0 + Int($1) }
        put(Array(String(format: "%06o", checksum).utf8) + [0, 32], at: 148)
        return Data(bytes)
    }

    private static func deflate(_ input: Data) throws -> Data {
        var stream = z_stream()
        guard czlib_deflateInit2(&stream, 6, 16 + MAX_WBITS) == Z_OK else {
            throw ScanError(.gzipInvalid, "zlib could not be initialised for compression")
        }
        defer { deflateEnd(&stream) }
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        try input.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let base = raw.bindMemory(to: UInt8.self).baseAddress
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = uInt(raw.count)
            while true {
                let status: Int32 = buffer.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    return CZlib.deflate(&stream, Z_FINISH)
                }
                output.append(contentsOf: buffer[0..<(buffer.count - Int(stream.avail_out))])
                if status == Z_STREAM_END { return }
                guard status == Z_OK || status == Z_BUF_ERROR else {
                    throw ScanError(.gzipInvalid, "zlib compression failed (\(status))")
                }
            }
        }
        return output
    }
}
