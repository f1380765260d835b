import CryptoPrimitives
import Foundation
import GateVerdict
import Testing
@testable import SignatureVerification

/// Issue 9's findings, each tried as an attacker would, against the one verifier. Every test here failed on the code
/// before the verification core was unified (two verifiers bridged by ImageVerifier); see the report of issue 9.
@Suite struct CoreAttackTests {
    static let artifact = BundleFixtures.conformance.appendingPathComponent("a.txt")

    static func bundle(_ name: String) throws -> SigstoreBundle {
        try SigstoreBundle(contentsOfFile: BundleFixtures.conformance.appendingPathComponent("\(name)/bundle.sigstore.json").path)
    }

    static func digestArtifact() throws -> Artifact {
        .digest(.sha256, HashAlgorithm.sha256.hash(try Data(contentsOf: artifact)))
    }

    static func pem(_ path: String) throws -> [Certificate] {
        try Certificate.parsePEM(String(contentsOf: BundleFixtures.packageRoot.appendingPathComponent(path), encoding: .utf8))
    }

    /// The production trusted root's JSON, changed by `edit` (for trusted-root attacks).
    static func productionRoot(_ edit: (inout [String: Any]) -> Void) throws -> TrustedRoot {
        let url = BundleFixtures.packageRoot.appendingPathComponent("keys/sigstore-production-trusted_root.json")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        edit(&object)
        return try TrustedRoot(json: try JSONSerialization.data(withJSONObject: object))
    }

