import Foundation
import StrictJSON

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
        // StrictJSON: a member name repeated anywhere is refused (containers/image refuses it too), so no reader can
        // find a second digest or identity in the signed bytes.
        let top: [String: JSONValue]
        do {
            top = try JSONFields(parsing: bytes).members
        } catch {
            throw invalid("is not a JSON object (\(error))")
        }
        guard Set(top.keys).isSubset(of: ["critical", "optional"]), let critical = top["critical"]?.objectValue
        else { throw invalid("must hold exactly `critical` and `optional`; it holds \(top.keys.sorted())") }
        guard Set(critical.keys) == ["identity", "image", "type"] else {
            throw invalid("`critical` must hold exactly identity, image and type; it holds \(critical.keys.sorted())")
        }
        guard let type = critical["type"]?.stringValue, type == SimpleSigningPayload.signatureType else {
            throw invalid("has type \(critical["type"].map { $0.stringValue.map { "\"\($0)\"" } ?? $0.kindName } ?? "nothing"), not \"\(SimpleSigningPayload.signatureType)\"")
        }
        guard let image = critical["image"]?.objectValue, Set(image.keys) == ["docker-manifest-digest"],
              let digest = image["docker-manifest-digest"]?.stringValue
        else { throw invalid("`critical.image` must hold exactly a string `docker-manifest-digest`") }
        guard SimpleSigningPayload.isWellFormedDigest(digest) else {
            throw invalid("names a malformed digest \"\(digest)\"")
        }
        guard let identity = critical["identity"]?.objectValue, Set(identity.keys) == ["docker-reference"],
              let reference = identity["docker-reference"]?.stringValue
        else { throw invalid("`critical.identity` must hold exactly a string `docker-reference`") }

        var optional: [String: String] = [:]
        var timestamp: Int64?
        switch top["optional"] {
        case nil, .null?:
            break
        case .object(let values)?:
            for (key, value) in values {
                if key == "timestamp" {
                    guard let seconds = SimpleSigningPayload.integralSeconds(value) else {
                        throw invalid("has a non-integer optional.timestamp")
                    }
                    timestamp = seconds
                } else if let string = value.stringValue {
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

    /// A JSON number with an integral value below 9e15 in magnitude (`1700000000` or `1.7e9`), as Int64.
    static func integralSeconds(_ value: JSONValue) -> Int64? {
        switch value {
        case .integer(let integer): return integer.magnitude < 9_000_000_000_000_000 ? integer : nil
        case .number(let lexeme):
            guard let double = Double(lexeme), double.rounded() == double, abs(double) < 9.0e15 else { return nil }
            return Int64(double)
        default: return nil
        }
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
