import ArgumentParser
import ImageGate

/// `verify-image verify-bundle` (placeholder until its issue lands).
struct VerifyBundleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify-bundle", abstract: "(not yet implemented)")

    func run() async throws {
        throw ValidationError("verify-image verify-bundle is not implemented yet")
    }
}
