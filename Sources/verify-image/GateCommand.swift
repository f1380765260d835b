import ArgumentParser
import Foundation
import ImageGate

/// `verify-image gate`: one decision for a whole release from policy-controller policies, with an evidence
/// package anyone can re-check offline (`gate verify-evidence`).
struct GateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Decide a whole release (charts, manifests) against ClusterImagePolicy files.",
        subcommands: [GateRunCommand.self, VerifyEvidenceCommand.self],
        defaultSubcommand: GateRunCommand.self
    )
}

/// `verify-image gate --policy PATH... PATH...` (the default subcommand of `gate`).
struct GateRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Scan the inputs and decide every image against the policies (the default: `verify-image gate …`).",
        discussion: """
            --policy takes sigstore policy-controller ClusterImagePolicy and TrustRoot files or folders (v1beta1; \
            v1alpha1 accepted). Every image must be pinned by digest (statuses as in `scan`, --fail-on), and must \
            satisfy every policy whose images[].glob matches it — at least one authority of each. What cannot be \
            evaluated here (CUE/Rego policy blocks, KMS keys, Kubernetes Secrets, source overrides) is refused when \
            loading, with file, line and field. Exit status: 0 pass, 1 fail, 2 indeterminate, 64 usage.
            """)

    @Option(name: .customLong("policy"), help: "A ClusterImagePolicy / TrustRoot file or folder; repeatable.")
    var policies: [String] = []

    @Argument(help: "Files, folders and chart .tgz archives to gate (as `scan` reads them).")
    var paths: [String] = []

    @Option(name: .customLong("output"), help: "text, json, sarif or junit.")
    var output: String = "text"

    @Option(name: .customLong("evidence"), help: "Write an evidence package to this new folder, or to FILE.tar.gz.")
    var evidence: String?

    @Option(name: .customLong("sign-evidence"), help: "Sign the evidence package with this ECDSA private key (unencrypted PEM).")
    var signEvidence: String?

    @Option(name: .customLong("fail-on"), help: "Comma-separated pin statuses that fail an image (default: every status except pinned).")
    var failOn: String?

    @Option(name: .customLong("no-match"), help: "A pinned image no policy matches: deny (default), warn or allow.")
    var noMatch: String = "deny"

    @Option(name: .customLong("trusted-root"), help: "Sigstore trusted_root.json for authorities without trustRootRef (default: the production root).")
    var trustedRoot: String?

    @OptionGroup(title: "Source")
    var source: ContentSourceOptions

    func validate() throws {
        if policies.isEmpty { throw ValidationError("give at least one --policy FILE|FOLDER (ClusterImagePolicy YAML)") }
        if paths.isEmpty { throw ValidationError("give the release to gate: files, folders or chart .tgz archives") }
        if !["text", "json", "sarif", "junit"].contains(output) { throw ValidationError("--output must be text, json, sarif or junit, not \(output)") }
        if GateOptions.NoMatch(rawValue: noMatch) == nil { throw ValidationError("--no-match must be deny, warn or allow, not \(noMatch)") }
        if signEvidence != nil && evidence == nil { throw ValidationError("--sign-evidence signs the package written with --evidence DIR; give --evidence too") }
        try source.validateSource()
    }

    func run() async throws {
        var options = GateOptions()
        options.noMatch = GateOptions.NoMatch(rawValue: noMatch) ?? .deny
        if let failOn {
            options.failOn = []
            for item in failOn.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty && item != "none" {
                guard let status = PinStatus(rawValue: item) else {
                    throw ValidationError("--fail-on: unknown status \(item) (one of \(PinStatus.allCases.map(\.rawValue).joined(separator: ", ")), or none)")
                }
                options.failOn.insert(status)
            }
        }
        if let trustedRoot {
            guard let data = FileManager.default.contents(atPath: trustedRoot) else {
                throw ValidationError("--trusted-root \(trustedRoot): no such readable file")
            }
            _ = try usage { try TrustedRoot(json: data) }
            options.trustedRootJSON = data
        }
        options.timeout = source.deadline
        let signingKey = try signEvidence.map { path in try usage { try SigningKey(pem: try readText(path, what: "--sign-evidence")) } }
        let policySet: PolicySet
        do {
            policySet = try PolicySet.load(paths: policies)
        } catch {
            FileHandle.standardError.write(Data("verify-image gate: the policies cannot be used:\n\(error)\n".utf8))
            throw ExitCode(64)
        }
        let recording = RecordingSource(try source.makeSource())
        let gate: Gate
        do {
            gate = try Gate(policies: policySet, source: recording, options: options)
        } catch {
            FileHandle.standardError.write(Data("verify-image gate: \(error)\n".utf8))
            throw ExitCode(64)
        }
        // Whole seconds: the evidence records the time to the second and must re-decide at exactly that time.
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let run: GateRun
        do {
            run = try await gate.decide(paths: paths, at: now)
        } catch {
            FileHandle.standardError.write(Data("verify-image gate: \(error.message)\n".utf8))
            throw ExitCode(64)
        }
        switch output {
        case "json": print(try run.report.renderJSON(), terminator: "")
        case "sarif": print(try run.report.renderSARIF(), terminator: "")
        case "junit": print(run.report.renderJUnit(), terminator: "")
        default: print(run.report.renderText(), terminator: "")
        }
        if let evidence {
            do {
                try EvidencePackage.write(run: run, gate: gate, recording: recording, commandLine: CommandLine.arguments,
                                          to: evidence, signingKey: signingKey)
            } catch {
                FileHandle.standardError.write(Data("verify-image gate: \(error)\n".utf8))
                throw ExitCode(2)
            }
            FileHandle.standardError.write(Data("evidence written to \(evidence)\(signingKey != nil ? " (signed)" : "")\n".utf8))
        }
        throw ExitCode(run.report.exitStatus.rawValue)
    }
}

