import ArgumentParser
import ImageGate

/// `verify-image verify` (placeholder until its issue lands).
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "(not yet implemented)")

    func run() async throws {
        throw ValidationError("verify-image verify is not implemented yet")
    }
}
