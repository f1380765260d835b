import Foundation
import Testing
@testable import CryptoPrimitives

let githubBundle = "sigstore/bundle_v3_github.whl.sigstore"
let productionRoot = "sigstore/trusted_root.production.json"
let codeSigning = "1.3.6.1.5.5.7.3.3"

/// Production Fulcio: authority 1 = [intermediate, root] (2022-), authority 0 = [v1 root] (2021-2022).
func productionFulcio() throws -> (intermediate: Certificate, root: Certificate, v1Root: Certificate) {
    let current = try Fixtures.trustedRootChain(productionRoot, authority: 1)
    let v1 = try Fixtures.trustedRootChain(productionRoot, authority: 0)
    return (current[0], current[1], v1[0])
}

func generatedPKI() throws -> (root: Certificate, intermediate: Certificate, leaf: Certificate) {
    (try Certificate.parsePEM(Fixtures.text("generated/root.pem"))[0],
     try Certificate.parsePEM(Fixtures.text("generated/intermediate.pem"))[0],
     try Certificate.parsePEM(Fixtures.text("generated/leaf.pem"))[0])
}

@Test func realFulcioLeafFields() throws {
    let leaf = try Fixtures.bundleLeaf(githubBundle)
    #expect(leaf.subject == "")
    #expect(leaf.issuer == "CN=sigstore-intermediate,O=sigstore.dev")
    #expect(leaf.serialNumberHex == "336f5bbd892b0ca9c15599957a5a1350c959a8d6")
    #expect(leaf.notBefore == utc("2024-03-19T22:41:15Z"))
    #expect(leaf.notAfter == utc("2024-03-19T22:51:15Z"))
    #expect(leaf.publicKey.kind == .ecdsaP256)
    #expect(!leaf.isCA && !leaf.isSelfSigned)
    #expect(leaf.subjectAlternativeNames == [
        .uri("https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"),
    ])
    #expect(leaf.extendedKeyUsageOIDs == [codeSigning])
    #expect(leaf.signatureAlgorithmOID == "1.2.840.10045.4.3.3")
    // Fulcio v1 issuer extension: raw bytes; v2 issuer extension (.1.8): DER UTF8String.
    #expect(leaf.extensionValue(oid: "1.3.6.1.4.1.57264.1.1") == Array("https://token.actions.githubusercontent.com".utf8))
    #expect(leaf.extensionValue(oid: "1.3.6.1.4.1.57264.1.8").flatMap(Certificate.decodeDERString)
            == "https://token.actions.githubusercontent.com")
    #expect(leaf.extensionValue(oid: "1.3.6.1.4.1.11129.2.4.2") != nil, "embedded SCT list")
    #expect(leaf.extensionValue(oid: "1.2.3.4") == nil)
    let san = try #require(leaf.extensions.first { $0.oid == "2.5.29.17" })
    #expect(san.critical)
    #expect(leaf.extensions.count == 27)
}

@Test func realBundleSignatureVerifiesUnderLeafKey() throws {
    let leaf = try Fixtures.bundleLeaf(githubBundle)
    let artifact = try Fixtures.data("sigstore/bundle_v3_github.whl")
    let signature = try Fixtures.base64(githubBundle, ["messageSignature", "signature"])
    #expect(leaf.publicKey.isValidSignature(signature, for: artifact))
    var altered = artifact
    altered[100] ^= 1
    #expect(!leaf.publicKey.isValidSignature(signature, for: altered))
}

@Test func tbsBytesAreWhatTheIssuerSigned() throws {
    let leaf = try Fixtures.bundleLeaf(githubBundle)
    let fulcio = try productionFulcio()
    #expect(fulcio.intermediate.publicKey.isValidSignature(leaf.signatureValue, for: leaf.tbsDER, hash: .sha384))
    #expect(leaf.isIssued(by: fulcio.intermediate))
    #expect(!leaf.isIssued(by: fulcio.root))
    #expect(fulcio.intermediate.isIssued(by: fulcio.root))
    #expect(fulcio.root.isSelfSigned && fulcio.root.isCA && fulcio.intermediate.isCA)
    #expect(leaf.tbsDER.first == 0x30 && leaf.der.count > leaf.tbsDER.count + 4)
}

