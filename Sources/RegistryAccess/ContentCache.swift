import Foundation
import OCIImage

/// A content-addressed cache of manifests and blobs, keyed by digest only (never by tag, since a tag can move).
///
/// Entries live in memory for the process and, when a directory is given, on disk as `<dir>/blobs/<alg>/<hex>`,
/// written atomically (temporary file + rename) and only after the bytes were verified. Every read is verified
/// again against its digest, so a corrupted or tampered cache file is discarded and fetched anew, never trusted.
public actor ContentCache {
    /// The directory, or nil for memory only.
    public nonisolated let directory: String?
    /// Memory entries larger than this are kept on disk only.
    public nonisolated let maximumMemoryEntrySize: Int
    private var memory: [Digest: [UInt8]] = [:]
    private var memoryBytes = 0
    /// Total bytes kept in memory.
    public nonisolated let maximumMemoryBytes: Int

    /// The default directory: `$XDG_CACHE_HOME/image-verifier`, else `$HOME/.cache/image-verifier`.
    public static var defaultDirectory: String {
        let env = ProcessInfo.processInfo.environment
        if let xdg = env["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/image-verifier" }
        return (env["HOME"] ?? NSHomeDirectory()) + "/.cache/image-verifier"
    }

    /// A cache in `directory` (nil: memory only).
    public init(directory: String?, maximumMemoryEntrySize: Int = 1 << 20, maximumMemoryBytes: Int = 64 << 20) {
        self.directory = directory
        self.maximumMemoryEntrySize = maximumMemoryEntrySize
        self.maximumMemoryBytes = maximumMemoryBytes
    }

    /// The file of `digest`, formed only from a validated digest.
    nonisolated func path(_ digest: Digest) -> String? {
        guard let directory, (try? ContentVerifier.hashAlgorithm(for: digest)) != nil else { return nil }
        return directory + "/blobs/" + digest.algorithm + "/" + digest.encoded
    }

    /// The verified bytes of `digest` if cached and at most `maxSize` bytes; a bad entry is removed.
    public func get(_ digest: Digest, maxSize: Int) -> [UInt8]? {
        if let bytes = memory[digest] { return bytes.count <= maxSize ? bytes : nil }
        guard let file = path(digest) else { return nil }
        guard case .bytes(let bytes)? = try? FileReading.readFile(file, maxSize: maxSize, what: "cached \(digest)") else {
            return nil
        }
        do {
            try ContentVerifier.verify(bytes, digest: digest, expectedSize: nil, location: file)
        } catch {
            try? FileManager.default.removeItem(atPath: file)
            return nil
        }
        remember(digest, bytes)
        return bytes
    }

    /// Stores verified `bytes` under `digest` (best effort: a cache that cannot be written is skipped).
    public func put(_ digest: Digest, _ bytes: [UInt8]) {
        remember(digest, bytes)
        guard let file = path(digest), !FileManager.default.fileExists(atPath: file) else { return }
        let folder = (file as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = folder + "/.tmp-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else { return }
        if rename(temporary, file) != 0 { try? FileManager.default.removeItem(atPath: temporary) }
    }

    private func remember(_ digest: Digest, _ bytes: [UInt8]) {
        guard bytes.count <= maximumMemoryEntrySize, memory[digest] == nil else { return }
        if memoryBytes + bytes.count > maximumMemoryBytes {
            memory.removeAll(keepingCapacity: true)
            memoryBytes = 0
        }
        memory[digest] = bytes
        memoryBytes += bytes.count
    }
}
