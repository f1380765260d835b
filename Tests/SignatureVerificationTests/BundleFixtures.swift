import Foundation
import TestSupport

/// Paths of the Sigstore fixtures under testdata/sigstore.
enum BundleFixtures {
    static let packageRoot: URL = PackagePaths.root
    static let sigstore = PackagePaths.testdata("sigstore")
    static let conformance = sigstore.appendingPathComponent("conformance/bundle-verify")

    static func path(_ relative: String) -> String { sigstore.appendingPathComponent(relative).path }

    static func data(_ relative: String) throws -> Data { try Data(contentsOf: sigstore.appendingPathComponent(relative)) }

    /// The 70 conformance case folders, sorted.
    static var conformanceCases: [String] { PackagePaths.subdirectories(of: conformance) }
}
