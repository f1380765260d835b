import Foundation
import TestSupport
import Testing
@testable import CryptoPrimitives

/// Every certificate found in the real fixtures under testdata/crypto and testdata/sigstore: PEM blocks, and DER
/// certificates base64-encoded in JSON (bundles, trusted roots), with the file each came from.
func allFixtureCertificates() -> [(file: String, certificate: Certificate)] {
    let packageRoot = PackagePaths.root
    var found: [(String, Certificate)] = []
    var seen = Set<[UInt8]>()
    for area in ["testdata/crypto", "testdata/sigstore"] {
        let directory = packageRoot.appendingPathComponent(area)
        guard let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { continue }
        for case let url as URL in files {
            guard let data = try? Data(contentsOf: url), data.count < 4 << 20 else { continue }
            var certificates: [Certificate] = []
            if let text = String(data: data, encoding: .utf8) {
                if text.contains("-----BEGIN CERTIFICATE-----") {
                    certificates += (try? Certificate.parsePEM(text)) ?? []
                }
                if let json = try? JSONSerialization.jsonObject(with: data) {
                    var stack: [Any] = [json]
                    while let value = stack.popLast() {
                        if let object = value as? [String: Any] { stack += Array(object.values) }
                        else if let array = value as? [Any] { stack += array }
                        else if let string = value as? String, string.hasPrefix("MI"),
                                let der = Data(base64Encoded: string),
                                let certificate = try? Certificate(der: [UInt8](der)) {
                            certificates.append(certificate)
                        }
                    }
                }
            } else if let certificate = try? Certificate(der: [UInt8](data)) {
                certificates.append(certificate)
            }
            for certificate in certificates where seen.insert(certificate.der).inserted {
                found.append((url.path.replacingOccurrences(of: packageRoot.path + "/", with: ""), certificate))
            }
        }
    }
    return found
}

@Test func certificatePublicKeyIsTheDecodedKeyWithTheOriginalSPKIBytes() throws {
    let certificates = allFixtureCertificates()
    #expect(certificates.count >= 20, "expected the fixtures' certificates, found \(certificates.count)")
    for (file, certificate) in certificates {
        // The SPKI slice equals OpenSSL's re-encoding, and parsing it alone gives the same kind of key.
        let reencoded = try spkiBytes(certificate.box.pointer)
        #expect(certificate.publicKey.spkiDER == reencoded, "\(file): SPKI slice differs from the re-encoding")
        #expect(try PublicKey(derSPKI: reencoded).kind == certificate.publicKey.kind, "\(file)")
    }
}

