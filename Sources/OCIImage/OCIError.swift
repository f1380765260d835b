import Foundation

/// The error thrown when OCI content (a manifest, an index, a descriptor or a platform) is not acceptable.
///
/// `code` is stable and snake_case; `description` is one line naming the problem, where it is (a JSON path such as
/// `layers[2].size`) and, where there is one, the fix.
public struct OCIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable identifiers of every way OCI content can be rejected.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The content is larger than the limit for its kind (manifests: 4 MiB).
        case tooLarge = "too_large"
        /// The bytes are not a JSON object.
        case malformedJSON = "malformed_json"
        /// A required field is absent or null.
        case missingField = "missing_field"
        /// A field has the wrong JSON type.
        case wrongType = "wrong_type"
        /// A field has a value the specification does not allow.
        case invalidValue = "invalid_value"
        /// `schemaVersion` is not 2.
        case invalidSchemaVersion = "invalid_schema_version"
        /// The manifest's media type is not one this project knows.
        case unknownMediaType = "unknown_media_type"
        /// The media type is known but deliberately not supported (Docker schema 1).
        case unsupportedMediaType = "unsupported_media_type"
        /// The `mediaType` field disagrees with the media type the content was served or referenced as.
        case mediaTypeMismatch = "media_type_mismatch"
        /// A digest does not follow the OCI digest grammar.
        case malformedDigest = "malformed_digest"
        /// A descriptor's size is negative.
        case negativeSize = "negative_size"
        /// A descriptor's embedded `data` is not base64 or does not have the descriptor's size.
        case invalidData = "invalid_data"
        /// A platform string is not `os/arch[/variant]`.
        case invalidPlatform = "invalid_platform"
    }

    /// The stable reason code.
    public let code: Code
    /// The JSON path of the offending field (`config.digest`, `manifests[1].platform`), empty for the whole document.
    public let path: String
    /// What is wrong, and the fix where there is one.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, path: String = "", _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    /// One line: the path (if any) and the message.
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

extension OCIError {
    /// Renders a Codable coding path as `a.b[2].c`.
    static func render(_ path: [any CodingKey]) -> String {
        var out = ""
        for key in path {
            if let i = key.intValue {
                out += "[\(i)]"
            } else {
                if !out.isEmpty { out += "." }
                out += key.stringValue
            }
        }
        return out
    }

    /// Maps a Foundation decoding error to an ``OCIError`` that names the field.
    static func from(_ error: any Error, document: String) -> OCIError {
        if let e = error as? OCIError { return e }
        guard let e = error as? DecodingError else {
            return OCIError(.malformedJSON, "\(document) is not valid JSON: \(error)")
        }
        switch e {
        case .keyNotFound(let key, let ctx):
            let path = render(ctx.codingPath + [key])
            return OCIError(.missingField, path: path, "required field \"\(key.stringValue)\" is missing from the \(document)")
        case .valueNotFound(_, let ctx):
            return OCIError(.missingField, path: render(ctx.codingPath), "required value is null in the \(document)")
        case .typeMismatch(let type, let ctx):
            if ctx.codingPath.isEmpty {
                return OCIError(.malformedJSON, "the \(document) must be a JSON object")
            }
            return OCIError(.wrongType, path: render(ctx.codingPath), "expected \(jsonTypeName(type)) in the \(document)")
        case .dataCorrupted(let ctx):
            if let r = ctx.underlyingError as? ReferenceError {
                return OCIError(.malformedDigest, path: render(ctx.codingPath),
                                "\(r.description); a digest is algorithm:hex, e.g. sha256:<64 lowercase hex>")
            }
            if let o = ctx.underlyingError as? OCIError { return o }
            if ctx.codingPath.isEmpty {
                return OCIError(.malformedJSON, "the \(document) is not valid JSON")
            }
            return OCIError(.invalidValue, path: render(ctx.codingPath), ctx.debugDescription)
        @unknown default:
            return OCIError(.malformedJSON, "\(document) could not be decoded: \(e)")
        }
    }

    private static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        default:
            String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
