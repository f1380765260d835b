import Foundation

/// Paths of the Sigstore fixtures under testdata/sigstore (package root = three levels above this file).
enum BundleFixtures {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let sigstore = packageRoot.appendingPathComponent("testdata/sigstore")
    static let conformance = sigstore.appendingPathComponent("conformance/bundle-verify")

    static func path(_ relative: String) -> String { sigstore.appendingPathComponent(relative).path }

    static func data(_ relative: String) throws -> Data { try Data(contentsOf: sigstore.appendingPathComponent(relative)) }

    /// The 70 conformance case folders, sorted.
    static var conformanceCases: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: conformance.path)) ?? []
        return names.filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: conformance.appendingPathComponent(name).path,
                                                  isDirectory: &isDirectory) && isDirectory.boolValue
        }.sorted()
    }
}