/// SHA-256 of each real fixture leaf with embedded SCTs → SHA-256 of its precertificate TBS as produced by the
/// previous implementation (OpenSSL: X509_dup, X509_delete_ext, i2d_re_X509_tbs), recorded when the DER rebuild
/// replaced it; the rebuild matched it byte for byte on every one of them. (That the SCTs of these leaves verify
/// under their CT logs' keys is the independent proof that the bytes are what the CA submitted.)
let precertificateTBSDigestsFromOpenSSL: [String: String] = [
    "ca7fba27acb2e0f0d3301fca592fbce0eae2940d07bb43dd8e3169e48eb548f8": "e07363a82b2cb19dc2580587d96d049ce469a08be8bae9d8b463b7ab5fab9458",  // testdata/crypto/containers-image/fulcio-cert
    "39a8bc17f0e96239b0c22e5bbd726048d93f122aca0b4f922ab3426a605add33": "8ffe303a66ddb047437012860507749e707029bb88fd3d8be5240cd9e3d91134",  // testdata/crypto/sigstore/rekor2-timestamp-with-expired-cert-chain.sigstore.json
    "68bbe96be100ea5353e9e5ee896ddc288c5e0d4b3ec0c0652674c63ad8aab7b5": "e0a484e85c8c8478e2b2db43c7fb87074f1f40d64ecf1ded64f8b03862f62aca",  // testdata/crypto/sigstore/rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail.sigstore.json
    "3bdbfb9fe7a9377878b538dfb2ec6af283d51e243629fa667e360a06b62f63c2": "a86b9d180216c701cc16f8c351094c7f5e679ab7482d27634be0d7d3ad7c9750",  // testdata/crypto/sigstore/bundle_v3_github.whl.sigstore
    "6e77828b8e93e527dc458aa58e492a2dd76880d80baaf47214804939e2468ed9": "ef60081be2c3383704194b9dda16eb31784711b29caed87e24ba819d293a0f8f",  // testdata/crypto/sigstore/othername.sigstore.json
    "57057b00ec4ebf533751fe1f0998ca8392db36a112a5578ccfc38421634dde69": "84d393ef4c59527d9227b976f6d2087e6c441623e0508104ca9b6fbabe0ce5de",  // testdata/crypto/sigstore/bundle-with-sct-with-extensions.sigstore.json
    "05c322556c3d34d129ac5b0d8af82f81956889da2693a8b70b4ec16889911bd4": "34c2c9488fa60d5b8f4d8080e40fd7bc16e98402ed7ad42dfa66bac10656abb8",  // testdata/crypto/sigstore/rekor2-timestamp-outside-tsa-cert-validity_fail.sigstore.json
    "39c7bf30c1476839cd8646357fa791d6d2c510866c65fe218e2fa38723752246": "a0cf161fdc640d5df3fec5ef249f730367c2f07bd16509601bbde690afc8401b",  // testdata/crypto/sigstore/rekor2-timestamp-with-embedded-cert.sigstore.json
    "fcdf4b06adb68f7b0453ee696dd037b98133d332e159c1d20463d8165c3877cb": "501509837fe32b2ee1f6eee237d7563be954129a8767a5c5199bfa867a0c6e91",  // testdata/sigstore/sigstore-python/bundle.txt.sigstore
    "1bd101533a229c3b057173d36cbc403f9dbe6a8fecfe1e0c6c7c74eb13cba668": "2098a6a7c0d0a15b6e1db697bbb95805fee787b24bd7f121eed3ca5d76172006",  // testdata/sigstore/sigstore-python/bundle_no_log_entry.txt.sigstore
    "5a17fdb09e53028ac246d31ea83ff4070454040d43c44b48f89b9697c0924116": "393104f38cdd6c61f296c987d16b3667dc514956079e713cc9c93bc202d32ee6",  // testdata/sigstore/sigstore-python/a.dsse.staging-rekor-v2.txt.sigstore.json
    "e1f949a8bfd84165bf8091a3f15a56f2de88a9dff827289125dedfcc296038a7": "2da1555b06674e6afdda74b92c16b978c49dc06b9fbfbbb68f6324bef64f90ff",  // testdata/sigstore/sigstore-python/bundle_v3.txt.sigstore
    "1639651778fd7adbb7d6570b6e2ea080a96f6e815b146fbece85b5d817a3039f": "cfc4dd506ea5246c0db96b39c6fb8126e0caf8d9b85bd091daf35c1990859af1",  // testdata/sigstore/sigstore-python/bundle_v3_alt.txt.sigstore
    "fc6b235a8fc9c7c38aaa021c8c05e70a20003024e3f36b1037d3ea8a14cf1664": "563da659a47e7b8887ef8734d06eb70abb515b03caa5e9c989603be65a287821",  // testdata/sigstore/sigstore-python/Python-3.12.5.tgz.sigstore
    "0cfe8a9dc19144cb2c2075275a298abf11187bf80da5f19c68b2091397ddef83": "2d0abe694414c9abdf58e9b9692ad1fed1265f608201848eacbb756b30d8e33e",  // testdata/sigstore/sigstore-python/bundle_invalid_version.txt.sigstore
    "5b7916c78cd1cbb1368fdf11db5a8dd4cdeb9e940a694bbcc745a7d1fa778b09": "5c73aeb6e88ec10467128f7f2820c3f163ae978509133c0c5b62655f3f1f85e7",  // testdata/sigstore/sigstore-python/bundle_v3_no_signed_time.txt.sigstore.json
    "e08080f45f83c762be1d3c84c270d0e716aeaef54a789d976c2b0d18df9f8a98": "758eee1c1f065ce61a90bec00d2c135629da61920d7a8af016b442c01f43862c",  // testdata/sigstore/sigstore-python/bundle_cve_2022_36056.txt.sigstore
    "ad0ed59c72e6939ba63ff08c58061c567209c775f81125a04a3b521e48846a38": "5e2f4e651098e84e10f3342601967d79911a8b7bcc52c15a22da18b237339f4c",  // testdata/sigstore/sigstore-python/bundle_no_checkpoint.txt.sigstore
    "309f7b67a3cf7e1d4b1f8e99a6e2e1b3af8ca43d8cf17b2043f6bb87a5181a54": "822aa95ef42792a2a5f66895adf917c7f510f418835dbf3d7ba5a4a81e6466d1",  // testdata/sigstore/sigstore-python/staging-rekor-v2.txt.sigstore.json
    "a6d83343500b0a37b14a53e3c91999638c51c8cdb1d6b5525b93bf614e93ce51": "56a86e585b384ef428c6210304577cdffeaa82089aab2244ead233a330c6864d",  // testdata/sigstore/sigstore-python/tsa/bundle.txt.sigstore
    "aadb5f9e9b9aff8e0991e040627cd6685abf076b05249ac3804233c0659abe09": "8cfb781a3555abe62119bf05843f9da5866618e3e513ef424e3e7b4ad3e8c349",  // testdata/sigstore/sigstore-python/tsa/bundle.txt.late_timestamp.sigstore
    "762facf8c6555591bc1fd16d593b9ca0fb4eca7ea88ef5db2f5e85f5469aa470": "19ec5a6ea683262651f1e1582c8afac34ab9186e553f138eb521c554b603e6f1",  // testdata/sigstore/sigstore-go/bundle-provenance.json
    "c2030ffd69445658157139b69f4da9538bf7b4b706168ec4d7ece5843a2c76c7": "ce723f3ac16b9588dc12a1fabbcb83a280d0994b98d19502767a30ee61965ba6",  // testdata/sigstore/sigstore-go/dsse-2sigs.sigstore.json
    "5e38b9a130e5bce07939025f51c1998f0bcbddd9368f35c7677bf6d94c25dc0e": "e9f3e6adbb958b9227683b1ab81db4c09aca29b69c9860aaeca886da6b3ddf1d",  // testdata/sigstore/sigstore-go/sigstore.js@2.0.0-provenance.sigstore.json
    "dec0b1e2104dc7cbdcf47f1e05ee98850bec08dea46a4c5d5c18976e6c735dce": "ad730b5dbc8ac130d36933be68e048a4a6035f3f2103fc026262e7ad706127ec",  // testdata/sigstore/cosign/oci-attestation.sigstore.json
    "1cfaecf4c0395b697938da83feee326b931e5a000747666cb8e1e54c6e1c0262": "788051b75533e26879bd4066661a0712db44076912a794a361a9ae643fd5d0b5",  // testdata/sigstore/conformance/bundle-verify/invalid-ct-key_fail/bundle.sigstore.json
    "d9dc2ca72371a2f9aff756820fd2b7b61199a65d0b79dc2ada52d28173669022": "0cd3687055ae782276195be0459cbbbc5395346bbb0ba6eeeaad453fa74d48bf",  // testdata/sigstore/conformance/bundle-verify/rekor2-timestamp-without-embedded-cert/bundle.sigstore.json
    "2003dbc51d1fb211459c4e0f77241e5a6744d461b7276e5cc96519029884c888": "ea6e21f9dc437458ea81b227c0e1389f4c1e05601461da4d8e49eb624e281d94",  // testdata/sigstore/conformance/bundle-verify/rekor2-timestamp-payload-mismatch_fail/bundle.sigstore.json
    "bb2b81c4f07d282f71e99007e78584dbf7b086793fabfdde7c45244a946ac639": "e718b4f0e939b0268bb9bae4f3a9c70ad3192b7dd2c9d7778b69b5d0ef4b8970",  // testdata/sigstore/conformance/bundle-verify/trust-root-tlog-missing-validity-start_fail/bundle.sigstore.json
    "9693e432687a91f001943ddd9990790d39da2af53e857b0916523a3d0a3a9061": "d8991464b83b98c75ac214feae9fe06b3627e9bd3cea3ef218df6bbb046d5b5c",  // testdata/sigstore/conformance/bundle-verify/intoto-tsa-timestamp-outside-cert-validity_fail/bundle.sigstore.json
    "f26373a23e1afd5e1de6760eed8a2d31be7ca121f250ad0d8e73201bd23dfd3a": "53a098f4935962b0e74471cd5f17cf7d05a1f715f0d34ff4af56dedfbbaf574f",  // testdata/sigstore/conformance/bundle-verify/dsse-mismatch-sig_fail/bundle.sigstore.json
    "554d8d80086bcb6cd7e04e5fb131d0a022c9dd260fc20d29266c00a39caf96ce": "be566fe0830af54167ce642b6f663ef9cfc367502278750c2431b5a699c65c32",  // testdata/sigstore/conformance/bundle-verify/intoto-log-entry-mismatch_fail/bundle.sigstore.json
    "1d14e1e52767b3ddff7895038b50e680a06f6bc61a50634f51612dba9d5f27b8": "55ccfea63ac94f7813048190ac6d95ddb7fe98f4f36ad9285a8156630882b29f",  // testdata/sigstore/conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json
    "d1aa1a67a620c773a51def0176441448c190caf4bcc8b58c1f89fc956687e667": "2a71bdeba8a843370d36d84d01fe833aaef9e335414c3460557b7ad1ac4dcdea",  // testdata/sigstore/conformance/bundle-verify/bundle-from-wrong-instance_fail/bundle.sigstore.json
    "35766f6e2137358e84d216034f18730721fc88488f64a2cacd03875c03ff4386": "30f9da129ff524b6c1332658b951ec12c1a59326c7a5dfbfaa439a09cc76fe07",  // testdata/sigstore/conformance/bundle-verify/integrated-time-in-future_fail/bundle.sigstore.json
    "1d415fd220da92b02fa01a6f3804ccc967cc80768aaf1ef239ba94b7db612880": "237c7e78b0283b8364fe82dc9b4ac14d9cba4e249820bff1a4f87a5d604d1809",  // testdata/sigstore/conformance/bundle-verify/intoto-with-custom-trust-root/bundle.sigstore.json
    "5796233c2a0eba6c793e25f42d5fa148dea3512d32e98838575c113c76520fd3": "f34878133bb8a1e9703b98f305eeb9baeb911b37263b0eb94c9854266b7257b4",  // testdata/sigstore/conformance/bundle-verify/wrong-hashedrekord-cert-and-sig_fail/bundle.sigstore.json
    "694d4a06638b8acd8e313962135a20f08bb8f9cb0f127ac00615dc85f4b3b63c": "4ff19f860d31d07878b1cc297b23b2b853860ff3cd8ad4cb901b59ab7f242c27",  // testdata/sigstore/conformance/bundle-verify/dsse-mismatch-envelope_fail/bundle.sigstore.json
    "79b11db304f0736a53d3f0f6ab1a3741078f00b7d616a9ece908335cd9f03a50": "6f5ca526ad6acd7b3f22d733ee4314918eb18787bd27b6f962317e967d446221",  // testdata/sigstore/conformance/bundle-verify/rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail/bundle.sigstore.json
    "90f56534b3b243e5a43ced381a71ded34547d34b9aeb6efe5b51264d31aed302": "13dfd6c625f15451d1fcc3d3a41fe6007707e021ae5a634796e3b82ec5475b7f",  // testdata/sigstore/conformance/bundle-verify/bundle-with-root-cert_fail/bundle.sigstore.json
    "08e159b42a87f014db34b13c5b0ad2ad9861e787755eaf6ff8f2504c99ad2054": "6d1b264ee7ed25b4b9b33058ce7a5c64c8d3982a175aca19703a6ed4cb18b68b",  // testdata/sigstore/conformance/bundle-verify/happy-path-intoto-in-dsse-v3/bundle.sigstore.json
    "c6fee9b899b64f9af68862f2ba57f002af5a22ccd9cb9d071442f50d0a9e9424": "f15d70cb0356f6f07f626da74445a37824741f042ddfb0b22be926b2285dffa8",  // testdata/sigstore/conformance/bundle-verify/wrong-hashedrekord-artifact_fail/bundle.sigstore.json
    "4800f2f7cf2d5abe4dc5125041941afc1f1649141373444805f1c666564112d2": "e91084acb329b053663b5559d45afab71208550d61fded528e5e725e3c19ec35",  // testdata/sigstore/conformance/bundle-verify/intoto-set-outside-signing-cert-validity_fail/bundle.sigstore.json
    "da403bf26e2405fcd5ed98f77cc2d6262505bf38bdbeec00100c52041e946138": "5f567f1d9c57f81702ae95e5cf105f6df1c6bed0d04fe35d3e368d215e30c195",  // testdata/sigstore/conformance/bundle-verify/intoto-expired-certificate_fail/bundle.sigstore.json
]