/// (time, expected error code or nil for pass) for the real Fulcio leaf valid 22:41:15–22:51:15 on 2024-03-19.
let fulcioTimes: [(String, CryptoError.Code?)] = [
    ("2024-03-19T22:41:15Z", nil),
    ("2024-03-19T22:45:00Z", nil),
    ("2024-03-19T22:51:15Z", nil),
    ("2024-03-19T22:51:16Z", .certificateExpired),
    ("2026-01-01T00:00:00Z", .certificateExpired),
    ("2024-03-19T22:41:14Z", .certificateNotYetValid),
    ("2021-01-01T00:00:00Z", .certificateNotYetValid),
]

@Test(arguments: fulcioTimes)
func realFulcioChainAtTime(time: String, expected: CryptoError.Code?) throws {
    let leaf = try Fixtures.bundleLeaf(githubBundle)
    let fulcio = try productionFulcio()
    let validator = ChainValidator(roots: [fulcio.root, fulcio.v1Root], intermediates: [fulcio.intermediate])
    if let expected {
        #expect {
            _ = try validator.validate(leaf, at: utc(time), requiredExtendedKeyUsage: codeSigning)
        } throws: { error in
            guard let error = error as? CryptoError, error.code == expected else { return false }
            let words = expected == .certificateExpired ? "certificate has expired at 2024-03-19T22:51:15Z"
                : "certificate is not yet valid"
            return error.message.contains(words) && error.message.contains(time)
        }
    } else {
        let chain = try validator.validate(leaf, at: utc(time), requiredExtendedKeyUsage: codeSigning)
        #expect(chain == [leaf, fulcio.intermediate, fulcio.root])
    }
}

@Test func realFulcioLeafDoesNotChainToOtherRoots() throws {
    let leaf = try Fixtures.bundleLeaf(githubBundle)
    let fulcio = try productionFulcio()
    let time = utc("2024-03-19T22:45:00Z")
    let cases: [(ChainValidator, [Certificate], String)] = [
        (ChainValidator(roots: [fulcio.v1Root], intermediates: [fulcio.intermediate]), [], "v1 root only"),
        (ChainValidator(roots: [fulcio.root]), [], "intermediate missing"),
        (ChainValidator(roots: [try generatedPKI().root], intermediates: [fulcio.intermediate]), [], "foreign root"),
        (ChainValidator(roots: []), [fulcio.intermediate], "no roots"),
    ]
    for (validator, extra, label) in cases {
        #expect(throws: CryptoError.self, "\(label)") {
            _ = try validator.validate(leaf, extraIntermediates: extra, at: time)
        }
        do {
            _ = try validator.validate(leaf, extraIntermediates: extra, at: time)
        } catch let error as CryptoError {
            #expect(error.code == .chainInvalid, "\(label): \(error)")
        }
    }
    // The intermediate supplied per call works like one given at init.
    let chain = try ChainValidator(roots: [fulcio.root]).validate(leaf, extraIntermediates: [fulcio.intermediate], at: time)
    #expect(chain.count == 3)
}

@Test func intermediateGivenAsRootIsAcceptedAsAnchor() throws {
    let leaf = try Fixtures.bundleLeaf(githubBundle)
    let fulcio = try productionFulcio()
    let validator = ChainValidator(roots: [fulcio.intermediate])
    #expect(validator.allowsPartialChains)
    let chain = try validator.validate(leaf, at: utc("2024-03-19T22:45:00Z"))
    #expect(chain == [leaf, fulcio.intermediate])
    #expect(!ChainValidator(roots: [fulcio.root]).allowsPartialChains)
}

@Test func requiredExtendedKeyUsageIsEnforced() throws {
    let leaf = try Fixtures.bundleLeaf(githubBundle)
    let fulcio = try productionFulcio()
    let validator = ChainValidator(roots: [fulcio.root], intermediates: [fulcio.intermediate])
    #expect {
        _ = try validator.validate(leaf, at: utc("2024-03-19T22:45:00Z"), requiredExtendedKeyUsage: "1.3.6.1.5.5.7.3.8")
    } throws: { ($0 as? CryptoError)?.code == .extendedKeyUsageMissing }
}

