import ArgumentParser
import ImageGate

/// `verify-image scan` (placeholder until its issue lands).
struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scan", abstract: "(not yet implemented)")

    func run() async throws {
        throw ValidationError("verify-image scan is not implemented yet")
    }
}