@Test func precertificateTBSRebuiltFromDERMatchesOpenSSLReencoding() throws {
    var matched = 0
    for (file, certificate) in allFixtureCertificates() {
        guard let expected = precertificateTBSDigestsFromOpenSSL[HashAlgorithm.sha256.hash(certificate.der).hexString] else { continue }
        let rebuilt = try precertificateTBS(certificate)
        #expect(HashAlgorithm.sha256.hash(rebuilt).hexString == expected, "\(file)")
        // Only the SCT list extension is gone: the TBS shrank by at least the extension value.
        let sctList = try #require(certificate.extensionValue(oid: embeddedSCTListOID))
        #expect(rebuilt.count < certificate.tbsDER.count - sctList.count, "\(file)")
        matched += 1
    }
    #expect(matched == precertificateTBSDigestsFromOpenSSL.count, "every recorded fixture leaf was found")
}

@Test func precertificateTBSNeedsExactlyOneSCTListExtension() throws {
    // A leaf without the extension: a clear sct_invalid error.
    let plain = try generatedPKI().leaf
    do {
        _ = try precertificateTBS(plain)
        Issue.record("a leaf without SCTs has no precertificate TBS")
    } catch let error as CryptoError {
        #expect(error.code == .sctInvalid)
    }
}

@Test(arguments: [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffff, 0x1000000])
func derLengthEncodingIsMinimal(length: Int) throws {
    var out: [UInt8] = []
    appendDERLength(length, to: &out)
    #expect(out.count == derLengthSize(length))
    // Reading a TLV with this length back gives the same length.
    let tlv = [0x04] + out + [UInt8](repeating: 0, count: length)
    var reader = DERReader(tlv)
    let element = reader.next()
    #expect(element?.contents.count == length && reader.isAtEnd)
}

