import Foundation
import OCIImage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Bounded reads of local files: only regular files (a FIFO or device cannot hang or flood us), size checked
/// before reading, and never more than the limit read even if the file grows meanwhile.
enum FileReading {
    enum Outcome {
        case bytes([UInt8])
        case missing
    }

    /// Reads the regular file at `path` if it is at most `maxSize` bytes.
    /// - Parameter what: how to name the file in errors (e.g. "blob sha256:…").
    /// - Returns: `.missing` when nothing exists at `path`.
    /// - Throws: ``RegistryError`` `too_large`, `io_error`.
    static func readFile(_ path: String, maxSize: Int, what: String, digest: Digest? = nil) throws -> Outcome {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 {
            let err = errno
            if err == ENOENT || err == ENOTDIR { return .missing }
            throw RegistryError(.ioError, "cannot open \(what) at \(path): \(String(cString: strerror(err)))",
                                digest: digest, location: path)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw RegistryError(.ioError, "cannot stat \(what) at \(path): \(String(cString: strerror(errno)))",
                                digest: digest, location: path)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw RegistryError(.ioError, "\(what) at \(path) is not a regular file", digest: digest, location: path)
        }
        let statedSize = Int(info.st_size)
        guard statedSize <= maxSize else {
            throw RegistryError(.tooLarge, "\(what) at \(path) is \(statedSize) bytes; the limit is \(maxSize)",
                                digest: digest, location: path)
        }
        // Read until EOF, never holding more than maxSize + 1 bytes: a file that grew after fstat is still caught.
        var buffer = [UInt8](repeating: 0, count: statedSize + 1)
        var filled = 0
        while true {
            if filled == buffer.count {
                guard buffer.count <= maxSize else {
                    throw RegistryError(.tooLarge, "\(what) at \(path) is larger than the limit of \(maxSize) bytes",
                                        digest: digest, location: path)
                }
                buffer.append(contentsOf: repeatElement(0, count: min(maxSize + 1, buffer.count * 2) - buffer.count))
            }
            let n = buffer.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return read(fd, base + filled, raw.count - filled)
            }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw RegistryError(.ioError, "cannot read \(what) at \(path): \(String(cString: strerror(errno)))",
                                    digest: digest, location: path)
            }
            filled += n
        }
        buffer.removeSubrange(filled...)
        return .bytes(buffer)
    }

    /// Whether a directory exists at `path`.
    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}
