// The manifest scanner on YAML/JSON text (ManifestScanner, Yams/libyaml underneath) with small limits, so the
// YAMLSafety bounds (alias expansion, nesting depth, aliases in keys) are reached by small inputs.
//
// Invariants: every finding names a position inside the input (or is an error finding); no finding is produced past
// the node limit; the pre-parse checks (alias in key line, template scan) never crash on any text.
import Foundation
import FuzzSupport
@testable import ManifestScanner

let scanner: ManifestScanner = {
    var limits = ScanLimits()
    limits.maxNodes = 20_000
    limits.maxDepth = 64
    limits.maxFileBytes = 1 << 20
    return ManifestScanner(limits: limits)
}()
/// The file names the scanner treats differently.
let names = ["values.yaml", "kustomization.yaml", "Chart.yaml", "deploy.json"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzYAML(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        let name = names[bytes.count % names.count]
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
        let findings = scanner.scan(data: Data(bytes), name: name)
        for finding in findings {
            invariant(finding.file == name, "finding names file \(finding.file), not \(name)")
            guard finding.status != .error else {
                invariant(finding.errorCode != nil, "an error finding without an error code")
                continue
            }
            invariant(finding.line >= 1 && finding.line <= lines + 1, "finding at line \(finding.line) of a \(lines)-line input")
            invariant(finding.column >= 1, "finding at column \(finding.column)")
        }
        invariant(findings.count <= scanner.limits.maxNodes + 1, "\(findings.count) findings, more than the node limit")
        if let line = YAMLSafety.aliasInKeyLine(text) {
            invariant(line >= 1 && line <= lines + 1, "alias-in-key reported at line \(line) of \(lines)")
        }
        _ = TemplateScanner.scan(text, file: name)
    }
}
