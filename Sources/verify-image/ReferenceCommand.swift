import ArgumentParser
import Foundation
import ImageGate

/// `verify-image reference REF... [--output text|json]`: parses and normalizes image references.
///
/// Exit status 0 when every reference is valid, 64 when any is not (each invalid one is reported on its own line).
struct ReferenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reference",
        abstract: "Parse and normalize image references (Docker rules, as distribution/reference).",
        discussion: """
            Prints, for every REF, the fully qualified name and the docker reference form (name@digest, else \
            name:tag with latest as the default). Exit status: 0 all valid, 64 any invalid.
            """)

    /// The output formats of this command.
    enum Output: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Argument(help: "Image references, e.g. ubuntu, ghcr.io/org/app:v1, registry:5000/app@sha256:<hex>.")
    var references: [String]

    @Option(name: .long, help: "Output format: text or json.")
    var output: Output = .text

    /// The JSON document: `schemaVersion` and one object per input.
    struct Document: Encodable {
        let schemaVersion = 1
        let references: [ReferenceInspection]
    }

    func run() async throws {
        let results = references.map(ReferenceInspection.init)
        switch output {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(Document(references: results))
            print(String(decoding: data, as: UTF8.self))
        case .text:
            for r in results {
                if r.valid, let canonical = r.canonical {
                    let pin = r.digest == nil ? "  (not pinned by digest)" : ""
                    print("\(r.input) => \(canonical)\(pin)")
                } else {
                    print("error: \(r.error ?? "invalid reference")")
                }
            }
        }
        if results.contains(where: { !$0.valid }) { throw ExitCode(64) }
    }
}
