import Foundation

/// The fields of an `admission.k8s.io/v1` AdmissionReview request the webhooks read, taken from the parsed JSON.
struct AdmissionRequest {
    /// Echoed in the response; the API server matches answers by it.
    var uid: String
    /// The object's kind (`Pod`, `Deployment`…).
    var kind: String?
    var name: String?
    var namespace: String?
    /// CREATE, UPDATE, DELETE, CONNECT.
    var operation: String?
    /// The object being admitted (absent for DELETE).
    var object: JSONValue?

    /// Reads the request of a review; nil when the review has none or it has no `uid`.
    init?(review: JSONValue) {
        guard let request = review["request"], let uid = request["uid"]?.string else { return nil }
        self.uid = uid
        kind = request["kind"]?["kind"]?.string
        name = request["name"]?.string
        namespace = request["namespace"]?.string
        operation = request["operation"]?.string
        object = request["object"]
    }
}

/// The AdmissionReview the webhook answers with.
struct AdmissionReviewResponseEnvelope: Encodable {
    var apiVersion = "admission.k8s.io/v1"
    var kind = "AdmissionReview"
    var response: AdmissionResponse
}

/// The `response` of an AdmissionReview.
struct AdmissionResponse: Encodable {
    var uid: String
    var allowed: Bool
    var status: Status?
    var warnings: [String]?
    var patchType: String?
    /// Base64 of a JSONPatch document (RFC 6902).
    var patch: String?

    /// `metav1.Status` of a denial; `message` is what kubectl prints after "denied the request:".
    struct Status: Encodable {
        var code: Int
        var reason: String?
        var message: String
    }
}

/// One RFC 6902 operation.
struct JSONPatchOperation: Codable, Hashable {
    var op: String
    var path: String
    var value: String?
}

/// Gatekeeper's external-data `ProviderRequest` (`externaldata.gatekeeper.sh/v1beta1` or `v1alpha1`).
struct ProviderRequest: Decodable {
    var apiVersion: String?
    var kind: String?
    var request: Keys?

    struct Keys: Decodable {
        var keys: [String]
    }
}

/// Gatekeeper's external-data `ProviderResponse`: one item per key, errors per item, `systemError` for the whole.
struct ProviderResponse: Encodable {
    var apiVersion: String
    var kind = "ProviderResponse"
    var response: Body

    struct Body: Encodable {
        var idempotent: Bool
        var items: [Item]?
        var systemError: String?
    }

    struct Item: Encodable {
        var key: String
        var value: ProviderValue?
        var error: String?
    }
}

/// What the provider says about one image (the `value` of a ProviderResponse item).
struct ProviderValue: Encodable {
    var decision: String
    var digest: String?
    var reasons: [String]
    var message: String
    var enforcement: String
}

/// A JSON value as `JSONSerialization` parsed it, for walking the admitted object.
enum JSONValue: Hashable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    /// Numbers, booleans and null: never an image or a name.
    case scalar

    /// Parses JSON text; nil when it is not JSON.
    init?(parsing data: Data) {
        guard let any = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return nil }
        self.init(any)
    }

    init(_ any: Any) {
        switch any {
        case let members as [String: Any]: self = .object(members.mapValues(JSONValue.init))
        case let items as [Any]: self = .array(items.map(JSONValue.init))
        case let text as String: self = .string(text)
        default: self = .scalar
        }
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The value at a path of keys and indexes.
    func value(at path: [YAMLPathStep]) -> JSONValue? {
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
