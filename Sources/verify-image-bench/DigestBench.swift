import Foundation
import ImageGate

/// `verify-image-bench digest [FILE]`: times `HashAlgorithm.sha256.hashFile` and `openssl dgst -sha256` on the same
/// file in the same run (each run twice, best time kept, so both see a warm page cache) and prints MB/s and the ratio.
/// Without FILE it makes a 1 GiB file of pseudo-random bytes in /tmp (kept for later runs).
func benchDigest(_ arguments: [String]) async throws {
    let path: String
    if let given = arguments.first {
        path = given
    } else {
        path = "/tmp/verify-image-bench-digest-1GiB.bin"
        try makeBenchFile(path: path, size: 1 << 30)
    }
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
    guard size > 0 else { throw CryptoError(.ioError, "\(path) is empty") }
    let megabytes = Double(size) / 1_000_000

    // Warm the page cache once so the first timed run is not penalized.
    _ = try HashAlgorithm.sha256.hashFile(atPath: path)

    var ours = Double.infinity
    var openssl = Double.infinity
    var ourHex = "", opensslHex = ""
    for _ in 0..<2 {
        let start = DispatchTime.now()
        ourHex = try HashAlgorithm.sha256.hashFile(atPath: path).hexString
        ours = min(ours, seconds(since: start))

        let start2 = DispatchTime.now()
        opensslHex = try runOpenSSLDigest(path: path)
        openssl = min(openssl, seconds(since: start2))
    }
    guard ourHex == opensslHex else {
        throw CryptoError(.internalError, "digest mismatch: ours \(ourHex), openssl \(opensslHex)")
    }
    let oursRate = megabytes / ours
    let opensslRate = megabytes / openssl
    print("file: \(path) (\(size) bytes), sha256:\(ourHex)")
    print(String(format: "verify-image hashFile: %8.1f MB/s (%.3f s)", oursRate, ours))
    print(String(format: "openssl dgst -sha256:  %8.1f MB/s (%.3f s, includes process start)", opensslRate, openssl))
    print(String(format: "ratio (ours / openssl): %.1f%%", 100 * oursRate / opensslRate))
}

private func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

/// Writes `size` pseudo-random bytes (xorshift, fast) unless the file already has that size.
private func makeBenchFile(path: String, size: Int) throws {
    if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
       (attributes[.size] as? NSNumber)?.intValue == size {
        return
    }
    guard FileManager.default.createFile(atPath: path, contents: nil),
          let handle = FileHandle(forWritingAtPath: path) else {
        throw CryptoError(.ioError, "cannot create \(path)")
    }
    defer { try? handle.close() }
    let chunkWords = (4 << 20) / 8
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    var chunk = [UInt64](repeating: 0, count: chunkWords)
    var written = 0
    while written < size {
        for i in 0..<chunkWords {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            chunk[i] = state
        }
        let count = min(chunkWords * 8, size - written)
        try chunk.withUnsafeBytes { try handle.write(contentsOf: Data($0.prefix(count))) }
        written += count
    }
}

/// Runs `openssl dgst -sha256 -r FILE` and returns the hex digest.
private func runOpenSSLDigest(path: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["openssl", "dgst", "-sha256", "-r", path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw CryptoError(.ioError, "openssl dgst exited \(process.terminationStatus)")
    }
    return String(decoding: output, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
}
