import Foundation

/// Placeholder: the Digest benchmark lands with its issue.
func benchDigest(_ arguments: [String]) async throws {
    print("Digest benchmark: not implemented yet")
}