@Test func tamperedLeafFailsChainValidation() throws {
    let leaf = try Fixtures.bundleLeaf(githubBundle)
    let fulcio = try productionFulcio()
    let validator = ChainValidator(roots: [fulcio.root], intermediates: [fulcio.intermediate])
    // Change one character of the SAN URI inside the signed TBS ("trailofbits" -> "trailofbitz").
    var der = leaf.der
    let needle = Array("trailofbits/rfc8785.py/.github".utf8)
    let offset = try #require((0...(der.count - needle.count)).first { Array(der[$0..<($0 + needle.count)]) == needle })
    der[offset + 10] = UInt8(ascii: "z")
    let tampered = try Certificate(der: der)
    #expect(tampered.subjectAlternativeNames.first?.stringValue?.contains("trailofbitz") == true)
    #expect {
        _ = try validator.validate(tampered, at: utc("2024-03-19T22:45:00Z"))
    } throws: { error in
        (error as? CryptoError)?.code == .chainInvalid && "\(error)".contains("signature failure")
    }
}

@Test func otherNameSANFromRealScaffoldingBundle() throws {
    let leaf = try Fixtures.bundleLeaf("sigstore/othername.sigstore.json")
    let utf8String: [UInt8] = [0x0c, 14] + Array("foo!oidc.local".utf8)
    #expect(leaf.subjectAlternativeNames == [.otherName(typeOID: "1.3.6.1.4.1.57264.1.7", value: utf8String)])
    #expect(leaf.subjectAlternativeNames.first?.stringValue == "foo!oidc.local")
    let chain = try Fixtures.trustedRootChain("sigstore/trusted_root.scaffolding.json", authority: 0)
    let validator = ChainValidator(roots: [chain[chain.count - 1]], intermediates: Array(chain.dropLast()))
    let validated = try validator.validate(leaf, at: leaf.notBefore.addingTimeInterval(60),
                                           requiredExtendedKeyUsage: codeSigning)
    #expect(validated.first == leaf && validated.last == chain.last)
}

@Test func realContainersImageFulcioCertificateWithEmailSAN() throws {
    let leaf = try Certificate.parsePEM(Fixtures.text("containers-image/fulcio-cert"))
    let chain = try Certificate.parsePEM(Fixtures.text("containers-image/fulcio-chain"))
    let root = try Certificate.parsePEM(Fixtures.text("containers-image/fulcio_v1.crt.pem"))
    #expect(leaf.count == 1 && chain.count == 2 && root.count == 1)
    #expect(leaf[0].subjectAlternativeNames == [.email("mitr@redhat.com")])
    #expect(leaf[0].extensionValue(oid: "1.3.6.1.4.1.57264.1.1") == Array("https://github.com/login/oauth".utf8))
    let validator = ChainValidator(roots: root, intermediates: chain)
    let validated = try validator.validate(leaf[0], at: leaf[0].notBefore.addingTimeInterval(120),
                                           requiredExtendedKeyUsage: codeSigning)
    #expect(validated.count == 3)
}

@Test func generatedLeafHasEverySANKind() throws {
    let pki = try generatedPKI()
    #expect(pki.leaf.subject == "CN=Fixture Leaf,O=image-verifier fixtures")
    #expect(pki.leaf.serialNumberHex == "c0ffee01")
    #expect(pki.leaf.subjectAlternativeNames == [
        .email("signer@example.test"),
        .uri("https://github.com/example/repo/.github/workflows/release.yml@refs/heads/main"),
        .dns("signer.example.test"),
        .ipAddress([192, 0, 2, 7]),
        .ipAddress([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7]),
        .otherName(typeOID: "1.3.6.1.4.1.57264.1.7", value: [0x0c, 7] + Array("octocat".utf8)),
    ])
    #expect(pki.leaf.extensionValue(oid: "1.3.6.1.4.1.57264.1.8").flatMap(Certificate.decodeDERString)
            == "https://issuer.example.test")
    #expect(pki.leaf == (try Certificate(der: Fixtures.data("generated/leaf.der"))))
    #expect(pki.root.isSelfSigned && pki.root.isCA && !pki.intermediate.isSelfSigned && pki.intermediate.isCA)
    let validator = ChainValidator(roots: [pki.root], intermediates: [pki.intermediate])
    let time = pki.leaf.notBefore.addingTimeInterval(3600)
    #expect(try validator.validate(pki.leaf, at: time, requiredExtendedKeyUsage: codeSigning)
            == [pki.leaf, pki.intermediate, pki.root])
    #expect(throws: CryptoError.self) {
        _ = try validator.validate(pki.leaf, at: pki.leaf.notAfter.addingTimeInterval(1))
    }
}

