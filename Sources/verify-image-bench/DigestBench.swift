import Foundation
import ImageGate

/// `verify-image-bench digest [FILE]`: times `HashAlgorithm.sha256.hashFile` and `openssl dgst -sha256` on the same
/// file in the same run (each run twice, best time kept, so both see a warm page cache) and prints MB/s and the ratio.
/// Without FILE it makes a 1 GiB file of pseudo-random bytes in /tmp (kept for later runs).
/// `verify-image-bench digest --verify` instead measures ECDSA P-256/P-384 verifications per second next to
/// `openssl speed ecdsap256 ecdsap384` in the same run.
func benchDigest(_ arguments: [String]) async throws {
    if arguments.first == "--verify" {
        try benchVerify()
        return
    }
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
    let output = try runTool(["openssl", "dgst", "-sha256", "-r", path])
    return output.split(separator: " ").first.map(String.init) ?? ""
}

/// Times `PublicKey.isValidSignature` (over a precomputed digest, as `openssl speed` does, and over a short message)
/// for ECDSA P-256 and P-384 keys made with the openssl command line, next to `openssl speed -seconds 2`; both
/// rates are per CPU second.
private func benchVerify() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verify-image-bench-ecdsa")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let message = Array("verify-image-bench ecdsa message".utf8)
    try Data(message).write(to: directory.appendingPathComponent("message"))
    let curves: [(name: String, openssl: String, hash: HashAlgorithm, speed: String)] = [
        ("P-256", "P-256", .sha256, "ecdsap256"),
        ("P-384", "P-384", .sha384, "ecdsap384"),
    ]
    var keys: [(key: PublicKey, signature: [UInt8])] = []
    for curve in curves {
        let keyPath = directory.appendingPathComponent("\(curve.speed).key").path
        let signaturePath = directory.appendingPathComponent("\(curve.speed).sig").path
        try runTool(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:\(curve.openssl)", "-out", keyPath])
        try runTool(["openssl", "dgst", "-\(curve.hash.rawValue)", "-sign", keyPath, "-out", signaturePath,
                     directory.appendingPathComponent("message").path])
        let key = try PublicKey(pem: try runTool(["openssl", "pkey", "-in", keyPath, "-pubout"]))
        let signature = [UInt8](try Data(contentsOf: URL(fileURLWithPath: signaturePath)))
        guard key.isValidSignature(signature, forDigest: curve.hash.hash(message), hash: curve.hash),
              key.isValidSignature(signature, for: message, hash: curve.hash) else {
            throw CryptoError(.internalError, "fresh \(curve.name) signature did not verify")
        }
        keys.append((key, signature))
    }
    // The machine is shared: alternate ours and openssl twice and keep the best of each, so both see similar load.
    var best: [String: (digest: Double, message: Double, openssl: Double)] = [:]
    for _ in 0..<2 {
        for (index, curve) in curves.enumerated() {
            let (key, signature) = keys[index]
            let digest = curve.hash.hash(message)
            let digestRate = measure { _ = key.isValidSignature(signature, forDigest: digest, hash: curve.hash) }
            let messageRate = measure { _ = key.isValidSignature(signature, for: message, hash: curve.hash) }
            let reference = try runOpenSSLSpeed([curve.speed])[curve.speed] ?? .nan
            let previous = best[curve.speed] ?? (0, 0, 0)
            best[curve.speed] = (max(previous.digest, digestRate), max(previous.message, messageRate),
                                 max(previous.openssl, reference))
        }
    }
    for curve in curves {
        guard let rates = best[curve.speed] else { continue }
        print(String(format: "ECDSA %@ verify: ours %8.0f/s over digest (%5.1f%% of `openssl speed %@` %8.0f/s), %8.0f/s over a 32-byte message (per CPU second)",
                     curve.name, rates.digest, 100 * rates.digest / rates.openssl, curve.speed, rates.openssl, rates.message))
    }
}

/// Runs `body` repeatedly for about 2 seconds of this thread's CPU time and returns calls per CPU second — the
/// same measure `openssl speed` uses by default (user time), so a busy shared machine does not skew the ratio.
private func measure(_ body: () -> Void) -> Double {
    func cpuSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
    for _ in 0..<200 { body() }
    var iterations = 0
    let start = cpuSeconds()
    var elapsed = 0.0
    while elapsed < 2.0 {
        for _ in 0..<100 { body() }
        iterations += 100
        elapsed = cpuSeconds() - start
    }
    return Double(iterations) / elapsed
}

/// Parses the verify/s column of `openssl speed -seconds 3 ecdsap256 ecdsap384`.
private func runOpenSSLSpeed(_ algorithms: [String]) throws -> [String: Double] {
    let output = try runTool(["openssl", "speed", "-seconds", "2"] + algorithms)
    var rates: [String: Double] = [:]
    for line in output.split(separator: "\n") where line.contains("ecdsa (nistp") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard let verify = fields.last.flatMap({ Double($0) }) else { continue }
        if line.contains("nistp256") { rates["ecdsap256"] = verify }
        if line.contains("nistp384") { rates["ecdsap384"] = verify }
    }
    return rates
}

/// Runs a tool found on PATH, returns its standard output, throws on a non-zero exit.
///
/// Spawned with posix_spawn and an empty signal mask with default dispositions: children of a Swift process
/// otherwise inherit the runtime's blocked signals, and `openssl speed` (which times itself with SIGALRM) never stops.
@discardableResult
private func runTool(_ arguments: [String]) throws -> String {
    var pipeEnds: [Int32] = [0, 0]
    guard pipe(&pipeEnds) == 0 else { throw CryptoError(.ioError, "pipe failed") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
    posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for pointer in cArguments { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawnp(&pid, arguments[0], &actions, &attributes, &cArguments, environ)
    close(pipeEnds[1])
    guard spawned == 0 else {
        close(pipeEnds[0])
        throw CryptoError(.ioError, "cannot run \(arguments[0]): \(String(cString: strerror(spawned)))")
    }
    let output = FileHandle(fileDescriptor: pipeEnds[0], closeOnDealloc: true).readDataToEndOfFile()
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    guard status == 0 else {
        throw CryptoError(.ioError, "\(arguments.joined(separator: " ")) failed (wait status \(status))")
    }
    return String(decoding: output, as: UTF8.self)
}
