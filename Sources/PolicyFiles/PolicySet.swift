import CryptoPrimitives
import Foundation
import SignatureVerification
import Yams

/// The policies and trust roots of one or more policy files, validated and ready to evaluate.
///
/// ```swift
/// let policies = try PolicySet.load(paths: ["deploy/policies"])
/// for policy in policies.policies(for: "ghcr.io/org/app@sha256:…") { … }
/// ```
public struct PolicySet: Sendable {
    /// A file read while loading, with its exact bytes (the evidence package keeps them as used).
    public struct SourceFile: Sendable, Hashable {
        /// The path as found.
        public let path: String
        /// The file's bytes.
        public let bytes: Data

        /// A file read elsewhere (or held in memory).
        public init(path: String, bytes: Data) {
            self.path = path
            self.bytes = bytes
        }
    }

    /// Every ClusterImagePolicy, in file order.
    public let policies: [ClusterImagePolicy]
    /// Every TrustRoot by name.
    public let trustRoots: [String: TrustRootResource]
    /// The files read, in order.
    public let files: [SourceFile]

    /// The largest policy file read.
    public static let maximumFileSize = 4 << 20
    /// The API versions read.
    public static let apiVersions: Set<String> = ["policy.sigstore.dev/v1beta1", "policy.sigstore.dev/v1alpha1"]

    /// Creates a set from already-validated parts.
    public init(policies: [ClusterImagePolicy], trustRoots: [String: TrustRootResource], files: [SourceFile]) {
        self.policies = policies
        self.trustRoots = trustRoots
        self.files = files
    }

    /// The policies whose globs match `image` (as written in a manifest); every one of them must pass.
    public func policies(for image: String) -> [ClusterImagePolicy] {
        policies.filter { $0.applies(to: image) }
    }

    /// Loads every `.yaml` / `.yml` / `.json` file given, folders recursively (in name order). Documents of other
    /// kinds are skipped; a file with neither a ClusterImagePolicy nor a TrustRoot is a problem (a wrong path
    /// would otherwise mean no policy). Throws `PolicyFileError` with every problem found in every file.
    public static func load(paths: [String]) throws(PolicyFileError) -> PolicySet {
        var files: [SourceFile] = []
        var problems: [PolicyProblem] = []
        for path in paths {
            do {
                files += try readFiles(path)
            } catch {
                problems.append(error)
            }
        }
        if !problems.isEmpty { throw PolicyFileError(problems) }
        return try load(files: files)
    }

    /// Loads policies from files already in memory (the evidence package re-loads its own copies this way).
    public static func load(files: [SourceFile]) throws(PolicyFileError) -> PolicySet {
        var problems: [PolicyProblem] = []
        var policies: [ClusterImagePolicy] = []
        var trustRoots: [String: TrustRootResource] = [:]
        var pendingRefs: [(String, Field)] = []
        for file in files {
            let log = ProblemLog(file: file.path)
            let reader = PolicyReader(log: log)
            guard let text = String(data: file.bytes, encoding: .utf8) else {
                problems.append(PolicyProblem(.yamlInvalid, file: file.path, line: 0, field: "", "the file is not UTF-8 text",
                                              fix: "save it as UTF-8"))
                continue
            }
            var found = 0
            do {
                var documents = try Yams.compose_all(yaml: text)
                while let document = documents.next() {
                    let root = Field(node: document, path: "", log: log)
                    guard case .mapping(let mapping) = document else { continue }
                    let kind = mapping["kind"]?.string
                    let apiVersion = mapping["apiVersion"]?.string ?? ""
                    guard kind == "ClusterImagePolicy" || kind == "TrustRoot" else { continue }
                    found += 1
                    guard apiVersions.contains(apiVersion) else {
                        log.add(.fieldInvalid, root.child("apiVersion", mapping["apiVersion"] ?? document),
                                "apiVersion \"\(apiVersion)\" is not one this tool reads",
                                fix: "use policy.sigstore.dev/v1beta1 (or v1alpha1)")
                        continue
                    }
                    if kind == "TrustRoot" {
                        if let trustRoot = reader.trustRoot(root) {
                            if trustRoots[trustRoot.name] != nil {
                                log.add(.fieldInvalid, root, "a second TrustRoot named \(trustRoot.name)",
                                        fix: "give each TrustRoot a distinct metadata.name")
                            }
                            trustRoots[trustRoot.name] = trustRoot
                        }
                    } else if let policy = reader.policy(root, apiVersion: apiVersion) {
                        policies.append(policy)
                    }
                }
                if let error = documents.error { throw error }
            } catch {
                log.add(.yamlInvalid, Field(node: Node(""), path: "", log: log), "the YAML does not parse: \(error)",
                        fix: "correct the YAML syntax")
            }
            if found == 0 && log.problems.isEmpty {
                log.add(.fieldInvalid, Field(node: Node(""), path: "", log: log),
                        "no ClusterImagePolicy or TrustRoot (policy.sigstore.dev) in this file",
                        fix: "check the path given to --policy")
            }
            pendingRefs += reader.trustRootRefs
            problems += log.problems
        }
        for (name, field) in pendingRefs where trustRoots[name] == nil {
            problems.append(PolicyProblem(.trustRootMissing, file: field.log.file, line: field.line, field: field.path,
                                          "no TrustRoot named \(name) was loaded",
                                          fix: "add the file with the TrustRoot named \(name) to --policy"))
        }
        var names = Set<String>()
        for policy in policies where !names.insert(policy.name).inserted {
            problems.append(PolicyProblem(.fieldInvalid, file: policy.location.file, line: policy.location.line,
                                          field: "metadata.name", "a second ClusterImagePolicy named \(policy.name)",
                                          fix: "give each policy a distinct name"))
        }
        if !problems.isEmpty { throw PolicyFileError(problems) }
        return PolicySet(policies: policies, trustRoots: trustRoots, files: files)
    }

    private static func readFiles(_ path: String) throws(PolicyProblem) -> [SourceFile] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw PolicyProblem(.yamlInvalid, file: path, line: 0, field: "", "no such file or folder",
                                fix: "give --policy an existing file or folder")
        }
        if isDirectory.boolValue {
            let entries = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
            var files: [SourceFile] = []
            for entry in entries where [".yaml", ".yml", ".json"].contains(where: entry.hasSuffix) {
                files += try readFiles((path as NSString).appendingPathComponent(entry))
            }
            return files
        }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? Int, size <= maximumFileSize,
              let data = FileManager.default.contents(atPath: path) else {
            throw PolicyProblem(.yamlInvalid, file: path, line: 0, field: "",
                                "the file cannot be read or is larger than \(maximumFileSize) bytes",
                                fix: "give a readable policy file")
        }
        return [SourceFile(path: path, bytes: data)]
    }
}
