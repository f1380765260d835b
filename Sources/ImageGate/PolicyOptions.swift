import CryptoPrimitives
import Foundation
import OCIImage
import SignatureVerification

/// A policy as a person states it — the flags of `verify`, `scan --verify` and `verify-bundle`, or the fields of a
/// policy file: file paths and strings, nothing parsed yet. `makePolicy()` is the ONE place that turns such a
/// statement into a `VerificationPolicy`; every rule about which combinations make sense lives there (or in
/// `VerificationPolicy.init`), none in the CLI.
public struct PolicyOptions: Sendable, Equatable {
    /// What the policy is for.
    public enum Purpose: Sendable, Equatable {
        /// Container images (`verify`, `scan --verify`, the gate).
        case images
        /// One artifact and its Sigstore bundle (`verify-bundle`, the sigstore-conformance protocol): key-signed
        /// bundles need a transparency-log entry OR a timestamp, as sigstore-go does.
        case artifact
    }

    /// What the policy is for.
    public var purpose: Purpose = .images
    /// `--key`: PEM public key files; a signature by any of them passes.
    public var keyFiles: [String] = []
    /// `--certificate-identity`: the exact subject.
    public var identity: String?
    /// `--certificate-identity-regexp`: the subject as an anchored regexp.
    public var identityRegexp: String?
    /// `--certificate-oidc-issuer`: the exact issuer.
    public var issuer: String?
    /// `--certificate-oidc-issuer-regexp`: the issuer as an anchored regexp.
    public var issuerRegexp: String?
    /// `--trusted-root`: a Sigstore trusted_root.json.
    public var trustedRootFile: String?
    /// `--staging`: the Sigstore staging root instead of production (no `trustedRootFile` then).
    public var stagingTrustedRoot = false
    /// `--certificate-chain`: a private CA, PEM intermediates then root.
    public var certificateChainFile: String?
    /// `--insecure-ignore-tlog`.
    public var insecureIgnoreTransparencyLog = false
    /// `--insecure-ignore-sct`.
    public var insecureIgnoreSCT = false
    /// `-a KEY=VALUE`, as given.
    public var annotations: [String] = []
    /// `--attestations`.
    public var attestations = false
    /// `--type`: a predicate type URI or cosign's short name (`slsaprovenance`, `spdx`, …).
    public var predicateType: String?
    /// `--platform OS/ARCH[/VARIANT]`.
    public var platform: String?
    /// `--allow-tags`.
    public var allowTags = false
    /// `--every-platform`: for an index, every platform manifest must carry its own passing signature, instead of
    /// the index's own signature being verified.
    public var everyPlatform = false
    /// `--tlog-checkpoint-name URL=NAME`, as given: the name a transparency log of the trusted root (by its base
    /// URL) signs its checkpoints as, where that is not its URL's host (a private Rekor named after its machine).
    public var checkpointNames: [String] = []

    /// Creates empty options; set the fields that were given.
    public init(purpose: Purpose = .images) { self.purpose = purpose }

    /// Checks the combination without reading any file (for a command's argument validation).
    /// - Throws: `SignatureVerificationError` `policy_invalid` naming the flags and the fix.
    public func validate() throws {
        func invalid(_ message: String) -> SignatureVerificationError {
            SignatureVerificationError(.policyInvalid, check: .policy, message)
        }
        if identity != nil && identityRegexp != nil {
            throw invalid("--certificate-identity and --certificate-identity-regexp exclude each other; give one")
        }
        if issuer != nil && issuerRegexp != nil {
            throw invalid("--certificate-oidc-issuer and --certificate-oidc-issuer-regexp exclude each other; give one")
        }
        let hasIdentity = identity != nil || identityRegexp != nil
        let hasIssuer = issuer != nil || issuerRegexp != nil
        try PolicyRules.requireSigner(named: !keyFiles.isEmpty || hasIdentity)
        if !keyFiles.isEmpty && (hasIdentity || hasIssuer) {
            throw invalid("--key and --certificate-identity / --certificate-oidc-issuer exclude each other; give one")
        }
        try PolicyRules.requireIssuer(identityWithoutIssuer: hasIdentity && !hasIssuer, privateCA: certificateChainFile != nil)
        if stagingTrustedRoot && trustedRootFile != nil {
            throw invalid("--staging and --trusted-root exclude each other; give one")
        }
        if predicateType != nil && !attestations { throw invalid("--type applies only with --attestations") }
        if platform != nil && everyPlatform {
            throw invalid("--platform and --every-platform exclude each other: one platform's manifest, or all of them")
        }
        var seen: [String: String] = [:]
        for annotation in annotations {
            guard let equals = annotation.firstIndex(of: "=") else {
                throw invalid("-a \(annotation): annotations are KEY=VALUE")
            }
            let key = String(annotation[..<equals])
            let value = String(annotation[annotation.index(after: equals)...])
            if let earlier = seen[key], earlier != value {
                throw invalid("-a \(key) is given twice with different values (\"\(earlier)\" and \"\(value)\"); give it once")
            }
            seen[key] = value
        }
        _ = try parsedCheckpointNames()
        try PolicyRules.checkAnnotations(keys: seen.keys.sorted(), attestations: attestations)
        if purpose == .artifact && (!annotations.isEmpty || attestations || platform != nil || everyPlatform || allowTags || certificateChainFile != nil) {
            throw invalid("verify-bundle takes no image options (-a, --attestations, --platform, --every-platform, --allow-tags, --certificate-chain)")
        }
    }

