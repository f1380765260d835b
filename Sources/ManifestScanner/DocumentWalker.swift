import Foundation
import Yams

/// One step of a YAML path.
public enum PathComponent: Hashable, Sendable {
    case key(String)
    case index(Int)
}

/// Formats a YAML path: `a.b[0].c`, keys with `.`, `/`, spaces or brackets quoted as `["artifacthub.io/images"]`.
public func formatPath(_ components: [PathComponent]) -> String {
    var out = ""
    for component in components {
        switch component {
        case .index(let i):
            out += "[\(i)]"
        case .key(let k):
            if k.isEmpty || k.contains(where: { ".[]\"' /\\".contains($0) }) {
                out += "[\"\(k.replacingOccurrences(of: "\"", with: "\\\""))\"]"
            } else {
                if !out.isEmpty { out += "." }
                out += k
            }
        }
    }
    return out
}

/// Why a walk stopped early.
enum WalkAbort: Error {
    case nodeLimit(Mark?)
    case depthLimit(Mark?)
}

/// What a document walk knows about its surroundings.
struct WalkContext {
    /// The file name used in findings.
    var file: String
    /// Index of the document in its stream.
    var document = 0
    /// `Kind/name` of the innermost Kubernetes object.
    var object: String?
    /// `global.imageRegistry` of the values file, when set and non-empty.
    var globalImageRegistry: String?
    /// A description of `global.image` when the values define one (the fallback of empty repositories).
    var globalImage: String?
    /// `appVersion` of the enclosing chart, when known (the usual default tag).
    var chartAppVersion: String?
    /// The file is a Kustomization (by name or kind).
    var isKustomization = false
}

/// Walks one composed YAML document and records every image it declares.
///
/// Bounded: every node visit (aliases included, since Yams shares aliased subtrees rather than copying them) counts
/// against `maxNodes`, and nesting against `maxDepth`.
final class DocumentWalker {
    private let maxNodes: Int
    private let maxDepth: Int
    private(set) var visited = 0
    private var path: [PathComponent] = []
    var context: WalkContext
    var findings: [Finding] = []

    init(context: WalkContext, maxNodes: Int, maxDepth: Int, visited: Int = 0) {
        self.context = context
        self.maxNodes = maxNodes
        self.maxDepth = maxDepth
        self.visited = visited
    }

    // MARK: - Entry points

    /// Walks a whole document (values file, Kubernetes object, List, Kustomization, GitHub workflow, …).
    func walkDocument(_ root: Node) throws {
        if case .mapping(let m) = root {
            let pairs = try effectivePairs(m, depth: 0)
            if let global = value(pairs, "global"), case .mapping(let gm) = global {
                let gpairs = try effectivePairs(gm, depth: 1)
                if let reg = scalarString(value(gpairs, "imageRegistry")), !reg.isEmpty {
                    context.globalImageRegistry = reg
                }
                if let gi = value(gpairs, "image"), case .mapping(let im) = gi {
                    let ipairs = try effectivePairs(im, depth: 2)
                    if let repo = scalarString(value(ipairs, "repository")), !repo.isEmpty {
                        context.globalImage = "global.image (\(repo))"
                    }
                }
            }
            if scalarString(value(pairs, "kind")) == "Kustomization" { context.isKustomization = true }
        }
        try walk(root, depth: 0)
    }

