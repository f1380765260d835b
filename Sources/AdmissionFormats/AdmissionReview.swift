import Foundation
import ManifestScanner
@_exported import StrictJSON

/// The fields of an `admission.k8s.io/v1` AdmissionReview request the webhooks read, taken from the parsed JSON.
package struct AdmissionRequest {
    /// Echoed in the response; the API server matches answers by it.
    package var uid: String
    /// The object's kind (`Pod`, `Deployment`…).
    package var kind: String?
    package var name: String?
    package var namespace: String?
    /// CREATE, UPDATE, DELETE, CONNECT.
    package var operation: String?
    /// The object being admitted (absent for DELETE).
    package var object: JSONValue?

    /// Reads the request of a review; nil when the review has none or it has no `uid`.
    package init?(review: JSONValue) {
        guard let request = review["request"], let uid = request["uid"]?.string else { return nil }
        self.uid = uid
        kind = request["kind"]?["kind"]?.string
        name = request["name"]?.string
        namespace = request["namespace"]?.string
        operation = request["operation"]?.string
        object = request["object"]
    }
}

/// Gatekeeper's external-data `ProviderRequest` (`externaldata.gatekeeper.sh/v1beta1` or `v1alpha1`).
package struct ProviderRequest: Decodable {
    package var apiVersion: String?
    package var kind: String?
    package var request: Keys?

    package struct Keys: Decodable {
        package var keys: [String]
    }
}

/// The admitted object as StrictJSON parsed it (duplicate member names refused: the API server's Go decoder keeps the
/// last one, and two readings of one body must not differ), with the reads the webhooks need.
extension JSONValue {
    package subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    package var string: String? { stringValue }

    /// A number, boolean or null: never an image or a name.
    package var isScalar: Bool {
        switch self {
        case .integer, .number, .bool, .null: return true
        case .object, .array, .string: return false
        }
    }

    /// The value at a path of keys and indexes.
    package func value(at path: [YAMLPathStep]) -> JSONValue? {
        var current: JSONValue? = self
        for step in path {
            switch (step, current) {
            case (.key(let key), .object(let members)?): current = members[key]
            case (.index(let index), .array(let items)?): current = items.indices.contains(index) ? items[index] : nil
            default: return nil
            }
        }
        return current
    }
}
