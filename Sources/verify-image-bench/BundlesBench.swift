import Foundation

/// Placeholder: the Bundles benchmark lands with its issue.
func benchBundles(_ arguments: [String]) async throws {
    print("Bundles benchmark: not implemented yet")
}
