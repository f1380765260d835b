// Rekor entry bodies (canonicalizedBody): hashedrekord, dsse, intoto (Rekor v1) and hashedrekord/dsse 0.0.2 (v2).
import CryptoPrimitives
import StrictJSON

/// The material an entry names as the verifier of its signature, as DER.
public enum VerifierMaterial: Sendable, Hashable {
    /// An X.509 certificate (DER).
    case certificate([UInt8])
    /// A public key (DER SubjectPublicKeyInfo).
    case publicKey([UInt8])
}

/// A digest with its algorithm, as recorded in an entry body.
public struct EntryDigest: Sendable, Hashable {
    /// The hash algorithm.
    public let algorithm: HashAlgorithm
    /// The digest bytes (length matches the algorithm).
    public let value: [UInt8]

    /// Creates a digest.
    public init(algorithm: HashAlgorithm, value: [UInt8]) {
        self.algorithm = algorithm
        self.value = value
    }
}

/// One signature recorded in an entry body, with the certificate or key that verifies it.
public struct EntrySignature: Sendable, Hashable {
    /// The raw signature bytes (for intoto 0.0.2, already unwrapped from its double base64).
    public let signature: [UInt8]
    /// The certificate or key named by the entry.
    public let verifier: VerifierMaterial
    /// Rekor v2 only: the declared key details (`PKIX_ECDSA_P256_SHA_256`, …).
    public let keyDetails: String?

    /// Creates a signature record.
    public init(signature: [UInt8], verifier: VerifierMaterial, keyDetails: String? = nil) {
        self.signature = signature
        self.verifier = verifier
        self.keyDetails = keyDetails
    }
}

/// A parsed Rekor entry body: what the log says was signed. The bundle verifier compares it with the bundle's
/// signature, certificate or key, and artifact digest (a mismatch is `entry_body_mismatch`).
public enum RekorEntryBody: Sendable, Hashable {
    /// `hashedrekord` 0.0.1: a signature over an artifact digest.
    case hashedRekord(signature: [UInt8], verifier: VerifierMaterial, digestAlgorithm: HashAlgorithm, digest: [UInt8])
    /// `hashedrekord` 0.0.2 (Rekor v2). For DSSE bundles the digest is the hash of the DSSE PAE and the signature
    /// is the envelope's signature ("hashedrekord over DSSE").
    case hashedRekordV2(signature: [UInt8], verifier: VerifierMaterial, keyDetails: String,
                        digestAlgorithm: HashAlgorithm, digest: [UInt8])
    /// `dsse` 0.0.1: hashes of the DSSE payload and envelope, and the envelope's signatures.
    case dsse(payloadHash: EntryDigest, envelopeHash: EntryDigest?, signatures: [EntrySignature])
    /// `dsse` 0.0.2 (Rekor v2): hash of the DSSE payload and the envelope's signatures.
    case dsseV2(payloadHash: EntryDigest, signatures: [EntrySignature])
    /// `intoto` 0.0.2: the envelope's payload type and signatures, the envelope hash and the payload hash.
    case intoto(payloadType: String, payloadHash: EntryDigest?, envelopeHash: EntryDigest, signatures: [EntrySignature])

    /// The entry kind (`hashedrekord`, `dsse`, `intoto`).
    public var kind: String {
        switch self {
        case .hashedRekord, .hashedRekordV2: "hashedrekord"
        case .dsse, .dsseV2: "dsse"
        case .intoto: "intoto"
        }
    }

    /// The entry kind's API version (`0.0.1`, `0.0.2`).
    public var apiVersion: String {
        switch self {
        case .hashedRekord, .dsse: "0.0.1"
        case .hashedRekordV2, .dsseV2, .intoto: "0.0.2"
        }
    }

    /// True for Rekor v2 (rekor-tiles) entry kinds.
    public var isRekorV2: Bool {
        switch self {
        case .hashedRekordV2, .dsseV2: true
        default: false
        }
    }

    /// All signatures the entry records.
    public var signatures: [EntrySignature] {
        switch self {
        case .hashedRekord(let signature, let verifier, _, _): [EntrySignature(signature: signature, verifier: verifier)]
        case .hashedRekordV2(let signature, let verifier, let keyDetails, _, _):
            [EntrySignature(signature: signature, verifier: verifier, keyDetails: keyDetails)]
        case .dsse(_, _, let signatures), .dsseV2(_, let signatures), .intoto(_, _, _, let signatures): signatures
        }
    }

