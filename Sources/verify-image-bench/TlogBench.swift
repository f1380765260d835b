import Foundation
import ImageGate

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
    return try JSONDecoder().decode(TransparencyLogEntry.self, from: JSONSerialization.data(withJSONObject: first))
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
private func tlogOpenSSLSHA256Rate(bytes: Int) -> Double? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["openssl", "speed", "-evp", "sha256", "-bytes", String(bytes), "-seconds", "1"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("sha256") }),
          let field = line.split(separator: " ").last, field.hasSuffix("k"),
          let kilobytes = Double(field.dropLast()) else { return nil }
    return kilobytes * 1000 / Double(bytes)
}