@Test func oidTextDecodedInSwiftMatchesOpenSSL() throws {
    var checked = 0
    for (file, certificate) in allFixtureCertificates() {
        #expect(certificate.extensions.map(\.oid) == extensionOIDsFormattedByOpenSSL(certificate), "\(file)")
        checked += certificate.extensions.count
    }
    #expect(checked >= 100)
    // Content octets: 2.5.29.17; 1.3.6.1.4.1.57264.1.8 (multi-byte arc); 2.999.3 (first octet above 80);
    // and malformed forms (truncated arc, non-minimal 0x80 lead, empty).
    let cases: [([UInt8], String?)] = [
        ([0x55, 0x1d, 0x11], "2.5.29.17"),
        ([0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x08], "1.3.6.1.4.1.57264.1.8"),
        ([0x88, 0x37, 0x03], "2.999.3"),
        ([0x00], "0.0"),
        ([0x2b, 0x86], nil),
        ([0x2b, 0x80, 0x01], nil),
        ([], nil),
    ]
    for (content, expected) in cases {
        #expect(content.withUnsafeBufferPointer { dottedOID($0) } == expected, "\(content)")
    }
}

@Test(arguments: ["serial number", "subjectAltName", "last TBS byte"])
func changedLeafByteOutsideTheSCTListFailsTheSCT(field: String) throws {
    let leaf = try Fixtures.bundleLeaf(githubBundle)
    let fulcio = try productionFulcio()
    #expect(try verifyEmbeddedSCTs(leaf: leaf, issuer: fulcio.intermediate, logs: try productionCTLogs()).count == 1)
    var der = leaf.der
    let index: Int
    switch field {
    case "serial number":
        var outer = DERReader(der, range: leaf.tbsRange)
        let tbs = outer.next()
        var fields = DERReader(der, range: tbs?.contents ?? 0..<0)
        _ = fields.next()  // [0] version
        let serial = fields.next()
        #expect(serial?.tag == 0x02)
        index = (serial?.contents.upperBound ?? 1) - 1
    case "subjectAltName":
        let uri = Array("https://github.com/".utf8)
        index = try #require((0...(der.count - uri.count)).first { Array(der[$0..<($0 + uri.count)]) == uri }) + 8
    default:
        // The last byte of the TBS (in the last extension).
        index = leaf.tbsRange.upperBound - 1
    }
    der[index] ^= 0x01
    let changed = try Certificate(der: der)
    #expect(try verifyEmbeddedSCTs(leaf: changed, issuer: fulcio.intermediate, logs: try productionCTLogs()).isEmpty,
            "a changed \(field) byte must not leave a verifying SCT")
}
