import Foundation
import TestSupport
import Testing
import ImageGate

/// The one policy type refuses incoherent combinations with `policy_invalid`, and the CLI's flags become a policy
/// only through `PolicyOptions`.
struct PolicyTests {
    static func options(_ change: (inout PolicyOptions) -> Void) -> PolicyOptions {
        var options = PolicyOptions()
        change(&options)
        return options
    }

    static let incoherent: [(String, PolicyOptions)] = [
        ("no signer", options { _ in }),
        ("key and identity", options { $0.keyFiles = ["k.pub"]; $0.identity = "a"; $0.issuer = "b" }),
        ("key and issuer", options { $0.keyFiles = ["k.pub"]; $0.issuer = "b" }),
        ("identity exact and regexp", options { $0.identity = "a"; $0.identityRegexp = "a"; $0.issuer = "b" }),
        ("issuer exact and regexp", options { $0.identity = "a"; $0.issuer = "b"; $0.issuerRegexp = "b" }),
        ("keyless without issuer", options { $0.identity = "a" }),
        ("type without attestations", options { $0.keyFiles = ["k.pub"]; $0.predicateType = "spdx" }),
        ("annotation without =", options { $0.keyFiles = ["k.pub"]; $0.annotations = ["novalue"] }),
        ("annotation with empty key", options { $0.keyFiles = ["k.pub"]; $0.annotations = ["=v"] }),
        ("repeated annotation, two values", options { $0.keyFiles = ["k.pub"]; $0.annotations = ["env=prod", "env=dev"] }),
        ("annotations with attestations", options { $0.keyFiles = ["k.pub"]; $0.attestations = true; $0.annotations = ["a=b"] }),
        ("staging and trusted root", options { $0.keyFiles = ["k.pub"]; $0.stagingTrustedRoot = true; $0.trustedRootFile = "r.json" }),
    ]

    @Test(arguments: incoherent.map(\.0))
    func incoherentOptionsAreRefusedBeforeAnyFileIsRead(_ name: String) throws {
        let options = try #require(Self.incoherent.first { $0.0 == name }?.1)
        let error = #expect(throws: SignatureVerificationError.self) { try options.validate() }
        #expect(error?.code == .policyInvalid, "\(name): \(error?.description ?? "")")
    }

    /// The flags and the library refuse the same incoherence with the same words: each rule is written once
    /// (`PolicyRules`), not once per layer.
    @Test func flagsAndTheLibraryShareEachRule() throws {
        let root = try TrustedRoot.production()
        let key = try PublicKey(pem: String(contentsOf: PackagePaths.testdata("images/keys/signer.pub"), encoding: .utf8))
        func message(_ body: () throws -> Void) -> String? {
            do { try body() } catch let error as SignatureVerificationError where error.code == .policyInvalid {
                return error.message
            } catch { return "unexpected \(error)" }
            return nil
        }
        let pairs: [(String, () throws -> Void, () throws -> Void)] = [
            ("no signer", { try Self.options { _ in }.validate() },
             { _ = try VerificationPolicy(trust: .init(trustedRoot: root), signers: .keys([])) }),
            ("identity without issuer", { try Self.options { $0.identity = "a@example.com" }.validate() },
             { _ = try VerificationPolicy(trust: .init(trustedRoot: root),
                                          signers: .identities([.init(issuer: nil, subject: .exact("a@example.com"))])) }),
            ("annotations with attestations",
             { try Self.options { $0.keyFiles = ["k.pub"]; $0.attestations = true; $0.annotations = ["a=b"] }.validate() },
             { _ = try VerificationPolicy(trust: .init(trustedRoot: root), signers: .keys([key]),
                                          evidence: .attestations(predicateType: nil), requiredAnnotations: ["a": "b"]) }),
            ("annotation with empty key", { try Self.options { $0.keyFiles = ["k.pub"]; $0.annotations = ["=v"] }.validate() },
             { _ = try VerificationPolicy(trust: .init(trustedRoot: root), signers: .keys([key]), requiredAnnotations: ["": "v"]) }),
        ]
        for (name, flags, library) in pairs {
            let fromFlags = message(flags)
            #expect(fromFlags != nil, "\(name): the flags are accepted")
            #expect(fromFlags == message(library), "\(name)")
        }
    }

    @Test func theSameAnnotationTwiceWithOneValueIsFine() throws {
        try Self.options { $0.keyFiles = ["k.pub"]; $0.annotations = ["env=prod", "env=prod", "empty="] }.validate()
    }

