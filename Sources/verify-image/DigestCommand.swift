import ArgumentParser
import Foundation
import ImageGate

extension HashAlgorithm: ExpressibleByArgument {}

/// `verify-image digest FILE...`: prints `<algorithm>:<hex>  FILE` for each file, streaming it through OpenSSL.
struct DigestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "digest",
        abstract: "Print the OCI-style digest (algorithm:hex) of each file.",
        discussion: "A FILE of '-' reads standard input. An unreadable file prints an error naming it and the "
            + "command exits 64 after the other files are done."
    )

    @Argument(help: "Files to hash ('-' for standard input).")
    var files: [String]

    @Option(help: "Hash algorithm: sha256, sha384 or sha512.")
    var algorithm: HashAlgorithm = .sha256

    func run() async throws {
        var failed = false
        for file in files {
            do {
                let digest = try algorithm.hashFile(atPath: file)
                print("\(algorithm.rawValue):\(digest.hexString)  \(file)")
            } catch let error as CryptoError {
                FileHandle.standardError.write(Data("verify-image digest: \(error.message)\n".utf8))
                failed = true
            }
        }
        if failed { throw ExitCode(64) }
    }
}
