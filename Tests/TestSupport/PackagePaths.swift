import Foundation

/// Where the package's files are, for tests: the one place that derives the package root from a source path.
///
/// Every test target depends on `TestSupport` instead of walking up from its own `#filePath`.
public enum PackagePaths {
    /// The package root (the folder holding `Package.swift`): two levels above this file's folder,
    /// `Tests/TestSupport/`.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The package's `testdata/` folder.
    public static let testdata: URL = root.appendingPathComponent("testdata")

    /// A path under the package root, e.g. `url("keys/sigstore-production-trusted_root.json")`.
    public static func url(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }

    /// A path under `testdata/`, e.g. `testdata("images/layouts/app-v1")`.
    public static func testdata(_ relativePath: String) -> URL { testdata.appendingPathComponent(relativePath) }

    /// The sorted names of the sub-folders of `directory` (empty when it cannot be read).
    public static func subdirectories(of directory: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path,
                                                  isDirectory: &isDirectory) && isDirectory.boolValue
        }.sorted()
    }
}
