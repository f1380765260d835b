import CryptoPrimitives
import Foundation
import SignatureVerification

/// The signature of an evidence package: a Sigstore bundle v0.3 (public-key verification material, a message
/// signature over the checksum list) made with an ECDSA key through OpenSSL. `verify-image verify-bundle --key`
/// and `cosign verify-blob --bundle --key` (with `--insecure-ignore-tlog`: the bundle is made offline, so it has
/// no transparency-log entry) accept it.
enum EvidenceSignature {
    static let mediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

    /// The bundle JSON signing `message`.
    static func bundle(signing message: Data, with key: SigningKey) throws -> Data {
        let signature = try key.sign(message)
        let digest = key.hashAlgorithm.hash(message)
        let algorithm: String
        switch key.hashAlgorithm {
        case .sha256: algorithm = "SHA2_256"
        case .sha384: algorithm = "SHA2_384"
        case .sha512: algorithm = "SHA2_512"
        }
        let bundle: [String: Any] = [
            "mediaType": mediaType,
            "verificationMaterial": [
                "publicKey": ["hint": Data(key.publicKey.sha256KeyID).base64EncodedString()],
                "tlogEntries": [] as [Any],
            ],
            "messageSignature": [
                "messageDigest": ["algorithm": algorithm, "digest": Data(digest).base64EncodedString()],
                "signature": Data(signature).base64EncodedString(),
            ],
        ]
        return try JSONSerialization.data(withJSONObject: bundle, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
    }

    /// Verifies the bundle over `message` with `key`, through the one bundle verifier.
    static func verify(bundle data: Data, message: Data, key: PublicKey) throws(ImageGateError) {
        do {
            let bundle = try SigstoreBundle(json: data)
            // Signed offline: no log entry, no timestamp; checked at the current time (as cosign verify-blob
            // --insecure-ignore-tlog does).
            let policy = try VerificationPolicy(trust: .init(trustedRoot: try TrustedRoot(json: TrustedRoot.productionJSON)),
                                                signers: .keys([key]), insecureIgnoreTransparencyLog: true)
            _ = try EvidenceVerifier(policy: policy).verify(bundle: bundle, artifact: .bytes(message), currentTime: Date())
        } catch {
            throw ImageGateError(.evidenceSignatureInvalid, "\(EvidencePackage.signatureFile) does not verify with the key given: \(error)",
                            file: EvidencePackage.signatureFile)
        }
    }
}
