import Foundation
import TestSupport
@testable import ManifestScanner

/// Paths of the fixtures under testdata/scan.
enum Fixtures {
    static let root: URL = PackagePaths.root
    static let scan = PackagePaths.testdata("scan")
    static let corpus = scan.appendingPathComponent("corpus")

    static func path(_ relative: String) -> String { scan.appendingPathComponent(relative).path }

    /// Scans paths under testdata/scan and returns the report.
    static func scan(_ relative: String...) throws -> ScanReport {
        try ManifestScanner().scan(paths: relative.map(path))
    }

    /// The findings whose file ends with `suffix`.
    static func findings(_ report: ScanReport, file suffix: String) -> [Finding] {
        report.findings.filter { $0.file.hasSuffix(suffix) }
    }
}