    /// Walks a Chart.yaml: only `annotations["artifacthub.io/images"]` and Bitnami's `annotations.images`,
    /// each a YAML string holding a list of `{name, image}`.
    func walkChartMetadata(_ root: Node, parseNested: (String) throws -> Node?) throws {
        guard case .mapping(let m) = root else { return }
        let pairs = try effectivePairs(m, depth: 0)
        if let app = scalarString(value(pairs, "appVersion")), !app.isEmpty { context.chartAppVersion = app }
        guard let ann = value(pairs, "annotations"), case .mapping(let am) = ann else { return }
        for (k, v) in am {
            guard let key = k.scalar?.string, key == "artifacthub.io/images" || key == "images",
                  case .scalar(let s) = v else { continue }
            path = [.key("annotations"), .key(key)]
            guard let inner = try parseNested(s.string), case .sequence(let seq) = inner else { continue }
            // Lines inside the string are offset from the annotation's own line (block scalars start one below).
            let base = (s.mark?.line ?? 1) - (s.style == .literal || s.style == .folded ? 0 : 1)
            for (i, item) in seq.enumerated() {
                visited += 1
                guard case .mapping(let im) = item,
                      let imageNode = im.first(where: { $0.key.scalar?.string == "image" })?.value,
                      case .scalar(let imageScalar) = imageNode else { continue }
                path.append(.index(i)); path.append(.key("image"))
                let line = base + (imageScalar.mark?.line ?? 1)
                // The column is inside the annotation's text; the pinner finds the value on the line.
                let site = PinSite.appendToScalar(ScalarPosition(line: line, column: imageScalar.mark?.column ?? 0,
                                                                 value: imageScalar.string), quotePlain: false)
                emit(imageScalar.string, line: line, column: imageScalar.mark?.column ?? 0,
                     extraNote: "declared in Chart.yaml annotation \(key) (a declaration, not what the templates run)",
                     site: site)
                path.removeLast(2)
            }
        }
        path = []
    }

    // MARK: - Generic walk

    private func count(_ node: Node, depth: Int) throws {
        visited += 1
        if visited > maxNodes { throw WalkAbort.nodeLimit(node.mark) }
        if depth > maxDepth { throw WalkAbort.depthLimit(node.mark) }
    }

    private func walk(_ node: Node, depth: Int) throws {
        try count(node, depth: depth)
        switch node {
        case .mapping(let m):
            let pairs = try effectivePairs(m, depth: depth)
            let savedObject = context.object
            var isObject = false
            // One pass for the keys that make this mapping a Kubernetes object.
            var kindNode: Node? = nil, hasAPIVersion = false, metadata: Node? = nil
            for (k, v) in pairs {
                guard case .scalar(let ks) = k else { continue }
                switch ks.string {
                case "kind": kindNode = v
                case "apiVersion": hasAPIVersion = true
                case "metadata": metadata = v
                default: break
                }
            }
            if hasAPIVersion, let kind = scalarString(kindNode) {
                isObject = true
                var name = ""
                if let metadata, case .mapping(let mm) = metadata {
                    name = scalarString(mm.first(where: { $0.key.scalar?.string == "name" })?.value) ?? ""
                }
                context.object = "\(kind)/\(name)"
            }
            for (k, v) in pairs {
                guard let key = k.scalar?.string else { continue }
                if isObject, key == "status" { continue } // runtime state (imageID), not a declaration
                path.append(.key(key))
                defer { path.removeLast() }
                if key == "images", context.isKustomization, case .sequence(let seq) = v {
                    try walkKustomizeImages(seq, depth: depth + 1)
                } else if isImageKey(key) {
                    try handleImage(keyNode: k, value: v, siblings: pairs, depth: depth + 1)
                } else if isImageListKey(key), case .sequence(let seq) = v {
                    try handleImageList(seq, depth: depth + 1)
                } else if key == "args" || key == "command", case .sequence(let seq) = v {
                    try walkArguments(seq, depth: depth + 1)
                } else {
                    try walk(v, depth: depth + 1)
                }
            }
            context.object = savedObject
        case .sequence(let s):
            for (i, e) in s.enumerated() {
                path.append(.index(i))
                defer { path.removeLast() }
                try walk(e, depth: depth + 1)
            }
        case .scalar, .alias:
            return
        }
    }

    /// `image`, `initImage`, `thanosImage`, `configReloaderImage`, `base_image`, … (not `imagePullPolicy`).
    private func isImageKey(_ key: String) -> Bool { ManifestScanner.isImageKey(key) }

    /// `images`, `extraImages`, … holding a list.
    private func isImageListKey(_ key: String) -> Bool {
        key == "images" || (key.count > 6 && key.hasSuffix("Images"))
    }

    // MARK: - Images

