import CryptoPrimitives
import Foundation
import GateVerdict

/// The one mapping of the transparency-log helper's errors to this module's codes: every code that can reach a
/// verdict is a documented `SignatureVerificationError.Code` (no `log_key_unknown` or `entry_body_invalid` leaks).
/// A log key outside its validity fails the SET that it signed, or, for an entry proven by its inclusion proof alone
/// (`proofOnly`), the checkpoint.
func transparencyLogFailure(_ error: TransparencyLogError, label: String, proofOnly: Bool = false) -> SignatureVerificationError {
    let code: SignatureVerificationError.Code
    let check: CheckName
    switch error.code {
    case .tlogEntryMissing, .logKeyUnknown: (code, check) = (.tlogEntryMissing, .transparencyLog)
    case .tlogEntryInvalid, .entryBodyInvalid: (code, check) = (.tlogEntryInvalid, .transparencyLog)
    case .logKeyExpired where proofOnly: (code, check) = (.checkpointInvalid, .transparencyLogCheckpoint)
    case .setInvalid, .logKeyExpired: (code, check) = (.setInvalid, .transparencyLogSET)
    case .inclusionProofInvalid: (code, check) = (.inclusionProofInvalid, .transparencyLogInclusionProof)
    case .checkpointInvalid: (code, check) = (.checkpointInvalid, .transparencyLogCheckpoint)
    case .entryBodyMismatch: (code, check) = (.tlogEntryMismatch, .transparencyLogBody)
    }
    return SignatureVerificationError(code, check: check, "\(label): \(error.message)")
}

/// Builds the tlog helper's key type for a trusted-root log instance; `checkpointName` is the name the log signs
/// its checkpoints as, when it is not the host of its URL (`VerificationPolicy.Trust.checkpointNames`).
func makeTransparencyLogKey(_ instance: TransparencyLogInstance, checkpointName: String? = nil) throws -> TransparencyLogKey {
    TransparencyLogKey(logID: instance.logID, key: try parseTrustedKey(instance), baseURL: instance.baseURL,
                       validFrom: instance.validFor.start, validUntil: instance.validFor.end,
                       checkpointName: checkpointName)
}

/// Parses a trusted-root log key: DER SPKI, or a PKCS#1 RSAPublicKey when `keyDetails` says `PKCS1_…`
/// (the staging CT log `ctfe.sigstage.dev/test` is published that way).
func parseTrustedKey(_ instance: TransparencyLogInstance) throws -> PublicKey {
    if instance.keyDetails.hasPrefix("PKCS1_") { return try PublicKey(pkcs1RSA: instance.publicKeyDER) }
    return try PublicKey(derSPKI: instance.publicKeyDER)
}
