// AdmissionReview v1 bodies (the validating and mutating webhooks) and Gatekeeper external-data ProviderRequests as
// the admission server decodes them (AdmissionFormats), down to the images it will decide.
//
// Invariants:
// - no image is missed: every string under an image field (`ManifestScanner.isImageKey`) anywhere in the admitted
//   object — counted by an independent walk over Foundation's own parse — is among the images found; an unchecked
//   image must never pass.
// - every image found is where its path says, under an image key, with the scanner's path text and a JSON Pointer
//   that reads back to the same path; its pin status is the scanner's classification of the string.
// - re-encode: the review re-serialized by JSONSerialization parses to the same uid, description and images.
// - the body limit holds: one byte less than the body is `body_too_large`.
// - a ProviderRequest yields one image per key, in order, for a supported apiVersion only.
import Foundation
import FuzzSupport
@testable import AdmissionFormats
import ManifestScanner

let limit = 1 << 20

/// Independent of `WorkloadImages`: how many strings sit under image keys in a Foundation JSON tree (a review that
/// parsed is at most `WorkloadImages.maximumDepth` deep, so the recursion is bounded).
func imageStrings(_ value: Any) -> Int {
    if let members = value as? [String: Any] {
        return members.reduce(0) { count, member in
            if member.value is String { return count + (ManifestScanner.isImageKey(member.key) ? 1 : 0) }
            return count + imageStrings(member.value)
        }
    }
    if let items = value as? [Any] { return items.reduce(0) { $0 + imageStrings($1) } }
    return 0
}

/// Reads a JSON Pointer (RFC 6901) back into path steps.
func steps(ofPointer pointer: String) -> [YAMLPathStep] {
    pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { token in
        let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        return .key(key)
    }
}

func checkReview(_ bytes: [UInt8]) {
    let result = ParsedReview.parse(bytes, maximumBodyBytes: limit)
    if !bytes.isEmpty, case .failure(let error) = ParsedReview.parse(bytes, maximumBodyBytes: bytes.count - 1) {
        invariant(error.code == .bodyTooLarge, "a body over the limit was refused as \(error.code), not body_too_large")
    } else if !bytes.isEmpty {
        invariant(false, "a body over the limit was accepted")
    }
    guard case .success(let review) = result else { return }
    guard let images = review.images else { return }
    guard let any = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]),
          let request = (any as? [String: Any])?["request"] as? [String: Any], let object = request["object"] else {
        invariant(false, "images were found in a review Foundation does not read the same way")
        return
    }
    // The object as Foundation read it, written out and parsed again by the product's parser: the images must be
    // where the product says, in Foundation's reading too.
    guard let reencoded = try? JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed]),
          let tree = try? JSONValue(parsing: Array(reencoded)) else {
        invariant(false, "the admitted object Foundation read does not parse again after a re-encode")
        return
    }
    invariant(imageStrings(object) == images.count,
              "\(images.count) images found but the object has \(imageStrings(object)) strings under image keys")
    for image in images {
        invariant(tree.value(at: image.path) == .string(image.image), "image \(image.image) is not at its path \(image.pathText)")
        guard case .key(let key)? = image.path.last else {
            invariant(false, "image \(image.image) has a path that does not end in a key")
            return
        }
        invariant(ManifestScanner.isImageKey(key), "image \(image.image) is under \(key), not an image key")
        invariant(image.pathText == formatPath(image.path), "path text \(image.pathText) is not the scanner's")
        let pointer = YAMLPathStep.jsonPointer(image.path)
        let back = steps(ofPointer: pointer)
        invariant(back.count == image.path.count, "JSON Pointer \(pointer) has another length than its path")
        for (step, read) in zip(image.path, back) {
            switch step {
            case .key: invariant(step == read, "JSON Pointer \(pointer) does not read back to its path")
            case .index(let index): invariant(read == .key(String(index)), "JSON Pointer \(pointer) does not read back to its path")
            }
        }
        let classified = PinClassifier.classify(image.image)
        invariant(image.status == classified.status && image.reference == classified.reference,
                  "image \(image.image) is not classified as the scanner classifies it")
    }
    // Re-encode.
    guard let again = try? JSONSerialization.data(withJSONObject: any, options: [.fragmentsAllowed]) else { return }
    guard case .success(let reparsed) = ParsedReview.parse(Array(again), maximumBodyBytes: Int.max) else {
        invariant(false, "the re-encoded review is refused")
        return
    }
    invariant(reparsed.uid == review.uid && reparsed.objectDescription == review.objectDescription,
              "the re-encoded review has another uid or object")
    invariant(reparsed.images == images, "the re-encoded review has other images")
}

func checkProviderRequest(_ bytes: [UInt8]) {
    guard case .success(let request) = ParsedProviderRequest.parse(bytes) else { return }
    invariant(ParsedProviderRequest.apiVersions.contains(request.apiVersion), "apiVersion \(request.apiVersion) accepted")
    let images = request.images
    invariant(images.count == request.keys.count, "\(images.count) images for \(request.keys.count) keys")
    for (image, key) in zip(images, request.keys) {
        invariant(image.image == key, "key \(key) became image \(image.image)")
        invariant(image.status == PinClassifier.classify(key).status, "key \(key) is not classified as the scanner classifies it")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAdmissionReview(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        checkReview(bytes)
        checkProviderRequest(bytes)
    }
}
