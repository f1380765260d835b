import ArgumentParser
import ImageGate

/// `verify-image digest` (placeholder until its issue lands).
struct DigestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "digest", abstract: "(not yet implemented)")

    func run() async throws {
        throw ValidationError("verify-image digest is not implemented yet")
    }
}
