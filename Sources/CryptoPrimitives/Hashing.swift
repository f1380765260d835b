import Foundation
internal import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The SHA-2 implementations, fetched once (immutable afterwards, so shared across threads).
private final class FetchedDigests: @unchecked Sendable {
    static let shared = FetchedDigests()
    let sha256: OpaquePointer
    let sha384: OpaquePointer
    let sha512: OpaquePointer

    private init() {
        sha256 = EVP_MD_fetch(nil, "SHA2-256", nil) ?? EVP_sha256()
        sha384 = EVP_MD_fetch(nil, "SHA2-384", nil) ?? EVP_sha384()
        sha512 = EVP_MD_fetch(nil, "SHA2-512", nil) ?? EVP_sha512()
    }
}

/// A SHA-2 hash algorithm.
public enum HashAlgorithm: String, Sendable, CaseIterable, Hashable {
    /// SHA-256 (32-byte digest).
    case sha256
    /// SHA-384 (48-byte digest).
    case sha384
    /// SHA-512 (64-byte digest).
    case sha512

    /// The digest length in bytes.
    public var byteCount: Int {
        switch self {
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    /// The OpenSSL message digest: fetched from the default provider once per process (OpenSSL 3 otherwise looks
    /// the implementation up again on every call that is given the legacy `EVP_sha256()` object, which costs more
    /// than hashing a Merkle node). Never freed.
    var evpMD: OpaquePointer {
        switch self {
        case .sha256: FetchedDigests.shared.sha256
        case .sha384: FetchedDigests.shared.sha384
        case .sha512: FetchedDigests.shared.sha512
        }
    }

    /// The algorithm for an OpenSSL NID, if it is one of ours.
    init?(nid: Int32) {
        switch nid {
        case NID_sha256: self = .sha256
        case NID_sha384: self = .sha384
        case NID_sha512: self = .sha512
        default: return nil
        }
    }

    /// Hashes `data` in one shot.
    public func hash<D: ContiguousBytes>(_ data: D) -> [UInt8] {
        data.withUnsafeBytes { buffer in hash(buffer) }
    }

    /// Hashes the bytes of a raw buffer in one shot.
    public func hash(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        let ok = out.withUnsafeMutableBufferPointer { outBuffer in
            EVP_Digest(buffer.baseAddress, buffer.count, outBuffer.baseAddress, &length, evpMD, nil)
        }
        // EVP_Digest with a built-in SHA-2 only fails on allocation failure.
        precondition(ok == 1 && Int(length) == byteCount, "EVP_Digest failed")
        return out
    }

    /// The size of each read in `hashFile` (4 MiB): large enough that syscall overhead is negligible.
    public static let fileReadChunkSize = 4 << 20

    /// Hashes a file by streaming it through read(2) in large chunks; never loads the whole file.
    /// `path` "-" reads standard input.
    /// - Throws: `CryptoError` `io_error` naming the file if it cannot be opened or read.
    public func hashFile(atPath path: String) throws -> [UInt8] {
        let fd: Int32
        if path == "-" {
            fd = STDIN_FILENO
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                throw CryptoError(.ioError, "cannot open \(path): \(String(cString: strerror(errno)))")
            }
        }
        defer { if fd != STDIN_FILENO { close(fd) } }
        #if os(Linux)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
        return try hashFileDescriptor(fd, name: path)
    }

    /// Hashes everything readable from an open file descriptor (does not close it).
    /// - Throws: `CryptoError` `io_error` if a read fails (e.g. the path is a directory).
    public func hashFileDescriptor(_ fd: Int32, name: String) throws -> [UInt8] {
        let hasher = StreamingHash(self)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.fileReadChunkSize, alignment: 4096)
        defer { chunk.deallocate() }
        while true {
            let n = read(fd, chunk.baseAddress, chunk.count)
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw CryptoError(.ioError, "cannot read \(name): \(String(cString: strerror(errno)))")
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
        }
        return hasher.finalize()
    }
}

/// An incremental hash (OpenSSL EVP_MD_CTX). Feed bytes with `update`, then call `finalize` once.
/// Not for concurrent use: one instance belongs to one task at a time.
public final class StreamingHash: @unchecked Sendable {
    /// The algorithm this hash computes.
    public let algorithm: HashAlgorithm
    private let context: OpaquePointer
    private var finished = false

    /// Starts a new hash computation.
    public init(_ algorithm: HashAlgorithm) {
        self.algorithm = algorithm
        // Allocation failure is the only way these fail for a built-in SHA-2.
        guard let ctx = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new failed") }
        precondition(EVP_DigestInit_ex(ctx, algorithm.evpMD, nil) == 1, "EVP_DigestInit_ex failed")
        self.context = ctx
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Adds bytes to the hash. Calls after `finalize` are ignored.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard !finished, bytes.count > 0 else { return }
        _ = EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
    }

    /// Adds the bytes of `data` to the hash.
    public func update<D: ContiguousBytes>(_ data: D) {
        data.withUnsafeBytes { update($0) }
    }

    /// Returns the digest. Call once; a second call returns an empty array.
    public func finalize() -> [UInt8] {
        guard !finished else { return [] }
        finished = true
        var out = [UInt8](repeating: 0, count: algorithm.byteCount)
        var length: UInt32 = 0
        let ok = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        precondition(ok == 1, "EVP_DigestFinal_ex failed")
        return out
    }
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

/// Hexadecimal rendering of byte sequences.
public extension Sequence where Element == UInt8 {
    /// The bytes as lowercase hexadecimal, two characters per byte.
    var hexString: String {
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Decodes hexadecimal text (either case) into bytes; nil if the text is not even-length hex.
public func bytesFromHex(_ hex: some StringProtocol) -> [UInt8]? {
    let utf8 = Array(hex.utf8)
    guard utf8.count % 2 == 0 else { return nil }
    func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
    var out: [UInt8] = []
    out.reserveCapacity(utf8.count / 2)
    var i = 0
    while i < utf8.count {
        guard let hi = value(utf8[i]), let lo = value(utf8[i + 1]) else { return nil }
        out.append(hi << 4 | lo)
        i += 2
    }
    return out
}