    /// Parses an entry body and checks it is of the declared `kind` and `version` (the bundle's `kindVersion`).
    /// - Throws: `TransparencyLogError` `entry_body_mismatch` if the body is of another kind/version,
    ///   `entry_body_invalid` if it is malformed or of an unsupported kind.
    public static func parseBody(_ bytes: [UInt8], kind: String, version: String) throws -> RekorEntryBody {
        let body = try parseBody(bytes)
        guard body.kind == kind, body.apiVersion == version else {
            throw TransparencyLogError(.entryBodyMismatch,
                "the entry body is \(body.kind) \(body.apiVersion) but kindVersion says \(kind) \(version); the bundle was altered")
        }
        return body
    }

    /// Parses an entry body, taking its kind and version from the body itself. Supported: hashedrekord 0.0.1 and
    /// 0.0.2, dsse 0.0.1 and 0.0.2, intoto 0.0.2 (what sigstore-go accepts, plus dsse 0.0.2). Rekor v2 bodies must
    /// be exactly in RFC 8785 canonical form with no unknown fields, since their leaf hash is over that form.
    /// - Throws: `TransparencyLogError` `entry_body_invalid`.
    public static func parseBody(_ bytes: [UInt8]) throws -> RekorEntryBody {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
        } catch {
            throw TransparencyLogError(.entryBodyInvalid, "the entry body is not valid JSON (\(error))")
        }
        let reader = BodyReader(json: json)
        let kind = try reader.string(json, "kind")
        let apiVersion = try reader.string(json, "apiVersion")
        let spec = try reader.object(json, "spec")
        switch (kind, apiVersion) {
        case ("hashedrekord", "0.0.1"): return try reader.hashedRekordV1(spec)
        case ("dsse", "0.0.1"): return try reader.dsseV1(spec)
        case ("intoto", "0.0.2"): return try reader.intotoV2(spec)
        case ("hashedrekord", "0.0.2"), ("dsse", "0.0.2"):
            try reader.requireOnly(json, ["apiVersion", "kind", "spec"], "the body")
            let canonical: [UInt8]
            do { canonical = try json.rfc8785Bytes() } catch {
                throw TransparencyLogError(.entryBodyInvalid, "the \(kind) 0.0.2 body cannot be canonicalized (\(error))")
            }
            guard canonical == bytes else {
                throw TransparencyLogError(.entryBodyInvalid,
                    "the \(kind) 0.0.2 body is not in RFC 8785 canonical form, so it is not what a Rekor v2 log hashes")
            }
            return kind == "dsse" ? try reader.dsseV2(spec) : try reader.hashedRekordV2(spec)
        default:
            throw TransparencyLogError(.entryBodyInvalid,
                "unsupported entry kind \(kind) \(apiVersion); supported: hashedrekord 0.0.1/0.0.2, dsse 0.0.1/0.0.2, intoto 0.0.2")
        }
    }
}

/// Field access with errors that name the JSON path (internal).
private struct BodyReader {
    let json: JSONValue

    func fail(_ message: String) -> TransparencyLogError {
        TransparencyLogError(.entryBodyInvalid, "entry body: \(message)")
    }

    /// Member `key` of `object` (nil when `object` is not an object or has no such member).
    func member(_ object: JSONValue, _ key: String) -> JSONValue? { object.objectValue?[key] }

    func value(_ object: JSONValue, _ key: String, _ path: String = "") throws -> JSONValue {
        guard let value = member(object, key), value != .null else { throw fail("\(path)\(key) is missing") }
        return value
    }

    func string(_ object: JSONValue, _ key: String, _ path: String = "") throws -> String {
        guard let value = try value(object, key, path).stringValue else { throw fail("\(path)\(key) is not a string") }
        return value
    }

    func object(_ object: JSONValue, _ key: String, _ path: String = "") throws -> JSONValue {
        let value = try value(object, key, path)
        guard value.objectValue != nil else { throw fail("\(path)\(key) is not an object") }
        return value
    }

    func array(_ object: JSONValue, _ key: String, _ path: String = "") throws -> [JSONValue] {
        guard let elements = try value(object, key, path).arrayValue else { throw fail("\(path)\(key) is not an array") }
        return elements
    }

