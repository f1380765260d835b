// AdmissionFormats: the request bodies the admission server reads — Kubernetes AdmissionReview v1 and Gatekeeper's
// external-data ProviderRequest — decoded, checked and turned into the images to decide, without the HTTP server
// (the fuzz harnesses link this module alone). docs/ARCHITECTURE.md, "Admission server" and "Fuzzing and sanitizers".
import Foundation
import ManifestScanner

/// An AdmissionReview ready to decide.
package struct ParsedReview {
    /// The request's `uid`, echoed in the answer.
    package var uid: String
    /// The admitted object's kind (`Pod`, `Deployment`…).
    package var kind: String?
    /// `Pod default/web` (kind, namespace, name).
    package var objectDescription: String
    /// The object's images; nil when nothing is admitted (DELETE, no object).
    package var images: [WorkloadImage]?

    /// Decodes an `admission.k8s.io/v1` AdmissionReview body and finds the admitted object's images.
    /// - Returns: the review, or an `AdmissionError`: `body_too_large` (more than `maximumBodyBytes`),
    ///   `malformed_body` (not JSON, no request uid, nested too deep), `unsupported_api_version`, `unsupported_kind`.
    package static func parse(_ body: [UInt8], maximumBodyBytes: Int) -> Result<ParsedReview, AdmissionError> {
        guard body.count <= maximumBodyBytes else {
            return .failure(AdmissionError(.bodyTooLarge, "the body has \(body.count) bytes; at most \(maximumBodyBytes) are accepted"))
        }
        let review: JSONValue
        do {
            review = try JSONValue(parsing: body)
        } catch {
            return .failure(AdmissionError(.malformedBody, "the body is not an AdmissionReview: \(error)"))
        }
        guard case .object = review else {
            return .failure(AdmissionError(.malformedBody, "the body is not an AdmissionReview: not a JSON object"))
        }
        let apiVersion = review["apiVersion"]?.string, kind = review["kind"]?.string
        guard kind == "AdmissionReview", apiVersion == "admission.k8s.io/v1" else {
            return .failure(AdmissionError(.unsupportedAPIVersion,
                                           "expected kind AdmissionReview of admission.k8s.io/v1, got \(kind ?? "no kind") \(apiVersion ?? "no apiVersion"); set admissionReviewVersions: [\"v1\"] in the webhook configuration"))
        }
        guard let request = AdmissionRequest(review: review) else {
            return .failure(AdmissionError(.malformedBody, "the AdmissionReview has no request with a uid"))
        }
        let objectKind = request.kind ?? "object"
        let name = request.name ?? request.object?["metadata"]?["name"]?.string ?? request.object?["metadata"]?["generateName"]?.string ?? ""
        let description = "\(objectKind) \(request.namespace.map { "\($0)/" } ?? "")\(name)"
        var parsed = ParsedReview(uid: request.uid, kind: request.kind, objectDescription: description, images: nil)
        guard request.operation != "DELETE", let object = request.object, !object.isScalar else { return .success(parsed) }
        guard WorkloadImages.admittedKinds.contains(objectKind) else {
            return .failure(AdmissionError(.unsupportedKind,
                                           "\(objectKind) is not a kind verify-image serve admits (\(WorkloadImages.admittedKinds.sorted().joined(separator: ", "))); remove it from the webhook configuration's rules"))
        }
        guard let images = WorkloadImages.find(in: object) else {
            return .failure(AdmissionError(.malformedBody, "the object nests deeper than \(WorkloadImages.maximumDepth) levels"))
        }
        parsed.images = images
        return .success(parsed)
    }
}

/// A Gatekeeper external-data request ready to decide: one image per key.
package struct ParsedProviderRequest {
    /// The request's `apiVersion` (`externaldata.gatekeeper.sh/v1beta1` or `v1alpha1`), echoed in the answer.
    package var apiVersion: String
    /// The keys, in order (each an image reference).
    package var keys: [String]
    /// The image of each key, classified by the scanner's pin rules (same order as `keys`).
    package var images: [WorkloadImage] { keys.map(WorkloadImage.init(providerKey:)) }

    /// The answers the provider speaks.
    package static let apiVersions = ["externaldata.gatekeeper.sh/v1beta1", "externaldata.gatekeeper.sh/v1alpha1"]

    /// Why a body is not a usable ProviderRequest: the message for `systemError`, and the request's `apiVersion` when
    /// it had one (the answer echoes it).
    package struct Refusal: Error {
        package var message: String
        package var apiVersion: String?
    }

    /// Decodes a ProviderRequest body.
    package static func parse(_ body: [UInt8]) -> Result<ParsedProviderRequest, Refusal> {
        let request: ProviderRequest
        do {
            request = try JSONDecoder().decode(ProviderRequest.self, from: Data(body))
        } catch {
            return .failure(Refusal(message: "the body is not a ProviderRequest: \(describeDecodingError(error))"))
        }
        guard request.kind == "ProviderRequest", let apiVersion = request.apiVersion, apiVersions.contains(apiVersion) else {
            return .failure(Refusal(message: "expected kind ProviderRequest of externaldata.gatekeeper.sh/v1beta1 or v1alpha1, got \(request.kind ?? "no kind") \(request.apiVersion ?? "no apiVersion")",
                                    apiVersion: request.apiVersion))
        }
        guard let keys = request.request?.keys else {
            return .failure(Refusal(message: "the ProviderRequest has no request.keys", apiVersion: apiVersion))
        }
        return .success(ParsedProviderRequest(apiVersion: apiVersion, keys: keys))
    }
}

extension WorkloadImage {
    /// A Gatekeeper key as a workload image, classified by the scanner's pin rules.
    package init(providerKey key: String) {
        let classified = PinClassifier.classify(key)
        self.init(container: nil, list: "key", path: [], pathText: "key", image: key,
                  reference: classified.reference, status: classified.status, note: classified.note)
    }
}

/// A `JSONDecoder` error as one line: invalid JSON, the missing field, or the field of the wrong type.
package func describeDecodingError(_ error: any Error) -> String {
    switch error {
    case DecodingError.dataCorrupted(let context):
        return "invalid JSON (\(context.debugDescription))"
    case DecodingError.keyNotFound(let key, let context):
        return "missing \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
        return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
    default:
        return "\(error)"
    }
}