    /// A public (Fulcio) certificate whose identity matches must not pass when the policy names a private CA: the
    /// private chain replaces the trusted root's CAs (before: a cosign v3 bundle referrer was verified against the
    /// production root whatever `--certificate-chain` said).
    @Test(arguments: [true, false])
    func aPublicFulcioCertificateFailsWhenThePolicyNamesAPrivateCA(withIssuer: Bool) throws {
        let policy = try VerificationPolicy(
            trust: .init(trustedRoot: try TrustedRoot.production(), certificateChain: try Self.pem("testdata/images/keys/pki-chain.pem")),
            signers: .identities([.init(issuer: withIssuer ? .exact(ConformancePolicy.issuer) : nil, subject: .exact(ConformancePolicy.identity))]))
        let error = #expect(throws: SignatureVerificationError.self) {
            try EvidenceVerifier(policy: policy).verify(bundle: try Self.bundle("happy-path-v0.3"), artifact: try Self.digestArtifact())
        }
        #expect(error?.code == .certificateChainInvalid, "\(error?.description ?? "")")
        // The same bundle passes under the public root alone: the failure is the private CA's doing.
        _ = try ConformancePolicy.verifier(root: try TrustedRoot.production())
            .verify(bundle: try Self.bundle("happy-path-v0.3"), artifact: try Self.digestArtifact())
    }

    /// "Any issuer" (an identity without issuer) exists only for private CAs; with a public root it is refused when
    /// the policy is made (before: the bundle bridge substituted `.*` for a missing issuer).
    @Test func anyIssuerIsRefusedForAPublicCA() throws {
        let error = #expect(throws: SignatureVerificationError.self) {
            try VerificationPolicy(trust: .init(trustedRoot: try TrustedRoot.production()),
                                   signers: .identities([.init(issuer: nil, subject: .exact(ConformancePolicy.identity))]))
        }
        #expect(error?.code == .policyInvalid)
    }

    /// Required annotations (`-a`) apply to every piece of evidence: one that cannot carry them fails, never passes
    /// unchecked (before: `-a` was never checked for bundles).
    @Test func requiredAnnotationsCannotBeSkippedByABundle() throws {
        let policy = try VerificationPolicy(
            trust: .init(trustedRoot: try TrustedRoot.production()),
            signers: .identities([.init(issuer: .exact(ConformancePolicy.issuer), subject: .exact(ConformancePolicy.identity))]),
            requiredAnnotations: ["env": "prod"])
        let error = #expect(throws: SignatureVerificationError.self) {
            try EvidenceVerifier(policy: policy).verify(bundle: try Self.bundle("happy-path-v0.3"), artifact: try Self.digestArtifact())
        }
        #expect(error?.code == .annotationMismatch)
        #expect(error?.check == .annotations)
    }

    /// Every key given is tried, for every format (before: bundles used only the first `--key`).
    @Test func aBundleSignedByTheSecondKeyGivenVerifies() throws {
        let folder = BundleFixtures.conformance.appendingPathComponent("managed-key-happy-path")
        let right = try PublicKey(pem: String(contentsOf: folder.appendingPathComponent("key.pub"), encoding: .utf8))
        let wrong = try PublicKey(pem: String(contentsOf: BundleFixtures.packageRoot.appendingPathComponent("keys/fixture-signer.pub"), encoding: .utf8))
        let bundle = try SigstoreBundle(contentsOfFile: folder.appendingPathComponent("bundle.sigstore.json").path)
        let artifact = Artifact.bytes(try Data(contentsOf: Self.artifact))
        let both = try VerificationPolicy(trust: .init(trustedRoot: try TrustedRoot.production()), signers: .keys([wrong, right]),
                                          insecureIgnoreTransparencyLog: true)
        let report = try EvidenceVerifier(policy: both).verify(bundle: bundle, artifact: artifact)
        #expect(report.keyID == right.keyID)
        let onlyWrong = try ConformancePolicy.key(wrong, root: try TrustedRoot.production())
        #expect(throws: SignatureVerificationError.self) { try EvidenceVerifier(policy: onlyWrong).verify(bundle: bundle, artifact: artifact) }
    }

    /// An SCT from a CT log key outside its validity window does not count, on every path (before: the cosign path
    /// ignored the window).
    @Test func anSCTOutsideItsCTLogValidityWindowIsRefusedForACosignLayer() throws {
        let fixture = "dir-img-cosign-fulcio-rekor-valid"
        let layer = try #require(try ContainersImage.layers(fixture).first)
        let expired = try Self.productionRoot { root in
            root["ctlogs"] = (root["ctlogs"] as? [[String: Any]] ?? []).map { log in
                var log = log
                log["publicKey"] = (log["publicKey"] as? [String: Any]).map { key in
                    var key = key
                    key["validFor"] = ["start": "2000-01-01T00:00:00Z", "end": "2000-01-02T00:00:00Z"]
                    return key
                }
                return log
            }
        }
        let policy = try VerificationPolicy(trust: .init(trustedRoot: expired),
                                            signers: .identities([.init(issuer: .exact("https://github.com/login/oauth"), subject: .exact("mitr@redhat.com"))]))
        let report = ContainersImage.report(EvidenceVerifier(policy: policy), layer, imageDigest: try ContainersImage.imageDigest(fixture))
        #expect(!report.verified)
        #expect(report.failureReasons == [.sctInvalid], "\(report.checks)")
    }

    /// Trusted-root material that does not parse is an error, never silently dropped (before: `try?` dropped it on
    /// the cosign path, so a broken CA list could shrink to whatever parsed).
    @Test func unparsableTrustedRootMaterialIsAnErrorNotDropped() throws {
        let fixture = "dir-img-cosign-fulcio-rekor-valid"
        let layer = try #require(try ContainersImage.layers(fixture).first)
        let broken: TrustedRoot
        do {
            broken = try Self.productionRoot { root in
                var authorities = root["certificateAuthorities"] as? [[String: Any]] ?? []
                var garbage = authorities[0]
                garbage["certChain"] = ["certificates": [["rawBytes": Data("not a certificate".utf8).base64EncodedString()]]]
                authorities.insert(garbage, at: 0)
                root["certificateAuthorities"] = authorities
            }
        } catch let error as SignatureVerificationError {
            #expect(error.code == .trustedRootInvalid)   // refused when read: also never dropped
            return
        }
        let policy = try VerificationPolicy(trust: .init(trustedRoot: broken),
                                            signers: .identities([.init(issuer: .exact("https://github.com/login/oauth"), subject: .exact("mitr@redhat.com"))]))
        let report = ContainersImage.report(EvidenceVerifier(policy: policy), layer, imageDigest: try ContainersImage.imageDigest(fixture))
        #expect(!report.verified)
        #expect(report.failureReasons == [.trustedRootInvalid], "\(report.checks)")
    }

    /// Transparency-log failures reach verdicts only as documented codes (before: the cosign path passed
    /// `log_key_unknown` and `entry_body_invalid` through unmapped).
    @Test func aLogEntryFromAnUnknownLogIsAMissingEntryNotAnUndocumentedCode() throws {
        let fixture = "dir-img-cosign-key-rekor-valid"
        let layer = try #require(try ContainersImage.layers(fixture).first)
        let noLogs = try Self.productionRoot { $0["tlogs"] = [] as [Any] }
        let key = try ContainersImage.key("cosign2.pub")
        let policy = try VerificationPolicy(trust: .init(trustedRoot: noLogs), signers: .keys([key]), insecureIgnoreTransparencyLog: true)
        // Required: no trusted log, so no entry.
        #expect(throws: SignatureVerificationError.self) {
            try VerificationPolicy(trust: .init(trustedRoot: noLogs), signers: .keys([key]))
        }
        var annotations = layer.annotations
        // A body that is not a Rekor entry, under a log this root knows: `entry_body_invalid` inside the log helper.
        let rekorText = try #require(annotations[CosignLayer.rekorBundleAnnotation])
        var rekor = try #require(try JSONSerialization.jsonObject(with: Data(rekorText.utf8)) as? [String: Any])
        var payload = try #require(rekor["Payload"] as? [String: Any])
        payload["body"] = Data("{}".utf8).base64EncodedString()
        rekor["Payload"] = payload
        annotations[CosignLayer.rekorBundleAnnotation] = String(decoding: try JSONSerialization.data(withJSONObject: rekor), as: UTF8.self)
        let garbled = CosignLayer(mediaType: layer.mediaType, payload: layer.payload, annotations: annotations)
        let production = try VerificationPolicy(trust: .init(trustedRoot: try TrustedRoot.production()), signers: .keys([key]))
        for (verifier, candidate) in [(EvidenceVerifier(policy: policy), layer), (EvidenceVerifier(policy: production), garbled)] {
            let report = ContainersImage.report(verifier, candidate, imageDigest: try ContainersImage.imageDigest(fixture))
            let documented = Set(SignatureVerificationError.Code.allCases.map(\.rawValue))
            for reason in report.failureReasons { #expect(documented.contains(reason.rawValue), "\(reason) leaked") }
            #expect(!report.failureReasons.contains("log_key_unknown"))
            #expect(!report.failureReasons.contains("entry_body_invalid"))
        }
    }

    /// One vocabulary of check names: whatever the format, every check a report names is a `CheckName` constant
    /// (before: `certificate-chain` on one path, `certificate.chain` on the other).
    @Test func everyFormatReportsChecksFromOneVocabulary() throws {
        let known = Set(CheckName.documented)
        let fixture = "dir-img-cosign-fulcio-rekor-valid"
        let layer = try #require(try ContainersImage.layers(fixture).first)
        let cosign = ContainersImage.report(
            EvidenceVerifier(policy: try VerificationPolicy(trust: .init(trustedRoot: try TrustedRoot.production()),
                                                            signers: .identities([.init(issuer: .exact("https://github.com/login/oauth"), subject: .exact("mitr@redhat.com"))]))),
            layer, imageDigest: try ContainersImage.imageDigest(fixture))
        let bundle = try ConformancePolicy.verifier(root: try TrustedRoot.production())
            .verify(bundle: try Self.bundle("happy-path-v0.2"), artifact: try Self.digestArtifact())
        #expect(cosign.verified && bundle.verified)
        for report in [cosign, bundle] {
            for check in report.checks { #expect(known.contains(check.name), "\(check.name) is not in CheckName") }
        }
        // The same checks carry the same names in both formats.
        let shared: [CheckName] = [.signature, .artifact, .transparencyLogSET, .transparencyLogBody, .certificateChain,
                                   .certificateSCT, .certificateIdentity, .certificateIssuer]
        for name in shared {
            #expect(cosign.checks.contains { $0.name == name }, "cosign layer lacks \(name)")
            #expect(bundle.checks.contains { $0.name == name }, "bundle lacks \(name)")
        }
    }

    /// A Fulcio (trusted root) leaf must list code signing; a private CA's leaf may omit the EKU, as Go's x509 does
    /// (before: the cosign path accepted a leaf with no EKU whatever CA issued it).
    @Test func aPrivateCALeafWithoutEKUStillVerifies() throws {
        // The public side (a Fulcio leaf without EKU) cannot be made without Fulcio's key; the rule is in
        // VerificationRun.verifyCertificate, one place for every format. This pins the private side of it.
        let fixture = "dir-img-cosign-pki-valid"
        let root = try Certificate.parsePEM(String(contentsOf: ContainersImage.root.appendingPathComponent("pki_root_crts.pem"), encoding: .utf8))
        let intermediates = try Certificate.parsePEM(String(contentsOf: ContainersImage.root.appendingPathComponent("pki_intermediate_crts.pem"), encoding: .utf8))
        let layer = try #require(try ContainersImage.layers(fixture).first)
        let policy = try VerificationPolicy(trust: .init(certificateChain: intermediates + root),
                                            signers: .identities([.init(issuer: nil, subject: .exact("qiwan@redhat.com"))]),
                                            insecureIgnoreTransparencyLog: true)
        let report = ContainersImage.report(EvidenceVerifier(policy: policy), layer, imageDigest: try ContainersImage.imageDigest(fixture))
        #expect(report.verified, "\(report.checks)")
    }

    /// `-a n=1` is met only by the JSON string "1", never by the number 1 or the boolean true: payload values are
    /// compared as JSON, not coerced (before: numbers were turned into strings and matched).
    @Test func aNumberAnnotationDoesNotMeetAStringRequirement() throws {
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let json = #"{"critical":{"identity":{"docker-reference":"r.example/app"},"image":{"docker-manifest-digest":"\#(digest)"},"type":"cosign container image signature"},"optional":{"n":1,"b":true,"s":"1","timestamp":1700000000}}"#
        let payload = try SimpleSigningPayload(bytes: Array(json.utf8))
        #expect(payload.optional["n"] == nil)
        #expect(payload.optional["b"] == nil)
        #expect(payload.optional["s"] == "1")
        #expect(payload.timestamp == 1_700_000_000)
    }

    /// Where the trusted root pins a TSA leaf, a token must be signed by exactly that leaf, for every format (before:
    /// the cosign path accepted any certificate chaining to the TSA's root).
    @Test func aTimestampNotFromThePinnedTSALeafIsRefused() throws {
        let folder = BundleFixtures.conformance.appendingPathComponent("rekor2-happy-path")
        let bundle = try SigstoreBundle(contentsOfFile: folder.appendingPathComponent("bundle.sigstore.json").path)
        let rootURL = folder.appendingPathComponent("trusted_root.json")
        _ = try ConformancePolicy.verifier(root: try TrustedRoot(contentsOfFile: rootURL.path)).verify(bundle: bundle, artifact: try Self.digestArtifact())
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: rootURL)) as? [String: Any])
        var authorities = try #require(object["timestampAuthorities"] as? [[String: Any]])
        var chain = try #require(authorities[0]["certChain"] as? [String: Any])
        var certificates = try #require(chain["certificates"] as? [[String: Any]])
        try #require(certificates.count == 2)
        certificates[0] = certificates[1]   // the pinned "leaf" is now another certificate of the same TSA
        chain["certificates"] = certificates
        authorities[0]["certChain"] = chain
        object["timestampAuthorities"] = authorities
        let repinned = try TrustedRoot(json: try JSONSerialization.data(withJSONObject: object))
        let error = #expect(throws: SignatureVerificationError.self) {
            try ConformancePolicy.verifier(root: repinned).verify(bundle: bundle, artifact: try Self.digestArtifact())
        }
        #expect(error?.code == .timestampInvalid || error?.code == .noVerifiedTime, "\(error?.description ?? "")")
    }

    /// A leaf without the code-signing EKU is refused when it chains to a trusted root's CA (Fulcio's rule), while
    /// the same leaf passes under the same CA given as a private chain (before: the cosign path accepted a leaf with
    /// no EKU whatever CA issued it).
    @Test func aLeafWithoutCodeSigningEKUIsRefusedUnderATrustedRootCA() throws {
        let fixture = "dir-img-cosign-pki-valid"
        let layer = try #require(try ContainersImage.layers(fixture).first)
        let pem = { (name: String) in try Certificate.parsePEM(String(contentsOf: ContainersImage.root.appendingPathComponent(name), encoding: .utf8)) }
        let chain = try pem("pki_intermediate_crts.pem") + pem("pki_root_crts.pem")
        let asTrustedRoot = try Self.productionRoot { root in
            var authorities = root["certificateAuthorities"] as? [[String: Any]] ?? []
            var authority = authorities[0]
            authority["certChain"] = ["certificates": chain.map { ["rawBytes": Data($0.der).base64EncodedString()] }]
            authority["validFor"] = ["start": "2000-01-01T00:00:00Z"]
            authorities = [authority]
            root["certificateAuthorities"] = authorities
        }
        let policy = try VerificationPolicy(trust: .init(trustedRoot: asTrustedRoot),
                                            signers: .identities([.init(issuer: try .regexp(".*"), subject: .exact("qiwan@redhat.com"))]),
                                            insecureIgnoreTransparencyLog: true, insecureIgnoreSCT: true)
        let report = ContainersImage.report(EvidenceVerifier(policy: policy), layer, imageDigest: try ContainersImage.imageDigest(fixture))
        #expect(!report.verified)
        #expect(report.failureReasons == [.certificateChainInvalid], "\(report.checks)")
        let detail = report.checks.last?.detail.lowercased() ?? ""
        #expect(detail.contains("extended") || detail.contains("1.3.6.1.5.5.7.3.3"), "\(detail)")
    }
}
