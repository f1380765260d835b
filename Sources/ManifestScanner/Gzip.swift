import CZlib
import Foundation

/// Streaming gunzip through zlib with a total-size and a ratio limit (gzip bombs stop early, never expand fully).
enum Gunzip {
    /// Inflates `input` (one or more concatenated gzip members).
    ///
    /// - Throws: `ScanError` `gzip_invalid` for corrupt or truncated data, `decompression_limit` when the output
    ///   would exceed `maxOutput` bytes, or exceed `maxRatio` times the compressed bytes read so far once past
    ///   `ratioFloor` bytes of output.
    static func inflate(_ input: Data, maxOutput: Int, maxRatio: Int, ratioFloor: Int = 1 << 20) throws -> Data {
        var stream = z_stream()
        guard czlib_inflateInit2(&stream, 16 + MAX_WBITS) == Z_OK else {
            throw ScanError(.gzipInvalid, "zlib could not be initialised")
        }
        defer { inflateEnd(&stream) }
        var output = Data()
        let chunk = 64 * 1024
        var buffer = [UInt8](repeating: 0, count: chunk)
        return try input.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> Data in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress, raw.count > 0 else {
                throw ScanError(.gzipInvalid, "empty archive: a chart .tgz must be gzip-compressed tar")
            }
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = uInt(raw.count)
            while true {
                let status: Int32 = buffer.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(chunk)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk - Int(stream.avail_out)
                if produced > 0 {
                    if output.count + produced > maxOutput {
                        throw ScanError(.decompressionLimit,
                                        "decompressed size exceeds \(maxOutput) bytes (gzip bomb?); the archive was not expanded further")
                    }
                    output.append(contentsOf: buffer[0..<produced])
                    let consumed = max(1, raw.count - Int(stream.avail_in))
                    if output.count > ratioFloor, output.count / consumed > maxRatio {
                        throw ScanError(.decompressionLimit,
                                        "decompression ratio above \(maxRatio):1 after \(output.count) bytes (gzip bomb?); the archive was not expanded further")
                    }
                }
                switch status {
                case Z_STREAM_END:
                    if stream.avail_in == 0 { return output }
                    // Another gzip member follows (concatenated gzip).
                    guard inflateReset(&stream) == Z_OK else {
                        throw ScanError(.gzipInvalid, "could not reset zlib for the next gzip member")
                    }
                case Z_OK:
                    if stream.avail_in == 0 && produced == 0 {
                        throw ScanError(.gzipInvalid, "truncated gzip stream: the archive ends before its end marker")
                    }
                case Z_BUF_ERROR:
                    if stream.avail_in == 0 {
                        throw ScanError(.gzipInvalid, "truncated gzip stream: the archive ends before its end marker")
                    }
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                    throw ScanError(.gzipInvalid, "corrupt gzip data (\(message)); is this a chart .tgz?")
                }
            }
        }
    }
}
