// Checkpoint signature and origin verification.
import CryptoPrimitives

extension Checkpoint {
    /// Parses a checkpoint envelope and verifies it is signed by `key`'s log.
    ///
    /// Rules: the origin must equal `expectedOrigin` when given; otherwise it must be the log's own, as Rekor derives
    /// it from the log's name (`key.checkpointSignerName`: the host of its URL unless configured): Rekor v1's
    /// `<name> - <tree id>` (a decimal 64-bit tree id) or Rekor v2's (C2SP) `<name>`. A checkpoint another log signed
    /// with the same key (another instance, a staging copy) is refused. The log's signature lines are those whose
    /// name is the log's signer name (v2: the origin; v1: the `<name>` part) and whose key hint is the key's; at
    /// least one is required, and every one of them must verify. Lines from other signers (witness cosignatures) are
    /// ignored.
    /// Binding the checkpoint to an inclusion proof (tree size and root hash) is the caller's job
    /// (`TransparencyLogVerifier.verify` does it).
    /// - Throws: `TransparencyLogError` `checkpoint_invalid` naming the failed rule.
    public static func verify(envelope: String, key: TransparencyLogKey, expectedOrigin: String?) throws -> Checkpoint {
        let checkpoint = try parse(envelope: envelope)
        let signerName: String
        if let expectedOrigin {
            guard checkpoint.origin == expectedOrigin else {
                throw TransparencyLogError(.checkpointInvalid,
                    "checkpoint origin \"\(checkpoint.origin)\" is not the expected \"\(expectedOrigin)\"; the checkpoint is from another log")
            }
            signerName = rekorV1Name(checkpoint.origin).map(String.init) ?? checkpoint.origin
        } else {
            let v1Name = rekorV1Name(checkpoint.origin)
            let name = v1Name.map(String.init) ?? checkpoint.origin
            guard name == key.checkpointSignerName else {
                let form = v1Name == nil ? "\"\(key.checkpointSignerName)\"" : "\"\(key.checkpointSignerName) - <tree id>\""
                throw TransparencyLogError(.checkpointInvalid,
                    "checkpoint origin \"\(checkpoint.origin)\" is not the log's own (\(form), as Rekor names the checkpoints of \(key.baseURL)); the checkpoint is from another log signed with the same key, or the log signs as another name — if so, configure that name for \(key.baseURL) (--tlog-checkpoint-name \(key.baseURL)=NAME)")
            }
            signerName = name
        }
        let hint = key.checkpointKeyHint(name: signerName)
        let candidates = checkpoint.signatures.filter { $0.name == signerName && $0.keyHint == hint }
        guard !candidates.isEmpty else {
            let present = checkpoint.signatures.map { "\($0.name) (\($0.keyHint.hexString))" }.joined(separator: ", ")
            throw TransparencyLogError(.checkpointInvalid,
                "checkpoint has no signature by \(signerName) with key hint \(hint.hexString) (lines: \(present)); it was not signed by the trusted log key \(key.displayName)")
        }
        for candidate in candidates where !key.isValidNoteSignature(candidate.signature, text: checkpoint.signedText) {
            throw TransparencyLogError(.checkpointInvalid,
                "checkpoint signature by \(signerName) (key hint \(hint.hexString)) does not verify under the log key \(key.displayName); the checkpoint was altered or forged")
        }
        return checkpoint
    }
}
