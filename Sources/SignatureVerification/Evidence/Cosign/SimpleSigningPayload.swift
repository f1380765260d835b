import Foundation

/// A cosign "simple signing" payload: the exact bytes a classic cosign or skopeo signature signs.
///
/// ```
/// {"critical":{"identity":{"docker-reference":"<repo>"},"image":{"docker-manifest-digest":"sha256:<hex>"},
///              "type":"cosign container image signature"},"optional":null | {…}}
/// ```
/// Parsing is strict, as containers/image does it: `critical` holds exactly `identity`, `image` and `type`; `type` is
/// `cosign container image signature`; the digest is a well-formed digest; `optional.timestamp`, when present, is an
/// integer. Unknown `optional` keys are kept as annotations.
public struct SimpleSigningPayload: Sendable, Hashable {
    /// The payload type every cosign container-image signature carries.
    public static let signatureType = "cosign container image signature"

    /// `critical.identity.docker-reference`: the repository the signer named (cosign writes no tag or digest).
    public let dockerReference: String
    /// `critical.image.docker-manifest-digest`: the manifest digest the signature is about.
    public let manifestDigest: String
    /// `optional`: the annotations whose JSON value is a string (creator and the `-a key=value` annotations).
    /// Values of other JSON types are not here: a required annotation is compared as JSON, so `-a n=1` is not met
    /// by `"n": 1` (cosign writes `-a` values as strings).
    public let optional: [String: String]
    /// `optional.timestamp` (seconds since 1970), when present.
    public let timestamp: Int64?

    /// Parses and validates payload bytes (the layer blob, exactly as signed).
    public init(bytes: [UInt8]) throws(SignatureVerificationError) {
        func invalid(_ what: String) -> SignatureVerificationError {
            SignatureVerificationError(.payloadInvalid, check: .payload, "the cosign signature payload \(what)")
        }
        guard bytes.count <= SimpleSigningPayload.maximumSize else {
            throw invalid("is \(bytes.count) bytes; at most \(SimpleSigningPayload.maximumSize) are accepted")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes), options: [])
        } catch {
            throw invalid("is not JSON (\(error.localizedDescription))")
        }
        guard let top = object as? [String: Any] else { throw invalid("is not a JSON object") }
        guard Set(top.keys).isSubset(of: ["critical", "optional"]), let critical = top["critical"] as? [String: Any]
        else { throw invalid("must hold exactly `critical` and `optional`; it holds \(top.keys.sorted())") }
        guard Set(critical.keys) == ["identity", "image", "type"] else {
            throw invalid("`critical` must hold exactly identity, image and type; it holds \(critical.keys.sorted())")
        }
        guard let type = critical["type"] as? String, type == SimpleSigningPayload.signatureType else {
            throw invalid("has type \(String(describing: critical["type"] ?? "nothing")), not \"\(SimpleSigningPayload.signatureType)\"")
        }
        guard let image = critical["image"] as? [String: Any], Set(image.keys) == ["docker-manifest-digest"],
              let digest = image["docker-manifest-digest"] as? String
        else { throw invalid("`critical.image` must hold exactly a string `docker-manifest-digest`") }
        guard SimpleSigningPayload.isWellFormedDigest(digest) else {
            throw invalid("names a malformed digest \"\(digest)\"")
        }
        guard let identity = critical["identity"] as? [String: Any], Set(identity.keys) == ["docker-reference"],
              let reference = identity["docker-reference"] as? String
        else { throw invalid("`critical.identity` must hold exactly a string `docker-reference`") }

        var optional: [String: String] = [:]
        var timestamp: Int64?
        switch top["optional"] {
        case nil, is NSNull:
            break
        case let values as [String: Any]:
            for (key, value) in values {
                if key == "timestamp" {
                    guard let number = value as? NSNumber, !(value is Bool), number.doubleValue.rounded() == number.doubleValue,
                          abs(number.doubleValue) < 9.0e15 else {
                        throw invalid("has a non-integer optional.timestamp")
                    }
                    timestamp = number.int64Value
                } else if let string = value as? String {
                    optional[key] = string
                }
            }
        default:
            throw invalid("has an `optional` that is neither null nor an object")
        }
        self.dockerReference = reference
        self.manifestDigest = digest
        self.optional = optional
        self.timestamp = timestamp
    }

    /// Payloads larger than this are refused before parsing (cosign's are a few hundred bytes).
    public static let maximumSize = 128 * 1024

    static func isWellFormedDigest(_ digest: String) -> Bool {
        let parts = digest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let lengths = ["sha256": 64, "sha384": 96, "sha512": 128]
        guard let length = lengths[String(parts[0])], parts[1].utf8.count == length else { return false }
        return parts[1].utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}