    private func handleImage(keyNode: Node, value v: Node, siblings: Node.Mapping, depth: Int) throws {
        try count(v, depth: depth)
        switch v {
        case .scalar(let s):
            if isNull(s) { return }
            var image = s.string
            var note: String? = nil
            var site = position(s).map { PinSite.appendToScalar($0, quotePlain: false) }
            // A string image with a sibling `tag` (and maybe `digest`) key: the chart renders `image:tag[@digest]`.
            if !image.contains("@"), !image.contains("{{"),
               PinClassifier.splitTag(Substring(image)).tag == nil {
                let tagEntry = entry(siblings, "tag") ?? entry(siblings, "imageTag")
                let digestEntry = entry(siblings, "digest") ?? entry(siblings, "imageDigest")
                let tag = scalarString(tagEntry?.value)
                let digest = scalarString(digestEntry?.value)
                if let tag, !tag.isEmpty {
                    image += ":" + tag
                    note = "tag from the sibling `tag` key"
                    site = digestSite(digestEntry, bareHex: false) ?? tagSite(tagEntry)
                } else if tagEntry != nil {
                    site = nil // an empty tag key: the chart's default tag applies, which only its templates know
                }
                if let digest, !digest.isEmpty {
                    image += "@" + (isBareHex(digest) ? "sha256:" + digest : digest)
                    note = "composed with the sibling tag/digest keys"
                }
            }
            emit(image, line: s.mark?.line ?? 0, column: s.mark?.column ?? 0, extraNote: note, raw: s.string,
                 site: site)
        case .mapping(let m):
            let pairs = try effectivePairs(m, depth: depth)
            if isImageMap(pairs) {
                try emitImageMap(pairs, keyNode: keyNode)
            } else if pairs.isEmpty {
                emitInherited(keyNode: keyNode, why: "empty image map {}: the chart falls back to a default image")
            } else if !pairs.contains(where: { if case .mapping = $0.value { return true }; return false }) {
                // Only settings (pullPolicy, distroless, …): an override of a parent's image, no image of its own.
                try walk(v, depth: depth)
            } else {
                // A group of images under one key (kube-prometheus-stack `crds.upgradeJob.image.{busybox,kubectl}`).
                for (k, sub) in pairs {
                    guard let key = k.scalar?.string else { continue }
                    path.append(.key(key))
                    defer { path.removeLast() }
                    if case .mapping(let sm) = sub, isImageMap(try effectivePairs(sm, depth: depth + 1)) {
                        try handleImage(keyNode: k, value: sub, siblings: pairs, depth: depth + 1)
                    } else {
                        try walk(sub, depth: depth + 1)
                    }
                }
            }
        case .sequence(let seq):
            try handleImageList(seq, depth: depth)
        case .alias:
            return
        }
    }

    private func handleImageList(_ seq: Node.Sequence, depth: Int) throws {
        for (i, e) in seq.enumerated() {
            path.append(.index(i))
            defer { path.removeLast() }
            try count(e, depth: depth + 1)
            switch e {
            case .scalar(let s):
                if isNull(s) { continue }
                emit(s.string, line: s.mark?.line ?? 0, column: s.mark?.column ?? 0, extraNote: nil,
                     site: position(s).map { .appendToScalar($0, quotePlain: false) })
            case .mapping(let m):
                let pairs = try effectivePairs(m, depth: depth + 1)
                if isImageMap(pairs) {
                    try emitImageMap(pairs, keyNode: e)
                } else {
                    try walk(e, depth: depth + 1)
                }
            default:
                try walk(e, depth: depth + 1)
            }
        }
    }

    /// A map with `repository`/`registry`/`digest`/`sha`/`tag` scalars: `{repository, tag}`, Bitnami's
    /// `{registry, repository, tag, digest}`, ingress-nginx's `{registry, image, tag, digest}`, `{name, tag}`.
    /// A map with only `image` or `name` is not enough (it may be anything).
    private func isImageMap(_ pairs: Node.Mapping) -> Bool {
        for (k, v) in pairs {
            guard case .scalar = v, let key = k.scalar?.string else { continue }
            switch key {
            case "repository", "registry", "digest", "sha", "tag": return true
            default: continue
            }
        }
        return false
    }

