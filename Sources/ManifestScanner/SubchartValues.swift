import Foundation
import Yams

/// Helm's values merge for subcharts: a parent chart's `values.yaml` overrides its subchart's values under the
/// subchart's name (`<subchart>:`) and hands its `global:` down; Helm coalesces the maps (parent wins, a `null`
/// deletes a key). The scanner classifies a subchart's images on the merged values, so a parent that pins (or
/// un-pins) a subchart's image is seen.
enum SubchartValues {
    /// Where the parent's values of a subchart values file are, and the subchart's name there:
    /// `P/charts/S/values.yaml` → (`P/values.yaml`, `S`); in archives
    /// `p.tgz!P/charts/S-1.0.tgz!S/values.yaml` → (`p.tgz!P/values.yaml`, `S`).
    static func parent(of name: String) -> (values: String, subchart: String)? {
        let base = lastPathComponent(name)
        guard base == "values.yaml" || base == "values.yml" else { return nil }
        let folder = parentPath(name)
        if let bang = folder.lastIndex(of: "!") {
            // The values file at the top of a (nested) archive: its chart is a dependency when the archive sits in
            // a `charts/` folder of the enclosing chart.
            let inner = folder[folder.index(after: bang)...]
            let archive = String(folder[..<bang])
            if !inner.contains("/"), !inner.isEmpty, let range = archive.range(of: "/charts/", options: .backwards),
               !archive[range.upperBound...].contains("/"), !archive[range.upperBound...].contains("!") {
                return (String(archive[..<range.lowerBound]) + "/values.yaml", String(inner))
            }
        }
        guard let range = folder.range(of: "/charts/", options: .backwards) else { return nil }
        let subchart = folder[range.upperBound...]
        guard !subchart.isEmpty, !subchart.contains("/"), !subchart.contains("!") else { return nil }
        return (String(folder[..<range.lowerBound]) + "/values.yaml", String(subchart))
    }

    /// What the parent's values give a subchart: its `<subchart>:` map with the parent's `global:` merged into that
    /// map's `global`, or nil when the parent says nothing about it.
    static func overrides(parentRoot: Node, subchart: String) -> Node? {
        guard case .mapping(let parent) = parentRoot else { return nil }
        let own = parent.first { $0.key.scalar?.string == subchart }?.value
        let global = parent.first { $0.key.scalar?.string == "global" }?.value
        var pairs: [(Node, Node)] = []
        if let own, case .mapping(let m) = own {
            pairs = m.map { ($0.key, $0.value) }
        }
        if let global, case .mapping = global {
            if let index = pairs.firstIndex(where: { $0.0.scalar?.string == "global" }) {
                pairs[index].1 = coalesce(pairs[index].1, over: global) ?? global
            } else {
                pairs.append((Node("global"), global))
            }
        }
        return pairs.isEmpty ? nil : .mapping(Node.Mapping(pairs))
    }

    /// Helm's coalesce: `over` wins; maps are merged key by key; a null in `over` deletes the key (nil).
    static func coalesce(_ base: Node, over: Node) -> Node? {
        if case .scalar(let s) = over, s.style == .plain, ["null", "~", "Null", "NULL"].contains(s.string) { return nil }
        guard case .mapping(let b) = base, case .mapping(let o) = over else { return over }
        var pairs: [(Node, Node)] = []
        var seen = Set<String>()
        for (k, v) in b {
            guard let key = k.scalar?.string else { pairs.append((k, v)); continue }
            seen.insert(key)
            if let replacement = o.first(where: { $0.key.scalar?.string == key })?.value {
                if let merged = coalesce(v, over: replacement) { pairs.append((k, merged)) }
            } else {
                pairs.append((k, v))
            }
        }
        for (k, v) in o {
            guard let key = k.scalar?.string, !seen.contains(key) else { continue }
            if case .scalar(let s) = v, s.style == .plain, ["null", "~", "Null", "NULL"].contains(s.string) { continue }
            pairs.append((k, v))
        }
        return .mapping(Node.Mapping(pairs, b.tag, b.style, b.mark))
    }

    /// Joins the findings of the subchart's own values (`own`) with those of the merged values (`merged`): a
    /// finding the parent does not change is kept as it was; one it changes takes the merged image and status at
    /// the subchart's line, with a note, and no pin site (the value to pin lives in the parent's file); an image
    /// only the parent sets is reported at line 0 of the subchart file.
    static func join(own: [Finding], merged: [Finding], parentFile: String, subchart: String) -> [Finding] {
        var byPath: [String: Finding] = [:]
        for finding in own { byPath[finding.yamlPath] = finding }
        return merged.map { finding in
            if let original = byPath[finding.yamlPath] {
                if original.image == finding.image && original.status == finding.status { return original }
                var joined = finding
                joined.line = original.line
                joined.column = original.column
                joined.pinSite = nil
                joined.overriddenBy = parentFile
                joined.note = ["overridden by the parent chart's values \(parentFile) (`\(subchart).\(finding.yamlPath)`)",
                               finding.note].compactMap { $0 }.joined(separator: "; ")
                return joined
            }
            var added = finding
            added.note = ["set by the parent chart's values \(parentFile) line \(finding.line) (`\(subchart).\(finding.yamlPath)`)",
                          finding.note].compactMap { $0 }.joined(separator: "; ")
            added.line = 0
            added.column = 0
            added.pinSite = nil
            added.overriddenBy = parentFile
            return added
        }
    }
}
