import Foundation

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
