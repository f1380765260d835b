import Foundation
import StrictJSON

/// A closed time interval `[start, end]` from a trusted root's `validFor` (an absent `end` means open-ended).
public struct ValidityPeriod: Sendable, Hashable {
    /// First instant of validity (inclusive).
    public let start: Date
    /// Last instant of validity (inclusive), or nil when the period is open-ended.
    public let end: Date?

    /// Creates a period.
    public init(start: Date, end: Date? = nil) {
        self.start = start
        self.end = end
    }

    /// Whether `time` lies inside the closed interval.
    public func contains(_ time: Date) -> Bool {
        if time < start { return false }
        if let end, time > end { return false }
        return true
    }
}

/// A transparency log or CT log instance from a trusted root (`tlogs[]` / `ctlogs[]`).
public struct TransparencyLogInstance: Sendable, Hashable {
    /// The log's base URL, e.g. `https://rekor.sigstore.dev` (for Rekor v2 its host is the checkpoint origin).
    public let baseURL: String
    /// The log's Merkle hash algorithm name (`SHA2_256`).
    public let hashAlgorithm: String
    /// The log's public key, DER SubjectPublicKeyInfo.
    public let publicKeyDER: [UInt8]
    /// The `keyDetails` enum name, e.g. `PKIX_ECDSA_P256_SHA_256` or `PKIX_ED25519` (empty when absent).
    public let keyDetails: String
    /// When the key may be trusted.
    public let validFor: ValidityPeriod
    /// The log id (`logId.keyId`): SHA-256 of the SPKI for ECDSA logs, the C2SP key id for Rekor v2 logs.
    public let logID: [UInt8]
    /// The optional `checkpointKeyId.keyId` (trusted root v0.2).
    public let checkpointKeyID: [UInt8]?

    /// The host of `baseURL` (`rekor.sigstore.dev`), the checkpoint origin of a Rekor v2 log.
    public var host: String { TransparencyLogKey.host(of: baseURL) }
}

/// A certificate authority or timestamping authority from a trusted root.
public struct CertificateAuthorityInstance: Sendable, Hashable {
    /// `subject.organization`.
    public let organization: String
    /// `subject.commonName`.
    public let commonName: String
    /// `uri`.
    public let uri: String
    /// The DER certificates of `certChain`, in file order: for a CA the last is the trust anchor and the others are
    /// intermediates; for a TSA the first is the TSA leaf, the last the root.
    public let certificatesDER: [[UInt8]]
    /// When the authority may be trusted.
    public let validFor: ValidityPeriod
}

/// A parsed Sigstore `trusted_root.json` (`dev.sigstore.trustroot.v1.TrustedRoot`).
///
/// Accepts media types `application/vnd.dev.sigstore.trustedroot+json;version=0.1`,
/// `application/vnd.dev.sigstore.trustedroot.v0.1+json` and `…trustedroot.v0.2+json`. Every log needs a public key,
/// a log id and `validFor.start`; every authority needs a non-empty certificate chain and `validFor.start`.
public struct TrustedRoot: Sendable {
    /// The accepted media types.
    public static let acceptedMediaTypes: Set<String> = [
        "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "application/vnd.dev.sigstore.trustedroot.v0.1+json",
        "application/vnd.dev.sigstore.trustedroot.v0.2+json",
    ]
    /// Largest trusted root accepted (bytes).
    public static let maximumSize = 4 << 20

    /// The file's `mediaType`.
    public let mediaType: String
    /// Rekor instances (`tlogs`).
    public let transparencyLogs: [TransparencyLogInstance]
    /// Fulcio (or other) certificate authorities.
    public let certificateAuthorities: [CertificateAuthorityInstance]
    /// Certificate Transparency logs (`ctlogs`).
    public let ctLogs: [TransparencyLogInstance]
    /// RFC 3161 timestamping authorities.
    public let timestampAuthorities: [CertificateAuthorityInstance]