    private func emitImageMap(_ pairs: Node.Mapping, keyNode: Node) throws {
        var registry = scalarString(value(pairs, "registry")) ?? ""
        let repository = scalarString(value(pairs, "repository")) ?? scalarString(value(pairs, "image"))
            ?? scalarString(value(pairs, "name")) ?? ""
        let tag = scalarString(value(pairs, "tag")) ?? ""
        let digestValue = scalarString(value(pairs, "digest")) ?? ""
        let shaValue = scalarString(value(pairs, "sha")) ?? ""
        var notes: [String] = []
        if value(pairs, "registry") != nil, let global = context.globalImageRegistry {
            registry = global
            notes.append("registry from global.imageRegistry")
        }
        if repository.isEmpty {
            let fallback = context.globalImage ?? "a default image of the chart"
            emitInherited(keyNode: keyNode, why: "repository is empty: the chart falls back to \(fallback)")
            return
        }
        let name = registry.isEmpty ? repository : registry + "/" + repository
        var composed = name
        if !tag.isEmpty { composed += ":" + tag }
        var digest: String? = nil
        if !digestValue.isEmpty {
            if isBareHex(digestValue) {
                digest = "sha256:" + digestValue
                notes.append("bare-hex digest (the chart's template adds `sha256:`)")
            } else {
                digest = digestValue
            }
        } else if !shaValue.isEmpty {
            // kube-prometheus-stack / node-exporter templates render `@sha256:{{ .sha }}`.
            digest = "sha256:" + shaValue
            notes.append("`sha` holds bare hex (the chart's template adds `sha256:`)")
        } else if value(pairs, "digest") != nil || value(pairs, "sha") != nil {
            notes.append("\(value(pairs, "digest") != nil ? "digest" : "sha") field present but empty")
        }
        if let digest { composed += "@" + digest }
        var result = PinClassifier.classify(composed)
        if digestValue.isEmpty, shaValue.contains(":") {
            result = PinClassification(status: .malformedDigest, reference: nil,
                                       note: "`sha` must be bare hex: the template renders `@sha256:<sha>`, so `\(shaValue)` becomes `sha256:\(shaValue)`",
                                       errorCode: nil)
            notes.removeAll { $0.hasPrefix("`sha` holds bare hex") }
        }
        if tag.isEmpty, digest == nil, result.status == .implicitLatest {
            // Charts fill an empty tag with a default (usually .Chart.AppVersion), not with latest.
            result.status = .tag
            result.reference = PinClassifier.normalizedName(name)
            let version = context.chartAppVersion.map { " (\($0))" } ?? ""
            result.note = "tag is empty: the chart's default applies (usually appVersion\(version))"
        }
        if let n = result.note { notes.insert(n, at: 0) }
        let mark = keyNode.mark
        var finding = Finding(file: context.file, line: mark?.line ?? 0, column: mark?.column ?? 0,
                              yamlPath: formatPath(path), image: composed, reference: result.reference,
                              status: result.status, document: context.document, object: context.object,
                              note: notes.isEmpty ? nil : notes.joined(separator: "; "),
                              errorCode: result.errorCode)
        if result.status == .tag, !tag.isEmpty {
            // The chart's own digest key when it has one, else the tag. Without a tag nothing is pinned: an empty or
            // missing tag means the chart's default, which only its templates know.
            finding.pinSite = digestSite(entry(pairs, "digest"), bareHex: false)
                ?? digestSite(entry(pairs, "sha"), bareHex: true) ?? tagSite(entry(pairs, "tag"))
        }
        findings.append(finding)
    }

    private func emitInherited(keyNode: Node, why: String) {
        let mark = keyNode.mark
        findings.append(Finding(file: context.file, line: mark?.line ?? 0, column: mark?.column ?? 0,
                                yamlPath: formatPath(path), image: "", reference: nil, status: .inherited,
                                document: context.document, object: context.object, note: why))
    }

