import Foundation
import ImageGate
#if canImport(Glibc)
import Glibc
#endif

/// `verify-image-bench tlog [BUNDLE] [TRUSTED_ROOT]`: Merkle inclusion proofs verified per second on a real Rekor
/// entry (the proof alone, and leaf hash + proof), full entry verifications per second (SET + proof + checkpoint),
/// next to the raw OpenSSL SHA-256 rate for 65-byte node inputs (`openssl speed -evp sha256 -bytes 65`) and the
/// proof rate that rate allows. Defaults: cosign's production oci-attestation bundle (16-hash proof) and the
/// production trusted root from testdata/tlog, relative to the current directory (the package root).
func benchTlog(_ arguments: [String]) async throws {
    let bundlePath = arguments.first ?? "testdata/tlog/bundles/cosign/oci-attestation.sigstore.json"
    let rootPath = arguments.count > 1 ? arguments[1] : "testdata/tlog/roots/production.trusted_root.json"
    let entry = try tlogBenchEntry(bundlePath)
    let logs = try tlogBenchLogs(rootPath)
    guard let proof = entry.inclusionProof else {
        throw TransparencyLogError(.inclusionProofInvalid, "\(bundlePath): the first tlog entry has no inclusion proof")
    }
    let index = UInt64(proof.logIndex), size = UInt64(proof.treeSize)
    let leaf = MerkleTree.leafHash(entry.canonicalizedBody)
    // Check once before timing.
    try MerkleTree.verifyInclusion(index: index, size: size, leafHash: leaf, proof: proof.hashes, rootHash: proof.rootHash)
    _ = try TransparencyLogVerifier.verify(entry, logs: logs, requireInclusionProof: true)
    print("entry: \(bundlePath) logIndex \(entry.logIndex), proof index \(index) of \(size), \(proof.hashes.count) hashes, body \(entry.canonicalizedBody.count) bytes")

    let proofRate = try tlogRate {
        try MerkleTree.verifyInclusion(index: index, size: size, leafHash: leaf, proof: proof.hashes, rootHash: proof.rootHash)
    }
    let leafAndProofRate = try tlogRate {
        try MerkleTree.verifyInclusion(index: index, size: size, leafHash: MerkleTree.leafHash(entry.canonicalizedBody),
                                       proof: proof.hashes, rootHash: proof.rootHash)
    }
    let entryRate = try tlogRate(seconds: 2) {
        _ = try TransparencyLogVerifier.verify(entry, logs: logs, requireInclusionProof: true)
    }
    let bodyRate = try tlogRate {
        _ = try RekorEntryBody.parseBody(entry.canonicalizedBody, kind: entry.kindVersion.kind, version: entry.kindVersion.version)
    }
    let log = logs.first { $0.logID == entry.logID }
    let checkpointRate = try tlogRate {
        if let log, let envelope = proof.checkpoint { _ = try Checkpoint.verify(envelope: envelope, key: log, expectedOrigin: nil) }
    }
    print(String(format: "entry body parse:                    %10.0f bodies/s (%.1f µs each)", bodyRate, 1e6 / bodyRate))
    print(String(format: "checkpoint parse + signature:        %10.0f checkpoints/s (%.1f µs each)", checkpointRate, 1e6 / checkpointRate))
    print(String(format: "inclusion proof (leaf hash given):   %10.0f proofs/s (%.2f µs each, %.0f ns per node hash)",
                 proofRate, 1e6 / proofRate, 1e9 / proofRate / Double(proof.hashes.count)))
    print(String(format: "leaf hash + inclusion proof:         %10.0f proofs/s", leafAndProofRate))
    print(String(format: "full entry (SET + proof + checkpoint): %8.0f entries/s (two ECDSA P-256 verifications each)", entryRate))
    if let hashesPerSecond = tlogOpenSSLSHA256Rate(bytes: 65) {
        print(String(format: "openssl speed sha256, 65-byte input: %10.0f hashes/s → at most %.0f proofs/s of %d hashes (ours: %.0f%%)",
                     hashesPerSecond, hashesPerSecond / Double(proof.hashes.count), proof.hashes.count,
                     100 * proofRate / (hashesPerSecond / Double(proof.hashes.count))))
    } else {
        print("openssl speed: not available")
    }
    // The one-shot EVP_Digest our node hash pays for (a fresh context per hash).
    var node = [UInt8](repeating: 0x5A, count: 65)
    let oneShotRate = try tlogRate {
        node[1] = HashAlgorithm.sha256.hash(node)[0]
    }
    print(String(format: "one-shot EVP_Digest sha256, 65 bytes: %9.0f hashes/s → at most %.0f proofs/s of %d hashes",
                 oneShotRate, oneShotRate / Double(proof.hashes.count), proof.hashes.count))
}