    /// Parses a trusted root from its JSON bytes; throws `trusted_root_invalid` naming the missing or bad field.
    public init(json: Data) throws {
        guard json.count <= TrustedRoot.maximumSize else {
            throw SignatureVerificationError(.trustedRootInvalid, check: .trustedRoot,
                                             "trusted root is \(json.count) bytes, more than the \(TrustedRoot.maximumSize) accepted")
        }
        let wire: WireTrustedRoot
        do {
            wire = try WireTrustedRoot(try JSONFields(parsing: Array(json)))
        } catch let error as JSONSyntaxError {
            throw SignatureVerificationError(.trustedRootInvalid, check: .trustedRoot, "trusted root is not valid JSON: \(error)")
        } catch {
            throw SignatureVerificationError(.trustedRootInvalid, check: .trustedRoot,
                                             "trusted root is not of the expected shape: \(error)")
        }
        guard let mediaType = wire.mediaType else {
            throw SignatureVerificationError(.trustedRootInvalid, check: .trustedRoot, "trusted root has no mediaType")
        }
        guard TrustedRoot.acceptedMediaTypes.contains(mediaType) else {
            throw SignatureVerificationError(.trustedRootInvalid, check: .trustedRoot,
                                             "unsupported trusted root mediaType \"\(mediaType)\"; expected application/vnd.dev.sigstore.trustedroot+json;version=0.1")
        }
        self.mediaType = mediaType
        self.transparencyLogs = try (wire.tlogs ?? []).enumerated().map { try $1.validated(field: "tlogs[\($0)]") }
        self.ctLogs = try (wire.ctlogs ?? []).enumerated().map { try $1.validated(field: "ctlogs[\($0)]") }
        self.certificateAuthorities = try (wire.certificateAuthorities ?? []).enumerated().map {
            try $1.validated(field: "certificateAuthorities[\($0)]")
        }
        self.timestampAuthorities = try (wire.timestampAuthorities ?? []).enumerated().map {
            try $1.validated(field: "timestampAuthorities[\($0)]")
        }
    }

    /// Reads and parses a trusted root file.
    public init(contentsOfFile path: String) throws {
        let data: Data
        do {
            data = try readFileBounded(path, limit: TrustedRoot.maximumSize)
        } catch let error as SignatureVerificationError {
            throw SignatureVerificationError(.trustedRootInvalid, check: .trustedRoot, error.message)
        }
        try self.init(json: data)
    }

    /// The Sigstore public-good production trusted root shipped in `keys/` and embedded in the binary.
    public static func production() throws -> TrustedRoot {
        try TrustedRoot(json: Data(EmbeddedTrustedRoots.production))
    }

    /// The Sigstore public-good staging trusted root shipped in `keys/` and embedded in the binary.
    public static func staging() throws -> TrustedRoot {
        try TrustedRoot(json: Data(EmbeddedTrustedRoots.staging))
    }
}

/// Reads at most `limit` bytes of a file; throws `input_unreadable` when missing or larger.
func readFileBounded(_ path: String, limit: Int) throws -> Data {
    guard let handle = FileHandle(forReadingAtPath: path) else {
        throw SignatureVerificationError(.inputUnreadable, check: .inputRead, "cannot open \(path): no such readable file")
    }
    defer { try? handle.close() }
    let data: Data
    do {
        data = try handle.read(upToCount: limit + 1) ?? Data()
    } catch {
        throw SignatureVerificationError(.inputUnreadable, check: .inputRead, "cannot read \(path): \(error)")
    }
    guard data.count <= limit else {
        throw SignatureVerificationError(.inputUnreadable, check: .inputRead, "\(path) is larger than the \(limit) bytes accepted")
    }
    return data
}

// MARK: - Wire format (protojson)

/// The trusted root's members as protojson gives them (types checked, absent and `null` members nil), before the
/// format's rules are applied (`validated`). Read by StrictJSON: a repeated member name is refused.
private struct WireTrustedRoot {
    var mediaType: String?
    var tlogs: [WireLog]?
    var certificateAuthorities: [WireAuthority]?
    var ctlogs: [WireLog]?
    var timestampAuthorities: [WireAuthority]?

    init(_ fields: JSONFields) throws {
        mediaType = try fields.string("mediaType")
        tlogs = try fields.objects("tlogs")?.map(WireLog.init)
        certificateAuthorities = try fields.objects("certificateAuthorities")?.map(WireAuthority.init)
        ctlogs = try fields.objects("ctlogs")?.map(WireLog.init)
        timestampAuthorities = try fields.objects("timestampAuthorities")?.map(WireAuthority.init)
    }
}

private struct WireTimeRange {
    var start: String?
    var end: String?

    init(_ fields: JSONFields) throws {
        start = try fields.string("start")
        end = try fields.string("end")
    }

    func validated(field: String) throws -> ValidityPeriod {
        guard let startText = start else {
            throw SignatureVerificationError(.trustedRootInvalid, check: .trustedRoot,
                                             "\(field).validFor.start is missing; every trusted key and authority needs a start of validity")
        }
        guard let startDate = parseRFC3339(startText) else {
            throw SignatureVerificationError(.trustedRootInvalid, check: .trustedRoot,
                                             "\(field).validFor.start \"\(startText)\" is not an RFC 3339 time")
        }
        var endDate: Date? = nil
        if let end {
            guard let parsed = parseRFC3339(end) else {
                throw SignatureVerificationError(.trustedRootInvalid, check: .trustedRoot,
                                                 "\(field).validFor.end \"\(end)\" is not an RFC 3339 time")
            }
            guard parsed >= startDate else {
                throw SignatureVerificationError(.trustedRootInvalid, check: .trustedRoot,
                                                 "\(field).validFor ends before it starts")
            }
            endDate = parsed
        }
        return ValidityPeriod(start: startDate, end: endDate)
    }
}


