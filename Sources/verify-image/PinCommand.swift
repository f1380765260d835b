import ArgumentParser
import Foundation
import ImageGate

/// `verify-image pin PATH...`: resolves every image pinned only by tag to its digest and writes the digest into the
/// file, as a minimal edit of its bytes.
struct PinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin",
        abstract: "Pin images by digest in manifests, Helm values, Chart.yaml and Kustomize files, in place.",
        discussion: """
            Every image that `scan` reports as tag or implicit-latest is resolved (registry, or --layout) and its digest \
            written into the file the way the file's convention has it: `image: repo:tag` becomes \
            `repo:tag@sha256:…`; a Helm image map gets its empty `digest:` key filled, else `tag: "v1@sha256:…"`; a \
            Kustomize `images:` entry gets `digest:`; Chart.yaml `artifacthub.io/images` entries like `image:`. A \
            multi-platform tag is pinned to its index digest. Only the digest is added: comments, key order, quoting, \
            indentation, anchors and line endings stay. Each edited file is scanned again before it is replaced \
            atomically, and a file changed on disk since it was read is not written. Templates, chart archives, empty \
            tags and malformed digests are reported, not touched.
            Exit status: 0 every image is pinned, 1 something could not be pinned, 2 the registry (or, with --verify, \
            a verification) could not answer, 64 usage.
            """)

    @Argument(help: "Files and folders to pin (chart archives inside are reported, not rewritten).")
    var paths: [String] = []

    @Flag(name: .customLong("dry-run"), help: "Print the changes as a unified diff (stdout) and the report (stderr); write nothing.")
    var dryRun = false

    @Flag(name: .customLong("verify"), help: "Pin only to digests whose signatures pass the verification flags.")
    var verify = false

    @Option(help: "Output format of the report: text or json.")
    var output: String = "text"

    @OptionGroup var resolution: DigestResolutionOptions

    @OptionGroup(title: "Registry, and verification (with --verify)")
    var verification: VerificationOptions

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give at least one PATH (a file or folder) to pin") }
        if paths.contains("-") { throw ValidationError("pin rewrites files: give files or folders, not - (standard input)") }
        guard output == "text" || output == "json" else { throw ValidationError("--output must be text or json, not \(output)") }
        if verify { try verification.validateForVerification() } else { try verification.source.validateSource() }
    }

    func run() async throws {
        let source = try verification.makeSource()
        let resolver = try resolution.makeResolver(source: source)
        let verifier = verify ? try await verification.makeVerifier() : nil
        let pinner = Pinner(resolver: resolver, verifier: verifier, verificationTimeout: verification.deadline)
        var plan: PinPlan
        do {
            plan = try await pinner.plan(paths: paths)
        } catch let error as ScanError {
            throw ValidationError(error.message)
        }
        if dryRun {
            for file in plan.files { print(file.unifiedDiff, terminator: "") }
        } else {
            plan = pinner.write(plan)
        }
        let report = output == "json" ? PinReport.json(plan, dryRun: dryRun) : PinReport.text(plan, dryRun: dryRun)
        if dryRun {
            FileHandle.standardError.write(Data(report.utf8))
        } else {
            print(report, terminator: "")
        }
        throw ExitCode(plan.exitStatus)
    }
}

/// The report of `pin`: one line per image that was not pinned before, then a summary.
enum PinReport {
    static func text(_ plan: PinPlan, dryRun: Bool) -> String {
        var out = ""
        var currentFile: String?
        for result in plan.results {
            let f = result.finding
            if f.file != currentFile {
                if currentFile != nil { out += "\n" }
                out += "\(f.file)\n"
                currentFile = f.file
            }
            let path = f.yamlPath.isEmpty ? "" : "\(f.yamlPath): "
            if result.pinned, let digest = result.digest {
                out += "  ✓ \(f.file):\(f.line): \(path)\(f.image) → \(digest)\n"
            } else {
                out += "  ✗ \(f.file):\(f.line): \(path)\(f.image.isEmpty ? "(empty)" : f.image) — \(result.problem?.rawValue ?? "not pinned")"
                out += result.message.map { ": \($0)" } ?? ""
                out += "\n"
            }
        }
        let pinned = plan.results.filter(\.pinned).count
        let failed = plan.results.count - pinned
        if !plan.results.isEmpty { out += "\n" }
        out += "\(pinned) image\(pinned == 1 ? "" : "s") \(dryRun ? "would be " : "")pinned in \(plan.files.count) file\(plan.files.count == 1 ? "" : "s")"
        out += "; \(plan.alreadyPinned) already pinned"
        if failed > 0 { out += "; \(failed) not pinned" }
        return out + "\n"
    }

    /// The JSON contract of `pin --output json` (docs/ARCHITECTURE.md), in the tool's one JSON style.
    static func json(_ plan: PinPlan, dryRun: Bool) -> String {
        let pinned = plan.results.filter(\.pinned).count
        let document = PinDocument(
            dryRun: dryRun,
            results: plan.results.map { result in
                let f = result.finding
                return PinDocument.Entry(file: f.file, line: f.line, column: f.column, yamlPath: f.yamlPath, image: f.image,
                                         status: f.status.rawValue, pinned: result.pinned, reference: f.reference,
                                         digest: result.digest?.string, problem: result.problem?.rawValue,
                                         message: result.message)
            },
            files: plan.files.map(\.path),
            summary: .init(pinned: pinned, notPinned: plan.results.count - pinned, alreadyPinned: plan.alreadyPinned,
                           filesChanged: plan.files.count, exitStatus: Int(plan.exitStatus)))
        return ((try? ContractJSON.encode(document)) ?? "{}") + "\n"
    }
}

/// What `pin --output json` prints (absent optional fields are left out).
struct PinDocument: Encodable {
    var schemaVersion = 1
    let dryRun: Bool
    let results: [Entry]
    let files: [String]
    let summary: Summary

    struct Entry: Encodable {
        let file: String
        let line: Int
        let column: Int
        let yamlPath: String
        let image: String
        let status: String
        let pinned: Bool
        let reference: String?
        let digest: String?
        let problem: String?
        let message: String?
    }

    struct Summary: Encodable {
        let pinned: Int
        let notPinned: Int
        let alreadyPinned: Int
        let filesChanged: Int
        let exitStatus: Int
    }
}
