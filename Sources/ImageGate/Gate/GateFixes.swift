import ManifestScanner
import OCIImage

/// Why an image's pin fails the gate and what to do, by scanner status.
enum GateFixes {
    static func why(_ status: PinStatus, note: String?) -> String {
        let base: String
        switch status {
        case .pinned: base = "pinned by digest"
        case .tag: base = "pinned by tag only; a tag can be moved to other content after the gate"
        case .implicitLatest: base = "no tag and no digest: it means :latest, whatever that is at deploy time"
        case .malformedDigest: base = "the digest is malformed (a sha256 digest has 64 hex characters)"
        case .placeholderDigest: base = "the digest looks fake (a placeholder, not the digest of a real image)"
        case .digestNotFound: base = "the registry does not have this digest in this repository"
        case .templated: base = "the reference is templated and cannot be checked before rendering"
        case .inherited: base = "the image comes from elsewhere (a default or a parent chart) and is not pinned here"
        case .error: base = "the reference could not be read"
        }
        guard let note, !note.isEmpty else { return base }
        switch status {
        case .malformedDigest, .placeholderDigest, .digestNotFound, .error:
            return note  // the scanner's note already says what is wrong with the digest
        default:
            return base + " (" + note + ")"
        }
    }

    static func fix(_ status: PinStatus, image: String, reference: String?) -> String {
        let name = (try? ImageReference(normalizing: image.split(separator: "@").first.map(String.init) ?? image))
            .map { $0.repository.name } ?? image
        switch status {
        case .tag, .implicitLatest, .inherited:
            return "pin it by digest: \(name)@sha256:<digest> (the digest of the image you tested; `verify-image pin FILE` writes it)"
        case .malformedDigest, .placeholderDigest, .digestNotFound:
            return "replace the digest with the full sha256 of the released image: \(name)@sha256:<64 hex>"
        case .templated:
            return "render the chart (helm template) and gate the rendered manifests, or pin the digest in the values"
        case .error:
            return "correct the image reference"
        case .pinned:
            return ""
        }
    }
}