/// `verify-image gate verify-evidence DIR`: re-checks an evidence package offline.
struct VerifyEvidenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-evidence",
        abstract: "Re-check an evidence package offline: checksums, signature, and every verification again.",
        discussion: """
            Checks every file against SHA256SUMS (a changed, missing or added file fails, named), the signature \
            when --key is given, then decides again from the package's own OCI layout, policies and trusted root at \
            the recorded time; the decision must be the recorded one. No network is used. Exit status: 0 the \
            package is intact and reproduces its decision (whatever that decision was), 1 it does not, 64 usage.
            """)

    @Argument(help: "The evidence folder or .tar.gz archive.")
    var path: String

    @Option(name: .customLong("key"), help: "Public key (PEM) the package must be signed with.")
    var key: String?

    @Option(name: .customLong("output"), help: "text or json.")
    var output: String = "text"

    func run() async throws {
        let publicKey = try key.map { path in try usage { try PublicKey(pem: try readText(path, what: "--key")) } }
        do {
            let result = try await EvidencePackage.verify(path: path, key: publicKey)
            if output == "json" {
                struct Summary: Encodable { var schemaVersion = 1; var intact = true; var reproduced = true; var files: Int; var signature: String; var decision: Decision; var verifiedAt: String }
                print(try ContractJSON.encode(Summary(files: result.files, signature: result.signature,
                                                      decision: result.record.report.decision, verifiedAt: result.record.report.verifiedAt)))
            } else {
                print("evidence \(path): \(result.files) files match SHA256SUMS; \(result.signature)")
                print("re-verified offline at \(result.record.report.verifiedAt) from \(EvidencePackage.layoutFolder)/: decision \(result.reproduced.decision.rawValue.uppercased()) reproduced (\(result.reproduced.images.count) images, recorded by verify-image \(result.record.version))")
            }
        } catch {
            print("evidence \(path) REJECTED: \(error)")
            throw ExitCode(1)
        }
    }
}
