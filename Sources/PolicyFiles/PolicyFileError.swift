import Foundation

/// One reason a policy file cannot be used, located by file, line and field.
public struct PolicyProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem this is. `invalid` problems are mistakes that policy-controller also refuses;
    /// `unsupported` problems are valid policy-controller features this tool cannot evaluate outside a cluster
    /// (so it refuses the policy rather than let it pass silently).
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The YAML does not parse or is not a mapping where one is expected.
        case yamlInvalid = "yaml_invalid"
        /// A field is missing, malformed or contradicts another (policy-controller's validation).
        case fieldInvalid = "field_invalid"
        /// A field this tool does not know: it might be a requirement, so it is never ignored.
        case fieldUnknown = "field_unknown"
        /// A CUE or Rego `policy:` block (at the policy or attestation level).
        case policyLanguageUnsupported = "policy_language_unsupported"
        /// A KMS key reference (`kms:`); this tool reads public keys from the policy only.
        case kmsUnsupported = "kms_unsupported"
        /// A Kubernetes Secret or ConfigMap reference, which cannot be read outside a cluster.
        case clusterReferenceUnsupported = "cluster_reference_unsupported"
        /// A `source:` override (another repository, tag prefix, pull secrets).
        case sourceUnsupported = "source_unsupported"
        /// A TrustRoot by TUF `remote` or `repository` (only `sigstoreKeys` is read here).
        case trustRootUnsupported = "trust_root_unsupported"
        /// A `trustRootRef` names no TrustRoot among the loaded files.
        case trustRootMissing = "trust_root_missing"

        /// Whether policy-controller itself would accept the field (the refusal is this tool's limit).
        public var isUnsupportedFeature: Bool {
            switch self {
            case .policyLanguageUnsupported, .kmsUnsupported, .clusterReferenceUnsupported, .sourceUnsupported,
                 .trustRootUnsupported: return true
            default: return false
            }
        }
    }

    /// The stable code.
    public let code: Code
    /// The file the problem is in.
    public let file: String
    /// 1-based line (0 when unknown).
    public let line: Int
    /// The field path in policy-controller's notation, e.g. `spec.authorities[0].key.kms`.
    public let field: String
    /// What is wrong.
    public let message: String
    /// What to do about it.
    public let fix: String

    /// Creates a problem.
    public init(_ code: Code, file: String, line: Int, field: String, _ message: String, fix: String) {
        self.code = code
        self.file = file
        self.line = line
        self.field = field
        self.message = message
        self.fix = fix
    }

    /// `file:line: field: message (fix) [code]`.
    public var description: String {
        "\(file):\(line): \(field.isEmpty ? "" : field + ": ")\(message); \(fix) [\(code.rawValue)]"
    }
}

/// The error of the PolicyFiles module: the policies could not be loaded, with every problem found.
public struct PolicyFileError: Error, Sendable, CustomStringConvertible {
    /// Every problem, in file order.
    public let problems: [PolicyProblem]

    /// Creates an error from one or more problems.
    public init(_ problems: [PolicyProblem]) { self.problems = problems }

    /// The problems, one per line.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
