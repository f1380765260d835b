import ArgumentParser
import Foundation
import ImageGate

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `verify-image scan PATH...`: lists every image in Kubernetes manifests, Helm values, Chart.yaml, chart
/// archives and Kustomize files, and fails when one is not pinned by digest.
struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Find images in manifests and charts that are not pinned by digest.",
        discussion: """
            PATH is a file (YAML, JSON, Chart.yaml, kustomization.yaml), a folder (scanned recursively), a chart \
            archive (.tgz), or - for standard input.
            Statuses: \(PinStatus.allCases.map(\.rawValue).joined(separator: ", ")).
            With --resolve, every digest is looked up in its repository (registry flags as for verify, --layout, \
            --registry-mirror); one that is not there becomes digest-not-found, and one the registry could not answer \
            for makes the exit status 2.
            With --verify, every pinned image is also verified with the verification flags (as `verify` does) and the \
            verdict joins its finding; a pinned image that fails verification fails the scan.
            Exit status: 0 when no finding has a failing status (and, with --verify, every pinned image verified), \
            1 when one has, 2 when a verification could not decide, 64 for unusable arguments.
            """)

    @Argument(help: "Files, folders, chart .tgz archives, or - for standard input.")
    var paths: [String] = []

    @Option(help: "Output format: text, json or sarif.")
    var output: String = "text"

    @Option(name: .customLong("fail-on"),
            help: "Comma-separated statuses that fail the scan (default: every status except pinned), or 'none'.")
    var failOn: String?

    @Flag(name: .customLong("verify"), help: "Also verify the signatures of every pinned image found (takes the verification flags).")
    var verify = false

    @Flag(name: .customLong("resolve"), help: "Also check every digest with the registry (or --layout): one it does not have in that repository is digest-not-found.")
    var resolve = false

    @OptionGroup var resolution: DigestResolutionOptions

    @OptionGroup(title: "Verification (with --verify)")
    var verification: VerificationOptions

    func validate() throws {
        if verify { try verification.validateForVerification() } else if resolve { try verification.source.validateSource() }
        if !resolution.mirrors.isEmpty && !resolve { throw ValidationError("--registry-mirror applies only with --resolve") }
    }

    func run() async throws {
        guard !paths.isEmpty else { usage("give at least one PATH (a file, folder, chart .tgz, or - for stdin)") }
        guard let format = ScanOutputFormat(rawValue: output) else {
            usage("--output must be text, json or sarif, not \(output)")
        }
        var failing = PinStatus.defaultFailing
        if let failOn {
            failing = []
            for item in failOn.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
                if item == "none" { continue }
                guard let status = PinStatus(rawValue: item) else {
                    usage("--fail-on: unknown status \(item) (one of \(PinStatus.allCases.map(\.rawValue).joined(separator: ", ")), or none)")
                }
                failing.insert(status)
            }
        }
        if paths.filter({ $0 == "-" }).count > 1 { usage("- (standard input) may be given once") }

        // A progress line on stderr, only when it is a terminal and the scan takes more than half a second.
        let showProgress = isatty(STDERR_FILENO) == 1
        let stdoutIsTerminal = isatty(STDOUT_FILENO) == 1
        let started = Date()
        let line = ProgressLine()
        var progress: (@Sendable (ScanProgress) -> Void)? = nil
        if showProgress {
            progress = { (p: ScanProgress) -> Void in
                guard Date().timeIntervalSince(started) > 0.5 else { return }
                line.show("scanning: \(p.files) files, \(p.bytes / 1024) KiB, \(p.findings) images, at \(p.current)")
            }
        }
        // Findings are written as each file is done (in input order), so memory stays flat on large trees.
        let writer = ScanReportWriter(format: format, failOn: failing) { text in
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        let output = OutputBox(writer)
        var tally: ScanTally
        if verify || resolve {
            // Lookups need every finding first (each distinct image is looked up or verified once, concurrently).
            var verifier: ImageVerifier? = nil
            if verify {
                do {
                    verifier = try await verification.makeVerifier()
                } catch let error as ImageGateError where error.code == .trustedRootExpired {
                    FileHandle.standardError.write(Data("verify-image scan: cannot verify: \(error.message)\n".utf8))
                    throw ExitCode(ExitStatus.indeterminate.rawValue)
                }
            }
            let resolver = resolve ? try resolution.makeResolver(source: try verification.makeSource()) : nil
            let report: ScanReport
            do {
                report = try ManifestScanner(progress: progress).scan(paths: paths)
            } catch let error as ScanError {
                usage(error.message)
            }
            var joined = report.findings
            var undecided = 0
            if let resolver {
                if showProgress { line.show("looking up \(Set(joined.compactMap { $0.status == .pinned ? $0.reference : nil }).count) digests…") }
                (joined, undecided) = await resolver.resolve(findings: joined)
            }
            if let verifier {
                if showProgress { line.show("verifying \(Set(joined.filter(\.pinned).compactMap(\.reference)).count) pinned images…") }
                joined = await verifier.verify(findings: joined, at: Date(), timeout: verification.deadline)
            }
            line.clear()
            tally = ScanTally()
            tally.files = report.filesScanned
            tally.bytes = report.bytesScanned
            tally.textBytes = report.textBytes
            tally.resolutionUndecided = undecided
            tally.add(joined)
            output.write(joined)
        } else {
            do {
                tally = try ManifestScanner(progress: progress).scan(paths: paths) { findings in
                    if stdoutIsTerminal { line.clear() }
                    output.write(findings)
                }
            } catch let error as ScanError {
                usage(error.message)
            }
        }
        line.clear()
        writer.finish(tally)
        throw ExitCode(tally.exitStatus(failOn: failing))
    }

    private func usage(_ message: String) -> Never {
        FileHandle.standardError.write(Data("verify-image scan: \(message)\n".utf8))
        Foundation.exit(64)
    }
}

/// Hands findings to the writer from the scanner's threads (the scanner calls it in order, one call at a time).
private final class OutputBox: @unchecked Sendable {
    private let writer: ScanReportWriter
    private let lock = NSLock()

    init(_ writer: ScanReportWriter) { self.writer = writer }

    func write(_ findings: [Finding]) {
        lock.lock(); defer { lock.unlock() }
        writer.write(findings)
    }
}

/// The progress line on stderr: drawn in place, cleared before findings are printed to the same terminal.
private final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private var shown = false

    func show(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + String(text.prefix(150))).utf8))
        shown = true
    }

    func clear() {
        lock.lock(); defer { lock.unlock() }
        guard shown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        shown = false
    }
}
