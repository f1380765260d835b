import AdmissionFormats
import Foundation
import ImageGate

extension AdmissionController {
    // MARK: - POST /validate

    /// Answers a validating AdmissionReview: allowed when every image is pinned and satisfies its policies; a denial
    /// names each container, image, reason code and fix; failures of warn-mode policies become `warnings`.
    public func validate(body: [UInt8], timeoutParameter: String? = nil) async -> HTTPAnswer {
        let started = ContinuousClock.now
        let review: ParsedReview
        switch parseReview(body) {
        case .failure(let error):
            return refuse(error, endpoint: "validate", started: started)
        case .success(let parsed):
            review = parsed
        }
        guard let images = review.images else {
            return answer(review, allowed: true, endpoint: "validate", started: started, decision: "allowed", reason: "none")
        }
        let outcomes = await decideAll(images, kind: review.kind, deadline: deadline(timeoutParameter: timeoutParameter))
        var denials: [String] = []
        var warnings: [String] = []
        var firstReason: ReasonCode?
        for outcome in outcomes {
            warnings += outcome.decision.warnings.map { "\(outcome.image.placeDescription) of \(review.objectDescription): image \(outcome.image.image): \($0)" }
            guard outcome.decision.decision != .pass else { continue }
            let line = Self.describe(outcome, review: review)
            firstReason = firstReason ?? outcome.decision.primaryReason
            if outcome.decision.enforcement == .warn { warnings.append(line) } else { denials.append(line) }
        }
        let reason = firstReason?.rawValue ?? "none"
        if denials.isEmpty {
            var response = AdmissionResponse(uid: review.uid, allowed: true)
            if !warnings.isEmpty { response.warnings = warnings }
            return encode(response, endpoint: "validate", started: started, decision: warnings.isEmpty ? "allowed" : "warned",
                          reason: reason)
        }
        var response = AdmissionResponse(uid: review.uid, allowed: false,
                                         status: .init(code: 403, reason: "Forbidden", message: denials.joined(separator: "; ")))
        if !warnings.isEmpty { response.warnings = warnings }
        return encode(response, endpoint: "validate", started: started, decision: "denied", reason: reason)
    }

    /// "[not_digest_pinned] Container nginx (spec.containers[0]) of Pod default/web must use an image digest: …"
    static func describe(_ outcome: ImageOutcome, review: ParsedReview) -> String {
        let decision = outcome.decision
        let codes = decision.reasons.isEmpty ? [decision.primaryReason] : decision.reasons
        let what = decision.reasons.contains(.notDigestPinned) || decision.reasons.contains(.invalidReference)
            ? "must use an image digest" : decision.decision == .indeterminate ? "could not be verified" : "is not allowed"
        let policies = decision.policies.isEmpty ? "" : " (policy \(decision.policies.joined(separator: ", ")))"
        return "[\(codes.map(\.rawValue).joined(separator: ","))] \(outcome.image.placeDescription) of \(review.objectDescription) "
            + "\(what): image \(outcome.image.image)\(policies): \(decision.message)"
    }

    // MARK: - POST /mutate

    /// Answers a mutating AdmissionReview: every image referenced by tag is resolved to its digest and pinned with a
    /// JSONPatch (`name:tag@sha256:…`, the tag kept for people), so what was admitted is what runs. A tag that cannot
    /// be resolved denies the request (fail closed) unless its policy only warns.
    public func mutate(body: [UInt8], timeoutParameter: String? = nil) async -> HTTPAnswer {
        let started = ContinuousClock.now
        let review: ParsedReview
        switch parseReview(body) {
        case .failure(let error):
            return refuse(error, endpoint: "mutate", started: started)
        case .success(let parsed):
            review = parsed
        }
        let unpinned = (review.images ?? []).filter { $0.status == .tag || $0.status == .implicitLatest }
        guard !unpinned.isEmpty else {
            return answer(review, allowed: true, endpoint: "mutate", started: started, decision: "allowed", reason: "none")
        }
        let decider = self.decider
        let deadline = deadline(timeoutParameter: timeoutParameter)
        let resolved = await withTaskGroup(of: (WorkloadImage, Result<String, any Error>).self) { group in
            for image in Set(unpinned) {
                group.addTask {
                    let task = Task { () -> Result<String, any Error> in
                        do { return .success(try await decider.resolveDigest(image.reference ?? image.image)) }
                        catch { return .failure(error) }
                    }
                    return (image, await value(of: task, within: deadline)
                        ?? .failure(AdmissionError(.malformedBody, "not resolved within the \(Self.seconds(deadline)) deadline")))
                }
            }
            var results: [WorkloadImage: Result<String, any Error>] = [:]
            for await (image, result) in group { results[image] = result }
            return results
        }
        var patch: [JSONPatchOperation] = []  // paths relative to the object, as the API server applies them
        var denials: [String] = []
        var warnings: [String] = []
        for image in unpinned {
            switch resolved[image]! {
            case .success(let digest):
                patch.append(JSONPatchOperation(op: "replace", path: YAMLPathStep.jsonPointer(image.path),
                                                value: "\(image.image)@\(digest)"))
            case .failure(let error):
                let line = "[\(Self.reason(for: error).rawValue)] \(image.placeDescription) of \(review.objectDescription): "
                    + "the tag of image \(image.image) could not be resolved to a digest: \(error)"
                if decider.enforcement(for: image.reference ?? image.image) == .warn { warnings.append(line) } else { denials.append(line) }
            }
        }
        if !denials.isEmpty {
            let response = AdmissionResponse(uid: review.uid, allowed: false,
                                             status: .init(code: 403, reason: "Forbidden", message: denials.joined(separator: "; ")),
                                             warnings: warnings.isEmpty ? nil : warnings)
            return encode(response, endpoint: "mutate", started: started, decision: "denied", reason: "registry_error")
        }
        var response = AdmissionResponse(uid: review.uid, allowed: true, warnings: warnings.isEmpty ? nil : warnings)
        if !patch.isEmpty {
            response.patchType = "JSONPatch"
            response.patch = (try? JSONEncoder.sortedKeys.encode(patch))?.base64EncodedString()
        }
        return encode(response, endpoint: "mutate", started: started, decision: patch.isEmpty ? "allowed" : "mutated",
                      reason: warnings.isEmpty ? "none" : "registry_error")
    }

