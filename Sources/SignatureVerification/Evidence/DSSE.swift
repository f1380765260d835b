import CryptoPrimitives
import Foundation
import StrictJSON

/// A DSSE envelope (`io.intoto.Envelope`): payload type, the exact payload bytes, signatures.
public struct DSSEEnvelope: Sendable, Equatable {
    /// One envelope signature.
    public struct Signature: Sendable, Equatable {
        /// The optional, unauthenticated key id.
        public let keyID: String
        /// The raw signature bytes.
        public let signature: [UInt8]

        /// Creates a signature.
        public init(keyID: String, signature: [UInt8]) {
            self.keyID = keyID
            self.signature = signature
        }
    }

    /// The in-toto payload type.
    public static let inTotoPayloadType = "application/vnd.in-toto+json"

    /// `payloadType`.
    public let payloadType: String
    /// The decoded payload bytes (signed through PAE).
    public let payload: [UInt8]
    /// The signatures (a Sigstore bundle must carry exactly one).
    public let signatures: [Signature]

    /// Creates an envelope.
    public init(payloadType: String, payload: [UInt8], signatures: [Signature]) {
        self.payloadType = payloadType
        self.payload = payload
        self.signatures = signatures
    }

    /// The DSSE v1 pre-authentication encoding of this envelope's type and payload.
    public var preAuthenticationEncoding: [UInt8] { DSSEEnvelope.pae(payloadType: payloadType, payload: payload) }

    /// `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths as ASCII decimal byte counts.
    public static func pae(payloadType: String, payload: [UInt8]) -> [UInt8] {
        let typeBytes = Array(payloadType.utf8)
        var out = [UInt8]()
        out.reserveCapacity(payload.count + typeBytes.count + 32)
        out.append(contentsOf: Array("DSSEv1 \(typeBytes.count) ".utf8))
        out.append(contentsOf: typeBytes)
        out.append(contentsOf: Array(" \(payload.count) ".utf8))
        out.append(contentsOf: payload)
        return out
    }
}

/// An in-toto statement (v0.1 or v1) as far as verification needs it: subjects and predicate type.
public struct InTotoStatement: Sendable, Equatable {
    /// One subject: a name and its digests by algorithm name (`sha256`, `sha512`, …), lowercase hex.
    public struct Subject: Sendable, Equatable {
        /// The subject name (may be empty).
        public let name: String
        /// Digests keyed by algorithm name, values lowercase hex.
        public let digests: [String: String]
    }

    /// Accepted `_type` values.
    public static let acceptedTypes: Set<String> = ["https://in-toto.io/Statement/v0.1", "https://in-toto.io/Statement/v1"]
    /// Most subjects accepted.
    public static let maximumSubjects = 1024
    /// Most digests per subject accepted.
    public static let maximumDigestsPerSubject = 32

    /// `_type`.
    public let type: String
    /// `subject`.
    public let subjects: [Subject]
    /// `predicateType`.
    public let predicateType: String

    /// Parses a statement from the exact payload bytes; throws `bundle_invalid` when it is not an in-toto statement.
    public init(json: [UInt8]) throws {
        let wire: WireStatement
        do {
            wire = try WireStatement(try JSONFields(parsing: json))
        } catch {
            throw SignatureVerificationError(.bundleInvalid, check: .payload, "DSSE payload is not an in-toto statement: \(error)")
        }
        guard let type = wire._type, InTotoStatement.acceptedTypes.contains(type) else {
            throw SignatureVerificationError(.bundleInvalid, check: .payload,
                                             "in-toto statement _type \(wire._type ?? "(missing)") is not Statement v0.1 or v1")
        }
        guard let subjects = wire.subject, !subjects.isEmpty else {
            throw SignatureVerificationError(.bundleInvalid, check: .payload, "in-toto statement has no subject")
        }
        guard subjects.count <= InTotoStatement.maximumSubjects else {
            throw SignatureVerificationError(.bundleInvalid, check: .payload,
                                             "in-toto statement has \(subjects.count) subjects, more than \(InTotoStatement.maximumSubjects)")
        }
        self.type = type
        self.predicateType = wire.predicateType ?? ""
        self.subjects = try subjects.map { subject in
            let digests = subject.digest ?? [:]
            guard digests.count <= InTotoStatement.maximumDigestsPerSubject else {
                throw SignatureVerificationError(.bundleInvalid, check: .payload,
                                                 "an in-toto subject has \(digests.count) digests, more than \(InTotoStatement.maximumDigestsPerSubject)")
            }
            return Subject(name: subject.name ?? "", digests: digests)
        }
    }

    /// Whether some subject carries `digest` (bytes) under the algorithm's in-toto name (`sha256`, `sha384`, `sha512`).
    public func hasSubject(algorithm: HashAlgorithm, digest: [UInt8]) -> Bool {
        let hex = (digest).hexString
        let name = algorithm.rawValue
        return subjects.contains { $0.digests[name]?.lowercased() == hex }
    }

    /// The digest algorithms named by the subjects that this verifier can compute.
    public var subjectAlgorithms: Set<HashAlgorithm> {
        var set = Set<HashAlgorithm>()
        for subject in subjects {
            for name in subject.digests.keys {
                if let algorithm = HashAlgorithm(rawValue: name) { set.insert(algorithm) }
            }
        }
        return set
    }

    /// The statement's members (types checked; absent and `null` members nil), read by StrictJSON: a repeated member
    /// name in the signed payload is refused, so no reader can see two statements in it.
    private struct WireStatement {
        struct Subject {
            var name: String?
            var digest: [String: String]?
        }
        var _type: String?
        var subject: [Subject]?
        var predicateType: String?

        init(_ fields: JSONFields) throws {
            _type = try fields.string("_type")
            subject = try fields.objects("subject")?.map { Subject(name: try $0.string("name"), digest: try $0.stringMap("digest")) }
            predicateType = try fields.string("predicateType")
        }
    }
}
