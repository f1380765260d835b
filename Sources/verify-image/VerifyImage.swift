import ArgumentParser
import ImageGate

/// The `verify-image` command line: parses flags, calls ImageGate, prints, exits.
/// Each subcommand lives in its own file; none holds verification logic.
@main
struct VerifyImage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-image",
        abstract: "Decide whether container images may pass a deployment gate.",
        version: "verify-image \(ImageGateVersion.current)",
        subcommands: [VerifyCommand.self, VerifyBundleCommand.self, ScanCommand.self, PinCommand.self, ReferenceCommand.self,
                      DigestCommand.self, GateCommand.self, TrustCommand.self, ServeCommand.self],
        defaultSubcommand: VerifyCommand.self
    )
}
