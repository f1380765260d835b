import Foundation

/// Placeholder: the Scan benchmark lands with its issue.
func benchScan(_ arguments: [String]) async throws {
    print("Scan benchmark: not implemented yet")
}