/// Runs `work` repeatedly for about `seconds` and returns calls per second.
private func tlogRate(seconds: Double = 1, _ work: () throws -> Void) throws -> Double {
    var iterations = 0
    var batch = 64
    let start = DispatchTime.now().uptimeNanoseconds
    var elapsed = 0.0
    while elapsed < seconds {
        for _ in 0..<batch { try work() }
        iterations += batch
        elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if elapsed < seconds / 10 { batch *= 2 }
    }
    return Double(iterations) / elapsed
}

private func tlogBenchEntry(_ path: String) throws -> TransparencyLogEntry {
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
    guard let bundle = json as? [String: Any], let material = bundle["verificationMaterial"] as? [String: Any],
          let entries = material["tlogEntries"] as? [Any], let first = entries.first else {
        throw TransparencyLogError(.tlogEntryMissing, "\(path) has no verificationMaterial.tlogEntries")
    }
    return try TransparencyLogEntry(json: Array(JSONSerialization.data(withJSONObject: first)))
}

private func tlogBenchLogs(_ path: String) throws -> [TransparencyLogKey] {
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
    let formatter = ISO8601DateFormatter()
    return try (json["tlogs"] as? [[String: Any]] ?? []).compactMap { tlog in
        let publicKey = tlog["publicKey"] as? [String: Any] ?? [:]
        let validFor = publicKey["validFor"] as? [String: Any] ?? [:]
        guard let raw = (publicKey["rawBytes"] as? String).flatMap({ Data(base64Encoded: $0) }),
              let logID = ((tlog["logId"] as? [String: Any])?["keyId"] as? String).flatMap({ Data(base64Encoded: $0) }) else {
            return nil
        }
        return TransparencyLogKey(logID: [UInt8](logID), key: try PublicKey(derSPKI: [UInt8](raw)),
                                  baseURL: tlog["baseUrl"] as? String ?? "",
                                  validFrom: (validFor["start"] as? String).flatMap { formatter.date(from: $0) },
                                  validUntil: (validFor["end"] as? String).flatMap { formatter.date(from: $0) })
    }
}

/// SHA-256 hashes per second of `bytes`-byte inputs per `openssl speed -evp sha256` (1 s run); nil if unavailable.
/// `openssl speed` times itself with SIGALRM, which this process (like any Swift process) has blocked and a child
/// inherits — so it is started with posix_spawn and a clean signal mask, or it would never stop.
private func tlogOpenSSLSHA256Rate(bytes: Int) -> Double? {
    guard let output = tlogRunWithDefaultSignals(["openssl", "speed", "-evp", "sha256", "-bytes", String(bytes), "-seconds", "1"]),
          let line = output.split(separator: "\n").last(where: { $0.hasPrefix("sha256") }),
          let field = line.split(separator: " ").last, field.hasSuffix("k"),
          let kilobytes = Double(field.dropLast()) else { return nil }
    return kilobytes * 1000 / Double(bytes)
}

/// Runs a program found on PATH with an empty signal mask and default signal actions; returns its standard output.
private func tlogRunWithDefaultSignals(_ argv: [String]) -> String? {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var emptyMask = sigset_t()
    sigemptyset(&emptyMask)
    posix_spawnattr_setsigmask(&attributes, &emptyMask)
    var defaults = sigset_t()
    sigfillset(&defaults)
    sigdelset(&defaults, SIGKILL)
    sigdelset(&defaults, SIGSTOP)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    var pipeFDs: [Int32] = [0, 0]
    guard pipe(&pipeFDs) == 0 else { return nil }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
    posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
    posix_spawn_file_actions_addclose(&actions, pipeFDs[1])
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)

    let arguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    let environment: [UnsafeMutablePointer<CChar>?] = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        arguments.forEach { free($0) }
        environment.forEach { free($0) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawnp(&pid, argv[0], &actions, &attributes, arguments, environment)
    close(pipeFDs[1])
    defer { close(pipeFDs[0]) }
    guard spawned == 0 else { return nil }
    var output = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = read(pipeFDs[0], &buffer, buffer.count)
        if count <= 0 { break }
        output += buffer[0..<count]
    }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return String(decoding: output, as: UTF8.self)
}
