import CryptoPrimitives
import Foundation

/// The thing a bundle is checked against: its bytes, or one or more of its digests.
public enum Artifact: Sendable {
    /// The artifact's exact bytes (digests are computed as needed, each once).
    case bytes(Data)
    /// Known digests of the artifact (e.g. `sha256:<hex>` from the command line, or an image manifest digest).
    case digests([HashAlgorithm: [UInt8]])

    /// A single known digest.
    public static func digest(_ algorithm: HashAlgorithm, _ value: [UInt8]) -> Artifact { .digests([algorithm: value]) }

    /// Parses `sha256:<64 hex>` / `sha384:…` / `sha512:…`; nil when `text` is not such a digest.
    public static func parseDigest(_ text: String) -> (HashAlgorithm, [UInt8])? {
        guard let colon = text.firstIndex(of: ":"),
              let algorithm = HashAlgorithm(rawValue: String(text[..<colon])),
              let value = bytesFromHex(String(text[text.index(after: colon)...])),
              value.count == algorithm.byteCount
        else { return nil }
        return (algorithm, value)
    }
}

/// Computes and caches artifact digests during one verification (not shared across threads).
final class ArtifactDigests {
    let artifact: Artifact
    private var cache: [HashAlgorithm: [UInt8]] = [:]

    init(_ artifact: Artifact) {
        self.artifact = artifact
        if case .digests(let known) = artifact { cache = known }
    }

    /// The digest under `algorithm`, or nil when only other digests are known.
    func digest(_ algorithm: HashAlgorithm) -> [UInt8]? {
        if let cached = cache[algorithm] { return cached }
        guard case .bytes(let data) = artifact else { return nil }
        let value = algorithm.hash(data)
        cache[algorithm] = value
        return value
    }

    /// The algorithms for which a digest is available.
    var availableAlgorithms: [HashAlgorithm] {
        if case .bytes = artifact { return HashAlgorithm.allCases }
        return HashAlgorithm.allCases.filter { cache[$0] != nil }
    }

    /// The bytes, when known.
    var bytes: Data? {
        if case .bytes(let data) = artifact { return data }
        return nil
    }
}