    /// Container arguments that pass an image to a controller (`--thanos-default-base-image=quay.io/thanos/thanos:v0.1`,
    /// `--prometheus-config-reloader=quay.io/…:v0.9`): `--flag=value` where value names a registry host, a path
    /// and a tag or digest. Other arguments are left alone.
    private func walkArguments(_ seq: Node.Sequence, depth: Int) throws {
        for (i, e) in seq.enumerated() {
            try count(e, depth: depth + 1)
            guard case .scalar(let s) = e, s.string.hasPrefix("--"), let eq = s.string.firstIndex(of: "=") else { continue }
            let value = String(s.string[s.string.index(after: eq)...])
            guard let slash = value.firstIndex(of: "/"), value[..<slash].contains("."),
                  value.contains("@") || value[slash...].contains(":"),
                  !value.contains("://"), !value.contains(" ") else { continue }
            let result = PinClassifier.classify(value)
            guard result.status != .error else { continue }
            path.append(.index(i))
            defer { path.removeLast() }
            let flag = String(s.string[..<eq])
            var finding = Finding(file: context.file, line: s.mark?.line ?? 0, column: s.mark?.column ?? 0,
                                  yamlPath: formatPath(path), image: value, reference: result.reference,
                                  status: result.status, document: context.document, object: context.object,
                                  note: ["image passed as the argument \(flag)", result.note].compactMap { $0 }
                                      .joined(separator: "; "), errorCode: nil)
            if result.status == .tag || result.status == .implicitLatest {
                finding.pinSite = position(s).map { .appendToScalar($0, quotePlain: false) }
            }
            findings.append(finding)
        }
    }

    /// Kustomize `images: [{name, newName, newTag, digest}]`.
    private func walkKustomizeImages(_ seq: Node.Sequence, depth: Int) throws {
        for (i, e) in seq.enumerated() {
            path.append(.index(i))
            defer { path.removeLast() }
            try count(e, depth: depth + 1)
            guard case .mapping(let m) = e else { continue }
            let pairs = try effectivePairs(m, depth: depth + 1)
            let name = scalarString(value(pairs, "name")) ?? ""
            let newName = scalarString(value(pairs, "newName")) ?? ""
            let newTag = scalarString(value(pairs, "newTag")) ?? ""
            let digest = scalarString(value(pairs, "digest")) ?? ""
            let base = newName.isEmpty ? name : newName
            let mark = e.mark
            if newTag.isEmpty && digest.isEmpty {
                findings.append(Finding(file: context.file, line: mark?.line ?? 0, column: mark?.column ?? 0,
                                        yamlPath: formatPath(path), image: base, reference: nil,
                                        status: .inherited, document: context.document, object: context.object,
                                        note: "kustomize override for \(name) renames only: the tag comes from the resources"))
                continue
            }
            // kustomize: a digest replaces the tag.
            let composed = digest.isEmpty ? base + ":" + newTag : base + "@" + digest
            var result = PinClassifier.classify(composed)
            result.note = ["kustomize image override for \(name)", result.note].compactMap { $0 }.joined(separator: "; ")
            var finding = Finding(file: context.file, line: mark?.line ?? 0, column: mark?.column ?? 0,
                                  yamlPath: formatPath(path), image: composed, reference: result.reference,
                                  status: result.status, document: context.document, object: context.object,
                                  note: result.note, errorCode: result.errorCode)
            if result.status == .tag, digest.isEmpty, let tagEntry = entry(pairs, "newTag"),
               case .scalar(let tagScalar) = tagEntry.value, let after = position(tagScalar),
               let keyColumn = tagEntry.key.mark?.column {
                finding.pinSite = .addDigestKey(after: after, keyColumn: keyColumn, flow: m.style == .flow)
            }
            findings.append(finding)
        }
    }