    /// Reads the files and builds the policy.
    /// - Throws: `SignatureVerificationError`: `input_unreadable` for a missing file, `policy_invalid` for an
    ///   unusable key, chain, regexp, trusted root or combination — each naming the flag.
    /// - Parameter defaultTrustedRoot: the trusted root to use when the options name none (neither `--trusted-root`
    ///   nor `--staging`) and one is needed — normally `TrustedRootStore.resolve()`'s; nil: the embedded production root.
    public func makePolicy(defaultTrustedRoot: TrustedRoot? = nil) throws -> VerificationPolicy {
        try validate()
        let trust = try makeTrust(defaultTrustedRoot: defaultTrustedRoot)
        let signers: VerificationPolicy.Signers
        if !keyFiles.isEmpty {
            signers = .keys(try keyFiles.map { path in
                do {
                    return try PublicKey(pem: try PolicyOptions.readText(path, flag: "--key"))
                } catch let error as SignatureVerificationError {
                    throw error
                } catch {
                    throw SignatureVerificationError(.policyInvalid, check: .policy, "--key \(path) is not a usable PEM public key: \(error)")
                }
            })
        } else {
            let subject = try identityRegexp.map { try StringMatcher.regexp($0) } ?? .exact(identity ?? "")
            let issuerMatcher = try issuerRegexp.map { try StringMatcher.regexp($0) } ?? issuer.map { .exact($0) }
            signers = .identities([.init(issuer: issuerMatcher, subject: subject)])
        }
        var required: [String: String] = [:]
        for annotation in annotations {
            let parts = annotation.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            required[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let evidence: VerificationPolicy.Evidence = attestations
            ? .attestations(predicateType: predicateType.map(VerificationPolicy.predicateTypeURI)) : .signatures
        let indexTarget: VerificationPolicy.IndexTarget
        if let platform {
            do {
                indexTarget = .platform(try Platform(parsing: platform))
            } catch {
                throw SignatureVerificationError(.policyInvalid, check: .policy, "--platform \(platform): \(error)")
            }
        } else {
            indexTarget = everyPlatform ? .everyChild : .index
        }
        // verify-bundle: a key-signed bundle needs a log entry or a timestamp, which the verifier demands itself.
        let ignoreLog = insecureIgnoreTransparencyLog || (purpose == .artifact && !keyFiles.isEmpty)
        return try VerificationPolicy(trust: trust, signers: signers, evidence: evidence, requiredAnnotations: required,
                                      insecureIgnoreTransparencyLog: ignoreLog, insecureIgnoreSCT: insecureIgnoreSCT,
                                      allowTags: allowTags, indexTarget: indexTarget)
    }

    /// The trusted material, each part explicit: the trusted root the user named (or production / staging), and
    /// the private CA. Production is the default trusted root except where nothing would use it (keys or a private
    /// CA with `--insecure-ignore-tlog`).
    func makeTrust(defaultTrustedRoot: TrustedRoot?) throws -> VerificationPolicy.Trust {
        let chain = try certificateChainFile.map { path in
            do {
                return try Certificate.parsePEM(try PolicyOptions.readText(path, flag: "--certificate-chain"))
            } catch let error as SignatureVerificationError {
                throw error
            } catch {
                throw SignatureVerificationError(.policyInvalid, check: .policy, "--certificate-chain \(path) does not parse: \(error)")
            }
        }
        let root: TrustedRoot?
        if let trustedRootFile {
            root = try TrustedRoot(contentsOfFile: trustedRootFile)
        } else if stagingTrustedRoot {
            root = try TrustedRoot.staging()
        } else if !usesDefaultTrustedRoot {
            root = nil
        } else {
            root = try defaultTrustedRoot ?? TrustedRoot.production()
        }
        return VerificationPolicy.Trust(trustedRoot: root, certificateChain: chain, checkpointNames: try parsedCheckpointNames())
    }

    /// `checkpointNames` as log base URL → name. Whether the URL is a log of the trusted root is checked by
    /// `VerificationPolicy.init`, which has the root.
    func parsedCheckpointNames() throws -> [String: String] {
        var names: [String: String] = [:]
        for entry in checkpointNames {
            guard let equals = entry.lastIndex(of: "="), equals != entry.startIndex,
                  entry.index(after: equals) != entry.endIndex else {
                throw SignatureVerificationError(.policyInvalid, check: .policy,
                    "--tlog-checkpoint-name \(entry): give the log's base URL and the name it signs checkpoints as, URL=NAME")
            }
            let url = String(entry[..<equals])
            let name = String(entry[entry.index(after: equals)...])
            if let earlier = names[url], earlier != name {
                throw SignatureVerificationError(.policyInvalid, check: .policy,
                    "--tlog-checkpoint-name gives \(url) two names (\"\(earlier)\" and \"\(name)\"); give one")
            }
            names[url] = name
        }
        return names
    }

    /// True when the policy needs the default trusted root: no `--trusted-root`, no `--staging`, and something that
    /// uses one (not keys or a private CA with `--insecure-ignore-tlog` for images).
    public var usesDefaultTrustedRoot: Bool {
        trustedRootFile == nil && !stagingTrustedRoot
            && !(purpose == .images && insecureIgnoreTransparencyLog && (certificateChainFile != nil || !keyFiles.isEmpty))
    }

    /// Reads a text file named by a flag; a missing file is `input_unreadable` naming the flag.
    static func readText(_ path: String, flag: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SignatureVerificationError(.inputUnreadable, check: .policy, "\(flag) \(path): no such readable file")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
