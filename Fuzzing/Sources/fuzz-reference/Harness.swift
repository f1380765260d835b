// Image references, digests and platforms (OCIImage): strings from manifests, flags and admission requests.
import FuzzSupport
import Foundation
@testable import OCIImage

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReference(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        let text = String(decoding: bytes, as: UTF8.self)

        // Strict parse: what parses prints back to a string that parses to the same value, through JSON too.
        if let reference = try? ImageReference.parse(text) {
            let again = try? ImageReference.parse(reference.string)
            invariant(again == reference, "\(text.debugDescription) parsed to \(reference.string.debugDescription), which does not parse back to the same reference")
            invariant(reference.path.utf8.count <= ImageReference.maximumPathLength, "path longer than the limit was accepted")
            if let json = try? JSONEncoder().encode([reference]) {
                let decoded = try? JSONDecoder().decode([ImageReference].self, from: json)
                invariant(decoded == [reference], "JSON round trip changed \(reference.string.debugDescription)")
            }
            if let digest = reference.digest {
                invariant((try? Digest(validating: digest.string)) == digest, "the digest of \(reference.string.debugDescription) does not re-validate")
            }
            invariant((try? ImageReference.parse(reference.repository.string)) == reference.repository, "repository of \(reference.string.debugDescription) does not round-trip")
        }

        // Docker normalization: idempotent, and the familiar form normalizes back to the same reference.
        if let normalized = try? ImageReference(normalizing: text) {
            // A domain, except where distribution/reference leaves it empty: the Docker normalizer takes a first
            // component with '.' or ':' (or `localhost`) for a host, but the grammar refuses it as one (`docke_r.io`
            // has an underscore), so it parses as the first path component. Everything else gets `docker.io`.
            let first = normalized.path.split(separator: "/").first.map(String.init) ?? ""
            invariant(!normalized.domain.isEmpty || first.contains(".") || first.contains(":") || first == "localhost",
                      "normalized \(text.debugDescription) has no domain")
            let again = try? ImageReference(normalizing: normalized.string)
            invariant(again == normalized, "normalizing \(normalized.string.debugDescription) again changed it")
            // Except, as in distribution/reference, when the familiar form is a bare 64-hex identifier
            // (`docker.io/<hex>` is accepted, `<hex>` alone is refused as ambiguous with an image ID).
            // And except when the familiar form's first component looks like a host: distribution/reference drops
            // `docker.io/` from `docker.io/busyboxr.io/x` too, and `busyboxr.io/x` then names another registry (the
            // familiar form is for display; policies and registries use the full name).
            let familiarFirst = normalized.familiarString.split(separator: "/").first.map(String.init) ?? ""
            let familiarLooksHosted = normalized.familiarString.contains("/")
                && (familiarFirst.contains(".") || familiarFirst.contains(":") || familiarFirst == "localhost")
            if !ReferenceGrammar.isIdentifier(Array(normalized.familiarString.utf8)) && !familiarLooksHosted {
                let familiar = try? ImageReference(normalizing: normalized.familiarString)
                invariant(familiar == normalized, "familiar form \(normalized.familiarString.debugDescription) of \(normalized.string.debugDescription) normalizes to \(familiar?.string ?? "an error")")
            }
            invariant((try? ImageReference.parseNamed(normalized.string)) == normalized, "\(normalized.string.debugDescription) is not canonical")
            let docker = normalized.dockerReference
            invariant(docker.tag != nil || docker.digest != nil, "docker reference without tag or digest")
            _ = try? normalized.familiarMatch(text)
        }

        _ = try? ImageReference.parseDockerReference(text)
        if let any = try? AnyReference.parse(text) {
            _ = any.familiarString
            _ = try? any.familiarMatch("*")
        }
        _ = ReferenceInspection(text)

        if let digest = try? Digest(validating: text) {
            invariant(digest.string == text, "digest \(text.debugDescription) was accepted but prints as \(digest.string.debugDescription)")
            invariant((try? Digest(validating: digest.string)) == digest, "digest does not round-trip")
        }
        if let platform = try? Platform(parsing: text) {
            invariant(platform.matches(platform), "platform \(platform) does not match itself")
        }
    }
}
