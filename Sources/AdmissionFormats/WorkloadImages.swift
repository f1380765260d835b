import Synchronization
import Foundation
import ManifestScanner

/// One step of a path inside the admitted object (the scanner's YAML path steps).
package typealias YAMLPathStep = PathComponent

extension PathComponent {
    /// The RFC 6901 JSON Pointer of a path.
    package static func jsonPointer(_ steps: [PathComponent]) -> String {
        steps.map { step -> String in
            switch step {
            case .index(let number): return "/\(number)"
            case .key(let key): return "/" + key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
            }
        }.joined()
    }
}

/// An image the admitted object runs, where it is, and how it is pinned (the scanner's finding).
package struct WorkloadImage: Sendable, Hashable {
    /// The container's `name`, when the image belongs to a container.
    package var container: String?
    /// `containers`, `initContainers`, `ephemeralContainers`, or the key holding the image.
    package var list: String
    /// The path of the `image` field inside the object.
    package var path: [YAMLPathStep]
    /// The path as the scanner writes it (`spec.template.spec.containers[0].image`).
    package var pathText: String
    /// The image as written.
    package var image: String
    /// The normalized reference (nil when it cannot be known).
    package var reference: String?
    /// How it is pinned.
    package var status: PinStatus
    /// The scanner's note (why a digest is malformed, …).
    package var note: String?

    /// "Container nginx (spec.template.spec.containers[0])" — how denials name the place.
    package var placeDescription: String {
        let location = pathText.hasSuffix(".image") ? String(pathText.dropLast(".image".count)) : pathText
        let noun = list == "initContainers" ? "Init container" : list == "ephemeralContainers" ? "Ephemeral container" : "Container"
        if let container { return "\(noun) \(container) (\(location))" }
        return "Image at \(pathText)"
    }
}

/// Finds the images of an admitted object with the scanner's rules — which fields hold an image
/// (`ManifestScanner.isImageKey`) and how an image is pinned (`PinClassifier`) — over the JSON the API server sent:
/// containers, initContainers, ephemeralContainers and pod templates at any depth (Deployments, StatefulSets,
/// DaemonSets, ReplicaSets, Jobs, CronJobs, Argo Rollouts, …). The YAML parser is not needed for JSON, and the
/// webhook's hot path stays a JSON parse.
package enum WorkloadImages {
    /// The kinds the webhooks admit. Others are refused with `unsupported_kind`: a kind we do not know could hold
    /// images under other field names, and an unchecked image must never pass.
    package static let admittedKinds: Set<String> = ["Pod", "PodTemplate", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
                                             "ReplicationController", "Job", "CronJob", "Rollout"]
    /// Deeper objects are refused (Kubernetes itself nests far less).
    package static let maximumDepth = 64

    /// The images of `object`, in document order (keys sorted); nil when the object nests deeper than
    /// `maximumDepth`.
    package static func find(in object: JSONValue) -> [WorkloadImage]? {
        var images: [WorkloadImage] = []
        var path: [YAMLPathStep] = []
        guard walk(object, object: object, path: &path, into: &images) else { return nil }
        return images
    }

    private static func walk(_ value: JSONValue, object: JSONValue, path: inout [YAMLPathStep], into images: inout [WorkloadImage]) -> Bool {
        guard path.count <= maximumDepth else { return false }
        switch value {
        case .object(let members):
            for key in members.keys.sorted() {
                let member = members[key]!
                path.append(.key(key))
                defer { path.removeLast() }
                if case .string(let text) = member, ManifestScanner.isImageKey(key) {
                    images.append(image(text, at: path, object: object))
                } else if !walk(member, object: object, path: &path, into: &images) {
                    return false
                }
            }
        case .array(let items):
            for (index, item) in items.enumerated() {
                path.append(.index(index))
                defer { path.removeLast() }
                if !walk(item, object: object, path: &path, into: &images) { return false }
            }
        case .string, .integer, .number, .bool, .null:
            break
        }
        return true
    }

    private static func image(_ text: String, at path: [YAMLPathStep], object: JSONValue) -> WorkloadImage {
        let classified = ClassificationMemo.shared.classify(text)
        var container: String?
        var list = "image"
        if path.count >= 3, case .index = path[path.count - 2], case .key(let listKey) = path[path.count - 3] {
            list = listKey
            container = object.value(at: Array(path.dropLast()))?["name"]?.string
        }
        return WorkloadImage(container: container, list: list, path: path, pathText: formatPath(path), image: text,
                             reference: classified.reference, status: classified.status, note: classified.note)
    }
}

/// Recent classifications by image string. Admission sees the same few images again and again, and classifying one
/// (parsing the reference, judging the digest) costs more than looking it up. `PinClassifier.classify` is a pure
/// function, so a remembered answer is the answer. Bounded: strings longer than `maximumLength` are not remembered
/// (real references are far shorter; a hostile body cannot grow the memo by its size), and the memo is emptied when it
/// holds `capacity` entries.
final class ClassificationMemo: Sendable {
    static let shared = ClassificationMemo(capacity: 4096)
    static let maximumLength = 512
    let capacity: Int
    private let entries = Mutex<[String: PinClassification]>([:])

    init(capacity: Int) { self.capacity = capacity }

    func classify(_ text: String) -> PinClassification {
        guard text.utf8.count <= ClassificationMemo.maximumLength else { return PinClassifier.classify(text) }
        if let known = entries.withLock({ $0[text] }) { return known }
        let classified = PinClassifier.classify(text)
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[text] = classified
        }
        return classified
    }
}
