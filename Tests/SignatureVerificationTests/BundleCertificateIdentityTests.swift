import CryptoPrimitives
import Foundation
import Testing
@testable import SignatureVerification

@Suite struct BundleCertificateIdentityTests {
    static func leaf(_ file: String) throws -> Certificate {
        let bundle = try SigstoreBundle(contentsOfFile: BundleFixtures.path(file))
        let der = try #require(bundle.verificationMaterial.leafCertificateDER)
        return try Certificate(der: der)
    }

    @Test func githubWorkflowCertificate() throws {
        let identity = try CertificateIdentity(certificate: Self.leaf("sigstore-python/bundle_v3_github.whl.sigstore"))
        #expect(identity.sanKind == .uri)
        #expect(identity.subjectAlternativeName == "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2")
        #expect(identity.issuer == "https://token.actions.githubusercontent.com")
        let values = identity.extensions.values
        // Values read from the certificate (sigstore-python test_policy.py uses the same ones).
        #expect(values["issuerV1"] == "https://token.actions.githubusercontent.com")
        #expect(values["githubWorkflowTrigger"] == "release")
        #expect(values["githubWorkflowSHA"] == "d8b4a6445f38c48b9137a8099706d9b8073146e4")
        #expect(values["githubWorkflowName"] == "release")
        #expect(values["githubWorkflowRepository"] == "trailofbits/rfc8785.py")
        #expect(values["githubWorkflowRef"] == "refs/tags/v0.1.2")
        #expect(values["sourceRepositoryURI"] == "https://github.com/trailofbits/rfc8785.py")
        #expect(values["sourceRepositoryRef"] == "refs/tags/v0.1.2")
        #expect(values["runnerEnvironment"] == "github-hosted")
        #expect(values["buildTrigger"] == "release")
        #expect(values["buildSignerURI"] == identity.subjectAlternativeName)
    }

    @Test func exactAndRegexpPolicies() throws {
        let identity = try CertificateIdentity(certificate: Self.leaf("sigstore-python/bundle_v3_github.whl.sigstore"))
        let issuer = StringMatcher.exact("https://token.actions.githubusercontent.com")
        try identity.check(identity: .exact(identity.subjectAlternativeName), issuer: issuer, extensions: [:])
        try identity.check(identity: StringMatcher.regexp("https://github\\.com/trailofbits/.*"), issuer: issuer,
                           extensions: ["sourceRepositoryRef": "refs/tags/v0.1.2"])
        let wrongIdentity = #expect(throws: SignatureVerificationError.self) {
            try identity.check(identity: StringMatcher.regexp("https://github\\.com/trailofbits/"), issuer: issuer, extensions: [:])
        }
        #expect(wrongIdentity?.code == .identityMismatch)
        let wrongIssuer = #expect(throws: SignatureVerificationError.self) {
            try identity.check(identity: .exact(identity.subjectAlternativeName), issuer: .exact("https://accounts.google.com"), extensions: [:])
        }
        #expect(wrongIssuer?.code == .issuerMismatch)
        let wrongExtension = #expect(throws: SignatureVerificationError.self) {
            try identity.check(identity: .exact(identity.subjectAlternativeName), issuer: issuer,
                               extensions: ["sourceRepositoryRef": "refs/heads/main"])
        }
        #expect(wrongExtension?.code == .identityMismatch)
    }

    @Test func emailCertificate() throws {
        let identity = try CertificateIdentity(certificate: Self.leaf("sigstore-python/bundle_v3.txt.sigstore"))
        #expect(identity.sanKind == .email)
        #expect(identity.subjectAlternativeName == "william@yossarian.net")
        #expect(identity.issuer == "https://github.com/login/oauth")
    }

    @Test func otherNameCertificate() throws {
        let identity = try CertificateIdentity(certificate: Self.leaf("sigstore-go/othername.sigstore.json"))
        #expect(identity.sanKind == .otherName)
        #expect(identity.subjectAlternativeName == "foo!oidc.local")
        #expect(identity.issuer == "http://oidc.local:8080")
    }

    @Test func legacyIssuerOnlyCertificate() throws {
        // A 2022 certificate: only the deprecated OID .1 (raw string) carries the issuer.
        let certificate = try Self.leaf("sigstore-go/dsse.sigstore.json")
        #expect(certificate.extensionValue(oid: "1.3.6.1.4.1.57264.1.8") == nil)
        let identity = try CertificateIdentity(certificate: certificate)
        #expect(identity.issuer == "https://github.com/login/oauth")
        #expect(identity.subjectAlternativeName == "brian@dehamer.com")
    }
}
