import ArgumentParser
import Foundation
import ImageGate

/// `verify-image [verify] IMAGE...`: verifies cosign signatures or attestations of images, from an OCI layout or a
/// registry, and prints a verdict. Flag names follow cosign's.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify the signatures (or attestations) of images.",
        discussion: """
            IMAGE is a reference, normally NAME@sha256:…; a tag is resolved and verified, but fails the gate unless \
            --allow-tags is given. Exit status: 0 pass, 1 fail, 2 indeterminate (could not decide), 64 usage.
            """
    )

    @Argument(help: "Images to verify (NAME@sha256:…).")
    var images: [String] = []

    @OptionGroup(title: "Verification")
    var verification: VerificationOptions

    @Option(name: .customLong("output"), help: "text or json.")
    var output: OutputFormatOption = .text

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one IMAGE to verify (NAME@sha256:…)") }
        if output == .sarif { throw ValidationError("--output sarif applies only to scan; use text or json") }
        try verification.validateForVerification()
    }

    func run() async throws {
        let verdict: Verdict
        do {
            let verifier = try await verification.makeVerifier()
            verdict = await verifier.verify(images, at: Date(), timeout: verification.deadline)
        } catch let error as ImageGateError where error.code == .trustedRootExpired {
            verdict = Verdict(subjects: images.map {
                SubjectVerdict(reference: $0, decision: .indeterminate, reasons: [.trustedRootExpired], messages: [error.message])
            })
        }
        switch output {
        case .json: print(try ContractJSON.encode(verdict))
        default: print(verdict.renderText(), terminator: "")
        }
        throw ExitCode(verdict.exitStatus.rawValue)
    }
}

/// `--output` values.
enum OutputFormatOption: String, ExpressibleByArgument, CaseIterable {
    case text, json, sarif
}

/// Runs `body`; any error becomes a one-line usage error (exit 64) naming the problem.
func usage<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        throw ValidationError("\(error)")
    }
}

/// Reads a text file given on the command line; a missing file is a usage error naming the flag.
func readText(_ path: String, what: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("\(what) \(path): no such readable file")
    }
    return String(decoding: data, as: UTF8.self)
}
