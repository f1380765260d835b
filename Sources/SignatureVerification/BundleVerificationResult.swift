import Foundation

/// What `BundleVerifier.verify` established: every check done, the signer, the verified times and log entries.
public struct BundleVerificationResult: Sendable {
    /// One check that passed, e.g. `tlog.inclusion_proof` with a detail naming the log and index.
    public struct Check: Sendable, Equatable {
        /// Stable check name (`bundle.parse`, `signature`, `artifact`, `tlog.set`, `tlog.inclusion_proof`,
        /// `tlog.checkpoint`, `tlog.body`, `timestamp.rfc3161`, `certificate.chain`, `certificate.sct`,
        /// `certificate.identity`, `certificate.issuer`, `key`).
        public let name: String
        /// What exactly was verified.
        public let detail: String

        /// Creates a check.
        public init(name: String, detail: String) {
            self.name = name
            self.detail = detail
        }
    }

    /// A verified time and where it came from.
    public struct VerifiedTime: Sendable, Equatable {
        /// The source of a verified time.
        public enum Source: String, Sendable {
            /// A Rekor v1 integrated time whose SET verified.
            case transparencyLog = "tlog"
            /// An RFC 3161 timestamp verified against a trusted TSA.
            case timestampAuthority = "tsa"
            /// The caller-supplied current time (only when the policy allows it).
            case current
        }
        /// The source.
        public let source: Source
        /// The time.
        public let time: Date
        /// Who vouches for it (log URL or TSA name).
        public let authority: String
    }

    /// A transparency-log entry that verified.
    public struct LogEntry: Sendable, Equatable {
        /// The log's base URL.
        public let logURL: String
        /// Hex log id.
        public let logID: String
        /// The global log index.
        public let logIndex: Int64
        /// `kind/version` of the entry body.
        public let kindVersion: String
        /// The integrated time when the SET verified (nil for Rekor v2 or proof-only entries).
        public let integratedTime: Date?
        /// Whether the inclusion promise (SET) verified.
        public let setVerified: Bool
        /// Whether an inclusion proof and checkpoint verified.
        public let inclusionProofVerified: Bool
    }

    /// Who signed.
    public enum Signer: Sendable, Equatable {
        /// A certificate identity.
        case certificate(CertificateIdentity, serialNumberHex: String, notBefore: Date, notAfter: Date)
        /// A public key, identified by the hex SHA-256 of its SPKI DER.
        case key(keyID: String)
    }

    /// The bundle's version.
    public let bundleVersion: SigstoreBundle.Version
    /// `messageSignature` or `dsseEnvelope`.
    public let contentKind: String
    /// The in-toto statement, for DSSE bundles.
    public let statement: InTotoStatement?
    /// The signer.
    public let signer: Signer
    /// Verified times.
    public let verifiedTimes: [VerifiedTime]
    /// Verified log entries.
    public let logEntries: [LogEntry]
    /// Every check that passed, in order.
    public let checks: [Check]
    /// Evidence that was present but not used (entries from logs outside the trusted root, timestamps no trusted
    /// TSA vouches for), one sentence each.
    public let notes: [String]
}
