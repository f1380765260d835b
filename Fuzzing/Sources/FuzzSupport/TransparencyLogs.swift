import Foundation

/// The trusted roots whose transparency logs the tlog harnesses verify against (relative to `testdata/`).
public let transparencyLogRoots = ["tlog/roots/production.trusted_root.json", "tlog/roots/staging.trusted_root.json",
                                   "sigstore/conformance/bundle-verify/rekor2-happy-path/trusted_root.json"]

/// Every Sigstore bundle fixture, as its JSON object: the same folders `scripts/fuzz-seeds.py` cuts seeds from, so
/// every real signed input a seed can come from is known to the differential oracles.
func bundleObjects() -> [[String: Any]] {
    let paths = ["sigstore", "tlog/bundles", "crypto/sigstore"].flatMap {
        FuzzFixtures.files(under: $0, endingWith: [".json", ".sigstore"])
    }
    return paths.compactMap { path in
        guard let object = try? JSONSerialization.jsonObject(with: Data(FuzzFixtures.bytes(path))) as? [String: Any],
              object["verificationMaterial"] is [String: Any] else { return nil }
        return object
    }
}

/// Every bundle fixture's `verificationMaterial.tlogEntries[]` objects, re-serialized one by one.
public func bundleTlogEntryObjects() -> [Data] {
    bundleObjects().flatMap { object -> [Data] in
        let material = object["verificationMaterial"] as? [String: Any]
        let entries = material?["tlogEntries"] as? [[String: Any]] ?? []
        return entries.compactMap { try? JSONSerialization.data(withJSONObject: $0) }
    }
}

/// The annotations of every cosign signature layer fixture (containers/image `dir:` signature files).
public func cosignSignatureAnnotations() -> [[String: String]] {
    let prefix = Array("\u{0}sigstore-json\n".utf8)
    let paths = FuzzFixtures.files(under: "containers-image", endingWith: ["signature-1", "signature-2", ".signature"])
        + FuzzFixtures.files(under: "tlog/containers-image", endingWith: ["signature-1", "signature-2"])
    return paths.compactMap { path in
        let bytes = FuzzFixtures.bytes(path)
        guard bytes.starts(with: prefix),
              let object = try? JSONSerialization.jsonObject(with: Data(bytes.dropFirst(prefix.count))) as? [String: Any]
        else { return nil }
        return object["annotations"] as? [String: String]
    }
}

/// The DER of every certificate in the fixtures: bundle chains and leaves, cosign certificate and chain
/// annotations, and the PEM / DER certificate files.
public func fixtureCertificates() -> Set<[UInt8]> {
    var found = Set<[UInt8]>()
    func base64(_ text: String) -> [UInt8]? { Data(base64Encoded: text).map { [UInt8]($0) } }
    for object in bundleObjects() {
        let material = object["verificationMaterial"] as? [String: Any] ?? [:]
        let chain = (material["x509CertificateChain"] as? [String: Any])?["certificates"] as? [[String: Any]] ?? []
        let single = (material["certificate"] as? [String: Any]).map { [$0] } ?? []
        for certificate in chain + single {
            if let der = (certificate["rawBytes"] as? String).flatMap(base64) { found.insert(der) }
        }
    }
    var pems = cosignSignatureAnnotations().flatMap {
        [$0["dev.sigstore.cosign/certificate"], $0["dev.sigstore.cosign/chain"]].compactMap { $0 }
    }
    for folder in ["crypto/generated", "crypto/containers-image", "containers-image"] {
        pems += FuzzFixtures.files(under: folder, endingWith: [".pem", "fulcio-cert", "fulcio-chain"]).map(FuzzFixtures.text)
        for path in FuzzFixtures.files(under: folder, endingWith: [".der"]) { found.insert(FuzzFixtures.bytes(path)) }
    }
    for pem in pems {
        for block in pem.components(separatedBy: "-----BEGIN ").dropFirst() {
            let body = block.components(separatedBy: "-----").dropFirst().first ?? ""
            if let der = base64(body.filter { !$0.isWhitespace }) { found.insert(der) }
        }
    }
    return found
}
