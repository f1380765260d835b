import Foundation

/// How an image reference found in a manifest or chart is pinned.
public enum PinStatus: String, Sendable, Hashable, CaseIterable, Codable {
    /// `@<algorithm>:<hex>` with a valid digest (sha256: 64 lowercase hex; sha512: 128). A tag next to the digest
    /// is allowed and noted: the digest decides what is pulled.
    case pinned
    /// A tag and no digest: the registry may re-point the tag at any time.
    case tag
    /// No tag and no digest: the runtime pulls `:latest`.
    case implicitLatest = "implicit-latest"
    /// With `scan --resolve`: a well-formed digest that the registry does not have in that repository.
    case digestNotFound = "digest-not-found"
    /// Something that tries to be a digest but is not one: wrong length, upper-case hex, unknown algorithm,
    /// `repo:@sha256:…`, `repo@sha256:…:tag`.
    case malformedDigest = "malformed-digest"
    /// A digest of the right shape whose hex is obviously fake (one repeated character, a counting or short
    /// repeating pattern).
    case placeholderDigest = "placeholder-digest"
    /// The value is a Go/Helm template (`{{ … }}`): only rendering decides the image.
    case templated
    /// The repository is empty: the chart falls back to another image (for example `global.image`).
    case inherited
    /// The file could not be parsed or was refused by a safety limit; the scan went on with the other files.
    case error

    /// Whether this status means the image is pinned by digest.
    public var isPinned: Bool { self == .pinned }

    /// The statuses that fail a scan unless `--fail-on` says otherwise: every status except `pinned`.
    public static let defaultFailing: Set<PinStatus> = Set(allCases.filter { $0 != .pinned })
}

/// The signature verdict joined to a pinned finding by `scan --verify` (strings, so the scanner stays below the
/// verification layers: the values are `GateVerdict` decisions and reason codes).
public struct FindingVerification: Sendable, Hashable {
    /// `pass`, `fail` or `indeterminate`.
    public var decision: String
    /// Stable reason codes (`no_signatures_found`, `no_matching_signature`, …); empty when it passed.
    public var reasons: [String]
    /// One line for a person: what was verified, or why not and the fix.
    public var message: String?

    /// Creates a verification result.
    public init(decision: String, reasons: [String] = [], message: String? = nil) {
        self.decision = decision
        self.reasons = reasons
        self.message = message
    }

    /// Whether the image's signatures satisfied the policy.
    public var passed: Bool { decision == "pass" }
}

/// One image reference (or one unreadable file) found by the scanner.
public struct Finding: Sendable, Hashable {
    /// The file; inside an archive `chart.tgz!path/in/archive` (nested archives add further `!` parts);
    /// `-` for standard input.
    public var file: String
    /// 1-based line of the value (of the `image:` key for image maps); 0 when the whole file is concerned.
    public var line: Int
    /// 1-based column, as for `line`.
    public var column: Int
    /// Path inside the YAML document, e.g. `spec.template.spec.containers[0].image` or `global.image`.
    public var yamlPath: String
    /// The raw value, or for image maps (`{registry, repository, tag, digest}`) the reference composed the way
    /// the chart's templates compose it.
    public var image: String
    /// The normalized docker reference (`docker.io/library/busybox:latest`, `name@digest` when pinned), or nil
    /// when it cannot be known (templated, inherited, error).
    public var reference: String?
    /// How the image is pinned.
    public var status: PinStatus
    /// 0-based index of the YAML document in a multi-document stream.
    public var document: Int
    /// `Kind/name` of the Kubernetes object holding the image, when the document is one.
    public var object: String?
    /// A remark for a person (tag kept beside a digest, empty digest field, why a digest is malformed, …).
    public var note: String?
    /// For `error` findings: the stable ``ScanError/Code`` raw value.
    public var errorCode: String?
    /// With `scan --verify`: the signature verdict for a pinned image (nil when not verified).
    public var verification: FindingVerification?
    /// For `tag` and `implicit-latest` findings in YAML/JSON files: the edit that pins it (nil when the scanner
    /// cannot tell, e.g. an empty tag whose default lives in the chart's templates).
    public var pinSite: PinSite?
    /// For a subchart's image that the parent chart's values change (Helm's values merge): that values file.
    public var overriddenBy: String?

    /// Whether ``status`` is `pinned`.
    public var pinned: Bool { status.isPinned }

    /// Creates a finding.
    public init(file: String, line: Int, column: Int, yamlPath: String, image: String, reference: String?,
                status: PinStatus, document: Int = 0, object: String? = nil, note: String? = nil,
                errorCode: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.yamlPath = yamlPath
        self.image = image
        self.reference = reference
        self.status = status
        self.document = document
        self.object = object
        self.note = note
        self.errorCode = errorCode
    }

    /// An `error` finding for a whole file.
    static func error(file: String, _ error: ScanError, line: Int = 0, column: Int = 0, yamlPath: String = "")
        -> Finding {
        Finding(file: file, line: line, column: column, yamlPath: yamlPath, image: "", reference: nil,
                status: .error, note: error.message, errorCode: error.code.rawValue)
    }
}