    func base64(_ object: JSONValue, _ key: String, _ path: String = "") throws -> [UInt8] {
        guard let bytes = TLogCoding.base64Decode(try string(object, key, path)) else {
            throw fail("\(path)\(key) is not valid base64")
        }
        return bytes
    }

    func requireOnly(_ object: JSONValue, _ keys: Set<String>, _ path: String) throws {
        for name in (object.objectValue?.keys).map({ $0.sorted() }) ?? [] where !keys.contains(name) {
            throw fail("\(path) has an unknown field \"\(name)\"")
        }
    }

    /// A v1 `{algorithm: "sha256", value: "<hex>"}` hash.
    func hashV1(_ object: JSONValue, _ path: String) throws -> EntryDigest {
        let name = try string(object, "algorithm", path)
        guard let algorithm = HashAlgorithm(rawValue: name) else { throw fail("\(path)algorithm \"\(name)\" is not sha256/sha384/sha512") }
        guard let value = bytesFromHex(try string(object, "value", path)), value.count == algorithm.byteCount else {
            throw fail("\(path)value is not a \(algorithm.byteCount)-byte hex digest")
        }
        return EntryDigest(algorithm: algorithm, value: value)
    }

    /// A v2 `{algorithm: "SHA2_256", digest: "<base64>"}` hash output.
    func hashV2(_ object: JSONValue, _ path: String) throws -> EntryDigest {
        try requireOnly(object, ["algorithm", "digest"], path)
        let name = try string(object, "algorithm", path)
        let algorithm: HashAlgorithm
        switch name {
        case "SHA2_256": algorithm = .sha256
        case "SHA2_384": algorithm = .sha384
        case "SHA2_512": algorithm = .sha512
        default: throw fail("\(path)algorithm \"\(name)\" is not SHA2_256/SHA2_384/SHA2_512")
        }
        let digest = try base64(object, "digest", path)
        guard digest.count == algorithm.byteCount else { throw fail("\(path)digest is not \(algorithm.byteCount) bytes") }
        return EntryDigest(algorithm: algorithm, value: digest)
    }

    /// base64(PEM) → certificate or public key DER.
    func pemVerifier(_ encoded: [UInt8], _ path: String) throws -> VerifierMaterial {
        guard let (label, der) = TLogCoding.pemDecode(encoded) else { throw fail("\(path) is not a single PEM block") }
        switch label {
        case "CERTIFICATE": return .certificate(der)
        case "PUBLIC KEY": return .publicKey(der)
        default: throw fail("\(path) is a PEM \(label), expected CERTIFICATE or PUBLIC KEY")
        }
    }

    /// A v2 `Verifier` `{keyDetails, x509Certificate: {rawBytes} | publicKey: {rawBytes}}`.
    func verifierV2(_ object: JSONValue, _ path: String) throws -> (VerifierMaterial, String) {
        try requireOnly(object, ["keyDetails", "x509Certificate", "publicKey"], path)
        let keyDetails = try string(object, "keyDetails", path)
        let certificate = member(object, "x509Certificate")
        let publicKey = member(object, "publicKey")
        switch (certificate, publicKey) {
        case (.some(let certificate), nil):
            try requireOnly(certificate, ["rawBytes"], path + "x509Certificate")
            return (.certificate(try base64(certificate, "rawBytes", path + "x509Certificate.")), keyDetails)
        case (nil, .some(let key)):
            try requireOnly(key, ["rawBytes"], path + "publicKey")
            return (.publicKey(try base64(key, "rawBytes", path + "publicKey.")), keyDetails)
        default:
            throw fail("\(path) must hold exactly one of x509Certificate and publicKey")
        }
    }

    func hashedRekordV1(_ spec: JSONValue) throws -> RekorEntryBody {
        let data = try object(spec, "data", "spec.")
        let hash = try hashV1(try object(data, "hash", "spec.data."), "spec.data.hash.")
        let signature = try object(spec, "signature", "spec.")
        let content = try base64(signature, "content", "spec.signature.")
        let publicKey = try object(signature, "publicKey", "spec.signature.")
        let verifier = try pemVerifier(try base64(publicKey, "content", "spec.signature.publicKey."), "spec.signature.publicKey.content")
        guard !content.isEmpty else { throw fail("spec.signature.content is empty") }
        return .hashedRekord(signature: content, verifier: verifier, digestAlgorithm: hash.algorithm, digest: hash.value)
    }