    /// The reason code of an error thrown while resolving a tag.
    static func reason(for error: any Error) -> ReasonCode {
        if let error = error as? RegistryError { return ImageVerifier.reason(for: error) }
        if error is ReferenceError { return .invalidReference }
        return error is AdmissionError ? .deadlineExceeded : .internalError
    }

    // MARK: - POST /externaldata

    /// Answers Gatekeeper's external-data ProviderRequest: one item per key (an image reference) with the decision as
    /// its value, and an `error` (`<reason_code>: message`) for every image that must not run; `systemError` when the
    /// request itself is unusable. Idempotent: the same keys give the same answer while the verdicts are cached.
    public func externalData(body: [UInt8]) async -> HTTPAnswer {
        let started = ContinuousClock.now
        let request: ParsedProviderRequest
        switch ParsedProviderRequest.parse(body) {
        case .failure(let refusal):
            return providerSystemError(refusal.message, apiVersion: refusal.apiVersion, started: started)
        case .success(let parsed):
            request = parsed
        }
        let apiVersion = request.apiVersion, keys = request.keys
        let images = request.images
        let outcomes = await decideAll(images, kind: nil, deadline: settings.deadline)
        var items: [ProviderResponse.Item] = []
        var firstReason: ReasonCode?
        for (key, outcome) in zip(keys, outcomes) {
            let decision = outcome.decision
            let value = ProviderValue(decision: decision.decision.rawValue, digest: decision.digest,
                                      reasons: decision.reasons.map(\.rawValue), message: decision.message,
                                      enforcement: decision.enforcement.rawValue)
            var item = ProviderResponse.Item(key: key, value: value)
            if decision.decision != .pass && decision.enforcement == .enforce {
                item.error = "\(decision.primaryReason.rawValue): \(decision.message)"
                firstReason = firstReason ?? decision.primaryReason
            }
            items.append(item)
        }
        let response = ProviderResponse(apiVersion: apiVersion, response: .init(idempotent: true, items: items, systemError: nil))
        return encode(response, status: 200, endpoint: "externaldata", started: started,
                      decision: firstReason == nil ? "allowed" : "denied", reason: firstReason?.rawValue ?? "none")
    }

    private func providerSystemError(_ message: String, apiVersion: String?, started: ContinuousClock.Instant) -> HTTPAnswer {
        let response = ProviderResponse(apiVersion: apiVersion ?? "externaldata.gatekeeper.sh/v1beta1",
                                        response: .init(idempotent: true, items: nil, systemError: message))
        // Gatekeeper reads systemError from a 200 answer; other statuses lose the message.
        return encode(response, status: 200, endpoint: "externaldata", started: started, decision: "error",
                      reason: AdmissionError.Code.malformedBody.rawValue)
    }

    // MARK: - Parsing and answering

    /// Decodes a review with this server's body limit (`ParsedReview.parse`, module AdmissionFormats).
    func parseReview(_ body: [UInt8]) -> Result<ParsedReview, AdmissionError> {
        ParsedReview.parse(body, maximumBodyBytes: settings.maxBodyBytes)
    }

    private func answer(_ review: ParsedReview, allowed: Bool, endpoint: String, started: ContinuousClock.Instant,
                        decision: String, reason: String) -> HTTPAnswer {
        encode(AdmissionResponse(uid: review.uid, allowed: allowed), endpoint: endpoint, started: started, decision: decision,
               reason: reason)
    }

    private func encode(_ response: AdmissionResponse, endpoint: String, started: ContinuousClock.Instant, decision: String,
                        reason: String) -> HTTPAnswer {
        encode(AdmissionReviewResponseEnvelope(response: response), status: 200, endpoint: endpoint, started: started,
               decision: decision, reason: reason)
    }

    private func encode<T: Encodable>(_ value: T, status: Int, endpoint: String, started: ContinuousClock.Instant,
                                      decision: String, reason: String) -> HTTPAnswer {
        let body = (try? JSONEncoder.sortedKeys.encode(value)).map(Array.init) ?? Array(#"{"error":"encoding failed"}"#.utf8)
        metrics.request(endpoint: endpoint, decision: decision, reason: reason, duration: ContinuousClock.now - started)
        return HTTPAnswer(status: status, body: body)
    }

    /// A 400 naming the problem; the server keeps serving.
    func refuse(_ error: AdmissionError, endpoint: String, started: ContinuousClock.Instant) -> HTTPAnswer {
        let status = error.code == .bodyTooLarge ? 413 : 400
        return encode(["error": ["code": error.code.rawValue, "message": error.message]], status: status, endpoint: endpoint,
                      started: started, decision: "error", reason: error.code.rawValue)
    }
}

extension JSONEncoder {
    /// An encoder with sorted keys and unescaped slashes (stable bytes for tests and logs).
    static var sortedKeys: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