    @Test func keyFlagsBecomeAKeyPolicyWithEveryKey() throws {
        let policy = try Self.options {
            $0.keyFiles = ["keys/fixture-signer.pub", "testdata/images/keys/other.pub"].map { packageRoot.appendingPathComponent($0).path }
            $0.insecureIgnoreTransparencyLog = true
            $0.annotations = ["env=prod"]
        }.makePolicy()
        guard case .keys(let keys) = policy.signers else {
            Issue.record("expected keys")
            return
        }
        #expect(keys.count == 2)
        #expect(policy.requiredAnnotations == ["env": "prod"])
        #expect(policy.trust.trustedRoot == nil)   // nothing would use it
        #expect(!policy.requiresTransparencyLog)
    }

    @Test func keylessFlagsKeepTheProductionRootExplicitly() throws {
        let policy = try Self.options { $0.identity = "a@example.com"; $0.issuer = "https://accounts.example.com" }.makePolicy()
        #expect(policy.trust.trustedRoot != nil)
        #expect(policy.trust.certificateChain == nil)
        guard case .identities(let identities) = policy.signers else {
            Issue.record("expected identities")
            return
        }
        #expect(identities == [.init(issuer: .exact("https://accounts.example.com"), subject: .exact("a@example.com"))])
    }

    @Test func missingAndUnusableFilesNameTheFlag() throws {
        let missing = #expect(throws: SignatureVerificationError.self) {
            try Self.options { $0.keyFiles = ["/nonexistent.pub"] }.makePolicy()
        }
        #expect(missing?.code == .inputUnreadable)
        #expect(missing?.message.contains("--key /nonexistent.pub") == true)
        let garbage = #expect(throws: SignatureVerificationError.self) {
            try Self.options { $0.keyFiles = [packageRoot.appendingPathComponent("README.md").path] }.makePolicy()
        }
        #expect(garbage?.code == .policyInvalid)
        let regexp = #expect(throws: SignatureVerificationError.self) {
            try Self.options { $0.identityRegexp = "(unclosed"; $0.issuer = "x" }.makePolicy()
        }
        #expect(regexp?.code == .policyInvalid)
    }

    @Test func theInitializerRefusesIncoherentTrust() throws {
        let key = try PublicKey(pem: String(contentsOf: packageRoot.appendingPathComponent("keys/fixture-signer.pub"), encoding: .utf8))
        let production = try TrustedRoot.production()
        let identity = VerificationPolicy.Identity(issuer: nil, subject: .exact("a@example.com"))
        let cases: [(String, () throws -> VerificationPolicy)] = [
            ("no keys", { try VerificationPolicy(trust: .init(trustedRoot: production), signers: .keys([])) }),
            ("no identities", { try VerificationPolicy(trust: .init(trustedRoot: production), signers: .identities([])) }),
            ("identities without any CA", { try VerificationPolicy(trust: .init(), signers: .identities([identity]), insecureIgnoreTransparencyLog: true) }),
            ("any issuer under a public CA", { try VerificationPolicy(trust: .init(trustedRoot: production), signers: .identities([identity])) }),
            ("a log required without log keys", { try VerificationPolicy(trust: .init(), signers: .keys([key])) }),
            ("an empty private chain", { try VerificationPolicy(trust: .init(certificateChain: []), signers: .identities([identity]), insecureIgnoreTransparencyLog: true) }),
            ("a zero threshold instead of insecure…", { try VerificationPolicy(trust: .init(trustedRoot: production), signers: .keys([key]), thresholds: .init(transparencyLogEntries: 0)) }),
            ("timestamps required without a TSA", { try VerificationPolicy(trust: .init(), signers: .keys([key]), thresholds: .init(timestamps: 1), insecureIgnoreTransparencyLog: true) }),
            ("insecure SCT with keys", { try VerificationPolicy(trust: .init(trustedRoot: production), signers: .keys([key]), insecureIgnoreSCT: true) }),
            ("annotations on attestations", { try VerificationPolicy(trust: .init(trustedRoot: production), signers: .keys([key]), evidence: .attestations(predicateType: nil), requiredAnnotations: ["a": "b"]) }),
        ]
        for (name, make) in cases {
            let error = #expect(throws: SignatureVerificationError.self, "\(name)") { try make() }
            #expect(error?.code == .policyInvalid, "\(name)")
        }
    }
}
