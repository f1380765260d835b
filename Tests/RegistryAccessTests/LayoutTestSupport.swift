import Foundation
import TestSupport
import OCIImage
@testable import RegistryAccess

/// Fixture paths and temporary copies for tampering tests.
enum LayoutFixtures {
    static let packageRoot: URL = PackagePaths.root

    /// go-containerregistry's layouts copied under testdata/oci/layouts.
    static func ggcr(_ name: String) -> String { packageRoot.appendingPathComponent("testdata/oci/layouts/" + name).path }
    /// `cosign save` / skopeo layouts made for this project under testdata/images/layouts.
    static func cosignMade(_ name: String) -> String { packageRoot.appendingPathComponent("testdata/images/layouts/" + name).path }

    /// A fresh copy of the layout at `source` in a temporary folder; removed by `cleanup`.
    static func copy(_ source: String) throws -> (path: String, cleanup: @Sendable () -> Void) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("oci-layout-test-\(UUID().uuidString)")
        try FileManager.default.copyItem(atPath: source, toPath: dir.path)
        // Fixture files may be read-only; make the copy writable so the test can tamper with it.
        if let walker = FileManager.default.enumerator(atPath: dir.path) {
            for case let relative as String in walker {
                try? FileManager.default.setAttributes([.posixPermissions: 0o755],
                                                       ofItemAtPath: dir.appendingPathComponent(relative).path)
            }
        }
        let path = dir.path
        return (path, { try? FileManager.default.removeItem(atPath: path) })
    }

    /// The `manifests` of a layout's index.json, read with JSONSerialization (independently of the code under test).
    static func indexEntries(_ layout: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: layout + "/index.json"))
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["manifests"] as? [[String: Any]] ?? []
    }

    static func digest(_ hex: String) -> Digest {
        // Only called with literal 64-hex fixtures digests.
        (try? Digest(validating: "sha256:" + hex)) ?? (try! Digest(validating: "sha256:" + String(repeating: "0", count: 64)))
    }
}

/// Runs `body` and returns the RegistryError it throws (nil if none; a non-RegistryError is reported as io_error).
func registryError(_ body: () async throws -> Any) async -> RegistryError? {
    do {
        _ = try await body()
        return nil
    } catch let e as RegistryError {
        return e
    } catch {
        return RegistryError(.ioError, "unexpected error type \(type(of: error)): \(error)")
    }
}