@Test func sameNameOtherKeyRootIsRejected() throws {
    let pki = try generatedPKI()
    let otherRoot = try Certificate.parsePEM(Fixtures.text("generated/other-root.pem"))[0]
    #expect(otherRoot.subject == pki.root.subject && otherRoot != pki.root)
    let validator = ChainValidator(roots: [otherRoot], intermediates: [pki.intermediate])
    #expect {
        _ = try validator.validate(pki.leaf, at: pki.leaf.notBefore.addingTimeInterval(60))
    } throws: { ($0 as? CryptoError)?.code == .chainInvalid }
}

@Test func serverLeafLacksCodeSigning() throws {
    let pki = try generatedPKI()
    let server = try Certificate.parsePEM(Fixtures.text("generated/server-leaf.pem"))[0]
    let validator = ChainValidator(roots: [pki.root], intermediates: [pki.intermediate])
    let time = server.notBefore.addingTimeInterval(60)
    #expect(try validator.validate(server, at: time).count == 3)
    #expect {
        _ = try validator.validate(server, at: time, requiredExtendedKeyUsage: codeSigning)
    } throws: { error in
        (error as? CryptoError)?.code == .extendedKeyUsageMissing && "\(error)".contains("1.3.6.1.5.5.7.3.1")
    }
}

@Test func parsePEMReturnsAllBlocksInOrder() throws {
    let text = try Fixtures.text("generated/leaf.pem") + Fixtures.text("generated/p256.pub.pem")
        + Fixtures.text("generated/intermediate.pem") + Fixtures.text("generated/root.pem")
    let certificates = try Certificate.parsePEM(text)
    let pki = try generatedPKI()
    #expect(certificates == [pki.leaf, pki.intermediate, pki.root])
    #expect(certificates[0].pem == (try Fixtures.text("generated/leaf.pem")))
}

@Test(arguments: [
    ("", "no -----BEGIN CERTIFICATE-----"),
    ("hello", "no -----BEGIN CERTIFICATE-----"),
    ("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "not a valid DER X.509"),
    ("-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n", "base64"),
    ("-----BEGIN CERTIFICATE-----\nMIIB\n", "no END line"),
])
func garbageCertificatePEMIsRejected(pem: String, expected: String) {
    #expect {
        _ = try Certificate.parsePEM(pem)
    } throws: { error in
        (error as? CryptoError)?.code == .invalidCertificate && "\(error)".contains(expected)
    }
}

@Test func truncatedOrExtendedCertificateDERIsRejected() throws {
    let der = try Fixtures.data("generated/leaf.der")
    for bad in [Array(der.dropLast()), Array(der.prefix(der.count / 2)), Array(der.prefix(3)), der + [0], [],
                [UInt8](repeating: 0x30, count: 64)] {
        #expect(throws: CryptoError.self) { _ = try Certificate(der: bad) }
    }
}

@Test func issuingCAWhoseEKUExcludesTheRequiredUsageIsRejected() throws {
    // The fixture TSA certificate (timeStamping) is issued by an intermediate restricted to codeSigning.
    let chain = try generatedTSAChain()
    let validator = ChainValidator(roots: [chain[2]], intermediates: [chain[1]])
    let time = chain[0].notBefore.addingTimeInterval(60)
    #expect(try validator.validate(chain[0], at: time).count == 3)
    #expect {
        _ = try validator.validate(chain[0], at: time, requiredExtendedKeyUsage: "1.3.6.1.5.5.7.3.8")
    } throws: { error in
        (error as? CryptoError)?.code == .extendedKeyUsageMissing && "\(error)".contains("Fixture Intermediate CA")
    }
    // Real chains: production Fulcio's intermediate lists codeSigning; the staging TSA chain has no CA EKU.
    let tsa = try Fixtures.trustedRootChain("sigstore/rekor2-timestamp-with-embedded-cert.trusted_root.json",
                                            authority: 0, kind: "timestampAuthorities")
    #expect(try ChainValidator(roots: [tsa[1]]).validate(tsa[0], at: utc("2025-08-06T18:51:36Z"),
                                                          requiredExtendedKeyUsage: "1.3.6.1.5.5.7.3.8").count == 2)
}