    private func emit(_ image: String, line: Int, column: Int, extraNote: String?, raw: String? = nil,
                      site: PinSite? = nil) {
        let result = PinClassifier.classify(image)
        let note = [result.note, extraNote].compactMap { $0 }.joined(separator: "; ")
        var finding = Finding(file: context.file, line: line, column: column, yamlPath: formatPath(path),
                              image: image, reference: result.reference, status: result.status,
                              document: context.document, object: context.object,
                              note: note.isEmpty ? nil : note, errorCode: result.errorCode)
        if result.status == .tag || result.status == .implicitLatest { finding.pinSite = site }
        findings.append(finding)
    }

    // MARK: - Pin sites

    /// Where a scalar starts and what it holds.
    private func position(_ node: Node) -> ScalarPosition? {
        guard case .scalar(let s) = node else { return nil }
        return position(s)
    }

    private func position(_ s: Node.Scalar) -> ScalarPosition? {
        guard let mark = s.mark else { return nil }
        return ScalarPosition(line: mark.line, column: mark.column, value: s.string)
    }

    /// An existing digest key whose value is empty (or null), as the place for the digest.
    private func digestSite(_ entry: (key: Node, value: Node)?, bareHex: Bool) -> PinSite? {
        guard let entry, case .scalar(let v) = entry.value, v.string.isEmpty || isNull(v),
              case .scalar(let k) = entry.key, let key = position(k) else { return nil }
        return .fillEmptyKey(key, bareHex: bareHex)
    }

    /// A non-empty tag scalar, which receives `@<digest>` (quoted: `"v1@sha256:…"`).
    private func tagSite(_ entry: (key: Node, value: Node)?) -> PinSite? {
        guard let entry, case .scalar(let v) = entry.value, !v.string.isEmpty, !isNull(v) else { return nil }
        return position(v).map { .appendToScalar($0, quotePlain: true) }
    }

    // MARK: - Helpers

    /// The pairs of a mapping with YAML merge keys (`<<: *base`) applied: explicit keys win.
    private func effectivePairs(_ m: Node.Mapping, depth: Int) throws -> Node.Mapping {
        var hasMerge = false
        for (k, _) in m where k.scalar?.string == "<<" { hasMerge = true; break }
        if !hasMerge { return m }
        if depth > maxDepth { throw WalkAbort.depthLimit(m.mark) }
        var result: [(Node, Node)] = []
        var seen = Set<String>()
        for (k, v) in m where k.scalar?.string != "<<" {
            result.append((k, v))
            if let s = k.scalar?.string { seen.insert(s) }
        }
        for (k, v) in m where k.scalar?.string == "<<" {
            var sources: [Node.Mapping] = []
            if case .mapping(let mm) = v { sources = [mm] }
            if case .sequence(let s) = v { sources = s.compactMap { if case .mapping(let mm) = $0 { return mm }; return nil } }
            for source in sources {
                for (mk, mv) in try effectivePairs(source, depth: depth + 1) {
                    visited += 1
                    if visited > maxNodes { throw WalkAbort.nodeLimit(m.mark) }
                    guard let s = mk.scalar?.string, !seen.contains(s) else { continue }
                    seen.insert(s)
                    result.append((mk, mv))
                }
            }
        }
        return Node.Mapping(result, m.tag, m.style, m.mark)
    }

    private func entry(_ pairs: Node.Mapping, _ key: String) -> (key: Node, value: Node)? {
        for (k, v) in pairs where k.scalar?.string == key { return (k, v) }
        return nil
    }

    private func value(_ pairs: Node.Mapping, _ key: String) -> Node? {
        for (k, v) in pairs where k.scalar?.string == key { return v }
        return nil
    }

    private func scalarString(_ node: Node?) -> String? {
        guard let node, case .scalar(let s) = node, !isNull(s) else { return nil }
        return s.string
    }

    private func isNull(_ s: Node.Scalar) -> Bool {
        s.style == .plain && (s.string == "~" || s.string == "null" || s.string == "Null" || s.string == "NULL"
            || s.string.isEmpty)
    }

    private func isBareHex(_ s: String) -> Bool {
        s.utf8.count >= 32 && s.utf8.allSatisfy(PinClassifier.isHex)
    }
}
