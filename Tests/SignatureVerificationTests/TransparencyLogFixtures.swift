import Foundation
import TestSupport
import CryptoPrimitives
@testable import SignatureVerification

/// Paths and loaders for the real transparency-log fixtures in testdata/tlog (see its README.md).
enum TLogFixtures {
    /// testdata/tlog.
    static let directory: URL = PackagePaths.testdata("tlog")

    struct Missing: Error, CustomStringConvertible { let description: String }

    /// The bytes of a fixture file.
    static func bytes(_ relativePath: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(relativePath)))
    }

    /// Every `.json` file under a fixture folder (relative paths, sorted).
    static func jsonFiles(under relativePath: String) -> [String] {
        let base = directory.appendingPathComponent(relativePath)
        guard let enumerator = FileManager.default.enumerator(atPath: base.path) else { return [] }
        var files = [String]()
        while let file = enumerator.nextObject() as? String {
            if file.hasSuffix(".json") { files.append(relativePath + "/" + file) }
        }
        return files.sorted()
    }

    /// The raw JSON objects of a bundle's `verificationMaterial.tlogEntries`, re-serialized one by one so a test can
    /// decode or mutate them.
    static func entryObjects(_ bundlePath: String) throws -> [[String: Any]] {
        let json = try JSONSerialization.jsonObject(with: Data(try bytes(bundlePath)))
        guard let bundle = json as? [String: Any], let material = bundle["verificationMaterial"] as? [String: Any],
              let entries = material["tlogEntries"] as? [[String: Any]] else {
            throw Missing(description: "\(bundlePath) has no verificationMaterial.tlogEntries")
        }
        return entries
    }

    /// Reads an entry object as the bundle verifier does (its JSON re-encoded by JSONSerialization).
    static func decodeEntry(_ object: [String: Any]) throws -> TransparencyLogEntry {
        let data = try JSONSerialization.data(withJSONObject: object)
        return try TransparencyLogEntry(json: Array(data))
    }

    /// The first tlog entry of a bundle.
    static func entry(_ bundlePath: String) throws -> TransparencyLogEntry {
        guard let first = try entryObjects(bundlePath).first else { throw Missing(description: "\(bundlePath): no tlog entry") }
        return try decodeEntry(first)
    }

    /// Every bundle fixture (relative paths).
    static let bundlePaths: [String] = {
        let base = directory.appendingPathComponent("bundles")
        guard let enumerator = FileManager.default.enumerator(atPath: base.path) else { return [] }
        var files = [String]()
        while let file = enumerator.nextObject() as? String {
            if file.hasSuffix(".json") && !file.hasSuffix("trusted_root.json") || file.hasSuffix(".sigstore") {
                files.append("bundles/" + file)
            }
        }
        return files.sorted()
    }()
}

extension TLogFixtures {
    /// RFC 3339 with or without fractional seconds, as trusted roots use both.
    static func date(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return plain.date(from: text) ?? fractional.date(from: text)
    }

    /// The name sigstore-go's scaffolding Rekor (roots/scaffolding.trusted_root.json) signs its checkpoints as: the
    /// `rekor_server.hostname` Rekor defaults to, its machine's (pod's) name.
    static let scaffoldingCheckpointName = "rekor-00001-deployment-56bf7777c9-jds5x"

    /// The `tlogs[]` of a trusted_root.json as TransparencyLogKeys (a test-only reader; the bundle module has the
    /// real trusted-root parser).
    static func logs(_ trustedRootPath: String) throws -> [TransparencyLogKey] {
        let json = try JSONSerialization.jsonObject(with: Data(try bytes(trustedRootPath))) as? [String: Any] ?? [:]
        return try (json["tlogs"] as? [[String: Any]] ?? []).map { tlog in
            let publicKey = tlog["publicKey"] as? [String: Any] ?? [:]
            let validFor = publicKey["validFor"] as? [String: Any] ?? [:]
            guard let raw = (publicKey["rawBytes"] as? String).flatMap({ Data(base64Encoded: $0) }),
                  let logID = ((tlog["logId"] as? [String: Any])?["keyId"] as? String).flatMap({ Data(base64Encoded: $0) }) else {
                throw Missing(description: "\(trustedRootPath): tlog without key or log id")
            }
            return TransparencyLogKey(logID: [UInt8](logID), key: try PublicKey(derSPKI: [UInt8](raw)),
                                      baseURL: tlog["baseUrl"] as? String ?? "",
                                      validFrom: (validFor["start"] as? String).flatMap(date),
                                      validUntil: (validFor["end"] as? String).flatMap(date))
        }
    }

    /// The trusted root that goes with a bundle fixture: the case's own, else staging for staging bundles, else
    /// production.
    static func rootPath(for bundlePath: String) -> String {
        let own = (bundlePath as NSString).deletingLastPathComponent + "/trusted_root.json"
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent(own).path) { return own }
        if bundlePath.contains("othername") { return "roots/scaffolding.trusted_root.json" }
        let staging = ["sigstore-python/bundle.txt", "sigstore-python/bundle_v3.txt", "staging-rekor-v2", "bundle_no_checkpoint",
                       "bundle-from-wrong-instance"]
        if staging.contains(where: bundlePath.contains) { return "roots/staging.trusted_root.json" }
        return "roots/production.trusted_root.json"
    }
}
