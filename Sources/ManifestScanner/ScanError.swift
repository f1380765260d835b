import Foundation

/// Every way a scan can fail or refuse an input, with a stable snake_case code.
///
/// A `ScanError` thrown by ``ManifestScanner/scan(paths:)`` means the arguments themselves are unusable (for
/// example a missing path). Problems with the content of one file never stop the scan: they become a
/// ``Finding`` whose status is ``PinStatus/error`` and whose ``Finding/errorCode`` is one of these codes.
public struct ScanError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which kind of failure this is; its `rawValue` is the stable code.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// A path given to the scan does not exist.
        case pathNotFound = "path_not_found"
        /// A file or folder exists but could not be read (permissions, I/O error).
        case fileUnreadable = "file_unreadable"
        /// A file is larger than ``ScanLimits/maxFileBytes``.
        case fileTooLarge = "file_too_large"
        /// A file is not valid UTF-8 text.
        case notUTF8 = "not_utf8"
        /// A file is neither valid YAML nor JSON (and not a Helm template).
        case yamlInvalid = "yaml_invalid"
        /// Nesting deeper than ``ScanLimits/maxDepth`` (or libyaml's own limit of 1000).
        case yamlDepthLimit = "yaml_depth_limit"
        /// Alias expansion would visit more than ``ScanLimits/maxNodes`` nodes (an alias bomb).
        case yamlNodeLimit = "yaml_node_limit"
        /// An alias is used in a mapping key, which would make the parser expand it without bound.
        case yamlAliasInKey = "yaml_alias_in_key"
        /// The gzip stream is corrupt or truncated.
        case gzipInvalid = "gzip_invalid"
        /// Decompression exceeded the size or ratio limit (a gzip bomb).
        case decompressionLimit = "decompression_limit"
        /// The tar stream is corrupt (bad checksum, truncated entry, bad size field).
        case tarInvalid = "tar_invalid"
        /// A tar entry has an absolute path or a `..` component; it was skipped.
        case tarUnsafePath = "tar_unsafe_path"
        /// A tar entry is a symbolic or hard link (or a device); it was skipped, never followed.
        case tarLink = "tar_link"
        /// More tar entries, or deeper nested archives, than the limits allow.
        case archiveLimit = "archive_limit"
        /// Standard input could not be read.
        case stdinUnreadable = "stdin_unreadable"
        /// A value in an image field is not a reference at all (bad repository name, bad tag, stray characters).
        case invalidReference = "invalid_reference"
    }

    /// The stable code of this error.
    public let code: Code
    /// What went wrong and how to fix it, for a person.
    public let message: String

    /// Creates an error with a code and a message that names the problem and the fix.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
