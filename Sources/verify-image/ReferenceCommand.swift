import ArgumentParser
import ImageGate

/// `verify-image reference` (placeholder until its issue lands).
struct ReferenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reference", abstract: "(not yet implemented)")

    func run() async throws {
        throw ValidationError("verify-image reference is not implemented yet")
    }
}