    func dsseV1(_ spec: JSONValue) throws -> RekorEntryBody {
        let payloadHash = try hashV1(try object(spec, "payloadHash", "spec."), "spec.payloadHash.")
        let envelopeHash = try member(spec, "envelopeHash").map { try hashV1($0, "spec.envelopeHash.") }
        let signatures = try array(spec, "signatures", "spec.").enumerated().map { position, element in
            let path = "spec.signatures[\(position)]."
            let signature = try base64(element, "signature", path)
            let verifier = try pemVerifier(try base64(element, "verifier", path), path + "verifier")
            return EntrySignature(signature: signature, verifier: verifier)
        }
        guard !signatures.isEmpty else { throw fail("spec.signatures is empty") }
        return .dsse(payloadHash: payloadHash, envelopeHash: envelopeHash, signatures: signatures)
    }

    func intotoV2(_ spec: JSONValue) throws -> RekorEntryBody {
        let content = try object(spec, "content", "spec.")
        let envelope = try object(content, "envelope", "spec.content.")
        let payloadType = try string(envelope, "payloadType", "spec.content.envelope.")
        let envelopeHash = try hashV1(try object(content, "hash", "spec.content."), "spec.content.hash.")
        let payloadHash = try member(content, "payloadHash").map { try hashV1($0, "spec.content.payloadHash.") }
        let signatures = try array(envelope, "signatures", "spec.content.envelope.").enumerated().map { position, element in
            let path = "spec.content.envelope.signatures[\(position)]."
            // The signature is base64 of the envelope's (base64) signature string.
            let inner = try base64(element, "sig", path)
            guard let signature = TLogCoding.base64Decode(String(decoding: inner, as: UTF8.self)), !signature.isEmpty else {
                throw fail("\(path)sig is not base64 of a base64 signature")
            }
            let verifier = try pemVerifier(try base64(element, "publicKey", path), path + "publicKey")
            return EntrySignature(signature: signature, verifier: verifier)
        }
        guard !signatures.isEmpty else { throw fail("spec.content.envelope.signatures is empty") }
        return .intoto(payloadType: payloadType, payloadHash: payloadHash, envelopeHash: envelopeHash, signatures: signatures)
    }

    func hashedRekordV2(_ spec: JSONValue) throws -> RekorEntryBody {
        try requireOnly(spec, ["hashedRekordV002"], "spec")
        let inner = try object(spec, "hashedRekordV002", "spec.")
        let path = "spec.hashedRekordV002."
        try requireOnly(inner, ["data", "signature"], path)
        let data = try hashV2(try object(inner, "data", path), path + "data.")
        let signature = try object(inner, "signature", path)
        try requireOnly(signature, ["content", "verifier"], path + "signature")
        let content = try base64(signature, "content", path + "signature.")
        guard !content.isEmpty else { throw fail("\(path)signature.content is empty") }
        let (verifier, keyDetails) = try verifierV2(try object(signature, "verifier", path + "signature."),
                                                    path + "signature.verifier.")
        return .hashedRekordV2(signature: content, verifier: verifier, keyDetails: keyDetails,
                               digestAlgorithm: data.algorithm, digest: data.value)
    }

    func dsseV2(_ spec: JSONValue) throws -> RekorEntryBody {
        try requireOnly(spec, ["dsseV002"], "spec")
        let inner = try object(spec, "dsseV002", "spec.")
        let path = "spec.dsseV002."
        try requireOnly(inner, ["payloadHash", "signatures"], path)
        let payloadHash = try hashV2(try object(inner, "payloadHash", path), path + "payloadHash.")
        let signatures = try array(inner, "signatures", path).enumerated().map { position, element in
            let elementPath = "\(path)signatures[\(position)]."
            try requireOnly(element, ["content", "verifier"], elementPath)
            let content = try base64(element, "content", elementPath)
            guard !content.isEmpty else { throw fail("\(elementPath)content is empty") }
            let (verifier, keyDetails) = try verifierV2(try object(element, "verifier", elementPath), elementPath + "verifier.")
            return EntrySignature(signature: content, verifier: verifier, keyDetails: keyDetails)
        }
        guard !signatures.isEmpty else { throw fail("\(path)signatures is empty") }
        return .dsseV2(payloadHash: payloadHash, signatures: signatures)
    }
}