/// `trusted_root_invalid` naming the JSON field at fault.
private func trustedRootInvalid(_ field: String, _ message: String) -> SignatureVerificationError {
    SignatureVerificationError(.trustedRootInvalid, check: .trustedRoot, "\(field): \(message)")
}

private struct WireLog {
    struct PublicKey {
        var rawBytes: String?
        var keyDetails: String?
        var validFor: WireTimeRange?
    }
    var baseUrl: String?
    var hashAlgorithm: String?
    var publicKey: PublicKey?
    var logId: String??
    var checkpointKeyId: String??

    init(_ fields: JSONFields) throws {
        baseUrl = try fields.string("baseUrl")
        hashAlgorithm = try fields.string("hashAlgorithm")
        publicKey = try fields.object("publicKey").map { key in
            PublicKey(rawBytes: try key.string("rawBytes"), keyDetails: try key.string("keyDetails"),
                      validFor: try key.object("validFor").map(WireTimeRange.init))
        }
        logId = try fields.object("logId").map { try $0.string("keyId") }
        checkpointKeyId = try fields.object("checkpointKeyId").map { try $0.string("keyId") }
    }

    func validated(field: String) throws -> TransparencyLogInstance {
        func fail(_ message: String) -> SignatureVerificationError { trustedRootInvalid(field, message) }
        guard let publicKey, let raw = publicKey.rawBytes else { throw fail("publicKey.rawBytes is missing") }
        guard let der = protoBase64Decode(raw), !der.isEmpty else { throw fail("publicKey.rawBytes is not base64") }
        guard let validFor = publicKey.validFor else {
            throw SignatureVerificationError(.trustedRootInvalid, check: .trustedRoot,
                                             "\(field).publicKey.validFor is missing; every trusted key needs a start of validity")
        }
        let period = try validFor.validated(field: "\(field).publicKey")
        guard let logIdText = logId ?? nil else { throw fail("logId.keyId is missing") }
        guard let logID = protoBase64Decode(logIdText), !logID.isEmpty else { throw fail("logId.keyId is not base64") }
        var checkpointKeyID: [UInt8]? = nil
        if let text = checkpointKeyId ?? nil {
            guard let decoded = protoBase64Decode(text) else { throw fail("checkpointKeyId.keyId is not base64") }
            checkpointKeyID = decoded
        }
        let algorithm = hashAlgorithm ?? "SHA2_256"
        guard algorithm == "SHA2_256" else { throw fail("hashAlgorithm \(algorithm) is not supported (SHA2_256 only)") }
        return TransparencyLogInstance(baseURL: baseUrl ?? "", hashAlgorithm: algorithm, publicKeyDER: der,
                                       keyDetails: publicKey.keyDetails ?? "", validFor: period, logID: logID,
                                       checkpointKeyID: checkpointKeyID)
    }
}

private struct WireAuthority {
    var organization: String?
    var commonName: String?
    var uri: String?
    var certificates: [String?]?
    var validFor: WireTimeRange?

    init(_ fields: JSONFields) throws {
        let subject = try fields.object("subject")
        organization = try subject?.string("organization")
        commonName = try subject?.string("commonName")
        uri = try fields.string("uri")
        certificates = try fields.object("certChain")?.objects("certificates")?.map { try $0.string("rawBytes") }
        validFor = try fields.object("validFor").map(WireTimeRange.init)
    }

    func validated(field: String) throws -> CertificateAuthorityInstance {
        func fail(_ message: String) -> SignatureVerificationError { trustedRootInvalid(field, message) }
        guard let certificates, !certificates.isEmpty else {
            throw fail("certChain.certificates is missing or empty")
        }
        let ders = try certificates.enumerated().map { index, cert -> [UInt8] in
            guard let raw = cert, let der = protoBase64Decode(raw), !der.isEmpty else {
                throw fail("certChain.certificates[\(index)].rawBytes is missing or not base64")
            }
            return der
        }
        guard let validFor else {
            throw SignatureVerificationError(.trustedRootInvalid, check: .trustedRoot,
                                             "\(field).validFor is missing; every trusted authority needs a start of validity")
        }
        return CertificateAuthorityInstance(organization: organization ?? "", commonName: commonName ?? "",
                                            uri: uri ?? "", certificatesDER: ders,
                                            validFor: try validFor.validated(field: field))
    }
}
