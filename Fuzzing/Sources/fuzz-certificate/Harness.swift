// X.509 certificates through CryptoPrimitives (DER and PEM), public keys (SPKI, PKCS#1, PEM), Fulcio identity
// extensions, chain validation to the production Fulcio roots and embedded SCTs against the production CT logs.
//
// Invariants: a certificate re-parses from its own bytes to the same value; a certificate that chains to Fulcio or
// whose SCTs verify is one of the known-good certificates (the fuzzer cannot sign).
import CryptoPrimitives
import Foundation
import FuzzSupport
@testable import SignatureVerification

struct Trust {
    let validators: [ChainValidator]
    let ctLogs: [CTLogKey]
    let intermediates: [Certificate]
}

let trust: Trust = {
    guard let root = try? TrustedRoot.production() else { fatalError("harness set-up: production trusted root") }
    var validators: [ChainValidator] = []
    var intermediates: [Certificate] = []
    for authority in root.certificateAuthorities {
        let chain = authority.certificatesDER.compactMap { try? Certificate(der: $0) }
        guard let anchor = chain.last else { continue }
        validators.append(ChainValidator(roots: [anchor], intermediates: Array(chain.dropLast())))
        intermediates += chain
    }
    let ctLogs = root.ctLogs.compactMap { log in (try? parseTrustedKey(log)).map { CTLogKey(logID: log.logID, key: $0) } }
    return Trust(validators: validators, ctLogs: ctLogs, intermediates: intermediates)
}()

/// What passed: chain validation at the certificate's own notBefore, and the embedded SCTs.
func trustedChecks(_ certificate: Certificate) -> (chain: Bool, scts: Bool) {
    let chains = trust.validators.contains { (try? $0.validate(certificate, at: certificate.notBefore)) != nil }
    let scts = trust.intermediates.contains { issuer in
        certificate.isIssued(by: issuer) && (try? verifyEmbeddedSCTs(leaf: certificate, issuer: issuer, logs: trust.ctLogs))?.isEmpty == false
    }
    return (chains, scts)
}

/// Every certificate in the fixtures.
let knownGood: Set<[UInt8]> = {
    let good = fixtureCertificates()
    invariant(good.count >= 10, "harness set-up: only \(good.count) fixture certificates")
    return good
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCertificate(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        if let certificate = try? Certificate(der: bytes) {
            invariant(certificate.der == bytes, "the certificate does not keep its exact bytes")
            invariant((try? Certificate(der: certificate.der)) == certificate, "the certificate does not re-parse from its bytes")
            let tbs = certificate.tbsDER
            invariant(!tbs.isEmpty && bytes.firstRange(of: tbs) != nil, "TBSCertificate is not inside the certificate bytes")
            for ext in certificate.extensions {
                invariant(certificate.extensionValue(oid: ext.oid) != nil, "extension \(ext.oid) listed but not found")
            }
            if let list = certificate.extensionValue(oid: "1.3.6.1.4.1.11129.2.4.2") {
                _ = try? SignedCertificateTimestamp.parseList(extensionValue: list)
            }
            _ = try? CertificateIdentity(certificate: certificate)
            _ = certificate.subjectAlternativeNames.map(\.stringValue)
            let checks = trustedChecks(certificate)
            if checks.chain || checks.scts {
                invariant(knownGood.contains(bytes), "a certificate that is not in the fixtures chained to Fulcio or had valid SCTs")
            }
        }
        if let key = try? PublicKey(derSPKI: bytes) {
            invariant((try? PublicKey(derSPKI: key.spkiDER)) == key, "the public key does not re-parse from its SPKI")
        }
        _ = try? PublicKey(pkcs1RSA: bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        if let certificates = try? Certificate.parsePEM(text) {
            invariant(!certificates.isEmpty, "PEM parse returned no certificate without an error")
        }
        _ = try? PublicKey(pem: text)
    }
}

/// Loads the fixed trust material and verifies the known-good inputs before fuzzing starts (outside the per-input
/// timeout).
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: FuzzerArguments) -> CInt {
    _ = knownGood
    return 0
}
