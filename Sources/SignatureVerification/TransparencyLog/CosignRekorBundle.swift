import CryptoPrimitives
// cosign's legacy `dev.sigstore.cosign/bundle` annotation.
import Foundation
import StrictJSON

/// cosign's legacy Rekor bundle, stored in the `dev.sigstore.cosign/bundle` layer annotation of `.sig` / `.att`
/// images: `{"SignedEntryTimestamp": base64, "Payload": {"body": base64, "integratedTime": n, "logIndex": n,
/// "logID": hex}}`. It carries a SET only (no inclusion proof).
public struct CosignRekorBundle: Sendable, Hashable {
    /// The SET: the log's signature over the canonical payload.
    public let signedEntryTimestamp: [UInt8]
    /// The logged entry body (decoded `Payload.body`).
    public let body: [UInt8]
    /// Integrated time, Unix seconds.
    public let integratedTime: Int64
    /// Global log index.
    public let logIndex: Int64
    /// The log id (decoded from hex).
    public let logID: [UInt8]

    /// Creates a bundle from its parts.
    public init(signedEntryTimestamp: [UInt8], body: [UInt8], integratedTime: Int64, logIndex: Int64, logID: [UInt8]) {
        self.signedEntryTimestamp = signedEntryTimestamp
        self.body = body
        self.integratedTime = integratedTime
        self.logIndex = logIndex
        self.logID = logID
    }

    /// Reads the annotation's object.
    init(fields: JSONFields) throws {
        guard let set = try TLogDecoding.bytes(fields, "SignedEntryTimestamp", code: .setInvalid, limit: 4096), !set.isEmpty else {
            throw TransparencyLogError(.setInvalid, "cosign bundle annotation has no SignedEntryTimestamp")
        }
        guard let payload = try TLogDecoding.field(.tlogEntryInvalid, { try fields.object("Payload") }) else {
            throw TransparencyLogError(.tlogEntryInvalid, "cosign bundle annotation has no Payload")
        }
        guard let body = try TLogDecoding.bytes(payload, "body", code: .entryBodyInvalid, limit: TransparencyLogEntry.maxBodySize),
              !body.isEmpty else {
            throw TransparencyLogError(.entryBodyInvalid, "cosign bundle annotation has no Payload.body")
        }
        guard let integratedTime = try TLogDecoding.field(.tlogEntryInvalid, { try payload.int64("integratedTime") }),
              let logIndex = try TLogDecoding.field(.tlogEntryInvalid, { try payload.int64("logIndex") }) else {
            throw TransparencyLogError(.tlogEntryInvalid, "cosign bundle annotation lacks Payload.integratedTime or Payload.logIndex")
        }
        let logIDText = try TLogDecoding.field(.tlogEntryInvalid) { try payload.string("logID") } ?? ""
        guard let logID = bytesFromHex(logIDText), logID.count == 32 else {
            throw TransparencyLogError(.tlogEntryInvalid, "cosign bundle annotation Payload.logID is not 64 hex digits")
        }
        self.init(signedEntryTimestamp: set, body: body, integratedTime: integratedTime, logIndex: logIndex, logID: logID)
    }

    /// Parses the annotation's JSON text (StrictJSON: a repeated member name is refused).
    /// - Throws: `TransparencyLogError` (`tlog_entry_invalid` for JSON that is not a cosign bundle).
    public static func parse(_ json: [UInt8]) throws -> CosignRekorBundle {
        let fields: JSONFields
        do {
            fields = try JSONFields(parsing: json)
        } catch {
            throw TransparencyLogError(.tlogEntryInvalid,
                "the dev.sigstore.cosign/bundle annotation is not a cosign Rekor bundle (\(error)); re-sign or re-attach the signature")
        }
        return try CosignRekorBundle(fields: fields)
    }

    /// The equivalent bundle tlog entry (kind and version taken from the body).
    public func asEntry() throws -> TransparencyLogEntry {
        let parsed: RekorEntryBody
        do { parsed = try RekorEntryBody.parseBody(body) } catch let failure as TransparencyLogError {
            throw TransparencyLogError(failure.code, "tlog entry \(logIndex): \(failure.message)")
        }
        return TransparencyLogEntry(logIndex: logIndex, logID: logID,
                                    kindVersion: .init(kind: parsed.kind, version: parsed.apiVersion),
                                    integratedTime: integratedTime, inclusionPromise: signedEntryTimestamp,
                                    inclusionProof: nil, canonicalizedBody: body)
    }

    /// Verifies the SET with the log chosen by `logID` (key valid at the integrated time), exactly as for a bundle
    /// entry's inclusion promise, and returns the parsed body for the caller to compare with the signature layer.
    /// - Throws: `TransparencyLogError`.
    public func verify(logs: [TransparencyLogKey]) throws -> VerifiedLogEntry {
        try TransparencyLogVerifier.verify(try asEntry(), logs: logs, requireInclusionProof: false)
    }
}
