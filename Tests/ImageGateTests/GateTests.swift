import Foundation
import Testing
@testable import ImageGate

/// The library side of `verify-image gate`: policy-controller semantics over the examples/maestro layout (real
/// production Rekor and Fulcio evidence from containers/image's fixtures).
@Suite("Gate")
struct GateTests {
    static let layout = packageRoot.appendingPathComponent("examples/maestro/layout").path
    static let digest = "sha256:0489474da8ea22426ece86ace6c1c0026ab2fd3cdfbbd62b7e94650266c37d9a"
    static let keyImage = "192.168.64.2:5000/cosign-signed/key-1@" + digest
    static let keylessImage = "192.168.64.2:5000/cosign-signed/fulcio-rekor-1@" + digest
    static let releaseKey = """
        -----BEGIN PUBLIC KEY-----
        MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEwOkOF9xpfG8ghueIhnZ66ooujwt1
        +ReV3HupgKnGFYnEh3Hh1YTg5L6kN1Yakkt5WltRoav8/R3hpCtUO3Rldw==
        -----END PUBLIC KEY-----
        """

    static func gate(_ yaml: String, options: GateOptions = GateOptions()) throws -> Gate {
        let policies = try PolicySet.load(files: [.init(path: "policy.yaml", bytes: Data(yaml.utf8))])
        return try Gate(policies: policies, source: try OCILayoutSource(path: layout), options: options)
    }

    static func policy(name: String = "p", mode: String = "enforce", glob: String = "192.168.64.2:5000/cosign-signed/**",
                       authorities: String) -> String {
        """
        apiVersion: policy.sigstore.dev/v1beta1
        kind: ClusterImagePolicy
        metadata: {name: \(name)}
        spec:
          mode: \(mode)
          images: [{glob: "\(glob)"}]
          authorities:
        \(authorities)
        """
    }

    static let keyAuthority = """
          - name: release-key
            key:
              data: |
        \(releaseKey.split(separator: "\n").map { "          " + $0 }.joined(separator: "\n"))
            ctlog: {url: https://rekor.sigstore.dev}
        """
    static let keylessAuthority = """
          - name: release-keyless
            keyless:
              identities:
              - {issuer: https://github.com/login/oauth, subject: mitr@redhat.com}
        """

    @Test("one image, one policy: the key authority with a Rekor entry passes; the keyless one fails on the same image")
    func authorities() async throws {
        let gate = try Self.gate(Self.policy(authorities: Self.keyAuthority + "\n" + Self.keylessAuthority))
        let image = await gate.evaluate(image: Self.keyImage, at: Date())
        #expect(image.decision == .pass)
        #expect(image.policies.first?.passedBy == "release-key")
        #expect(image.policies.first?.authorities[1].decision == .fail)
        let keyless = await gate.evaluate(image: Self.keylessImage, at: Date())
        #expect(keyless.decision == .pass)
        #expect(keyless.policies.first?.passedBy == "release-keyless")
    }

    @Test("every matching policy must pass: a second policy that fails denies the image")
    func everyPolicy() async throws {
        let yaml = Self.policy(name: "a", authorities: Self.keyAuthority) + "\n---\n"
            + Self.policy(name: "b", glob: "**", authorities: Self.keylessAuthority)
        let image = await (try Self.gate(yaml)).evaluate(image: Self.keyImage, at: Date())
        #expect(image.policies.map(\.policy) == ["a", "b"])
        #expect(image.policies.map(\.decision) == [.pass, .fail])
        #expect(image.decision == .fail)
        #expect(image.reasons.contains("policy_failed"))
    }

    @Test("mode: warn reports a failing policy without failing the image")
    func warnMode() async throws {
        let yaml = Self.policy(name: "a", authorities: Self.keyAuthority) + "\n---\n"
            + Self.policy(name: "b", mode: "warn", glob: "**", authorities: Self.keylessAuthority)
        let image = await (try Self.gate(yaml)).evaluate(image: Self.keyImage, at: Date())
        #expect(image.decision == .pass)
        #expect(image.warnings.contains { $0.contains("policy b (mode: warn)") })
    }

    @Test("static authorities: pass admits without evidence, fail denies with its message")
    func staticAuthorities() async throws {
        let pass = await (try Self.gate(Self.policy(authorities: "  - static: {action: pass}"))).evaluate(image: "nginx@sha256:" + String(repeating: "0123456789abcdef", count: 4).shuffledHex(), at: Date())
        #expect(pass.decision == .fail)  // nginx matches no policy: denied by default
        let allowAll = await (try Self.gate(Self.policy(glob: "**", authorities: "  - static: {action: pass}"))).evaluate(image: Self.keyImage, at: Date())
        #expect(allowAll.decision == .pass)
        let deny = await (try Self.gate(Self.policy(authorities: "  - static: {action: fail, message: frozen}"))).evaluate(image: Self.keyImage, at: Date())
        #expect(deny.decision == .fail)
        #expect(deny.policies.first?.authorities.first?.message == "frozen")
    }

    @Test("a key authority without ctlog does not require the log; with ctlog a signature without an entry fails")
    func transparencyLogRequirement() async throws {
        // The key-1 signature carries a Rekor bundle: it passes either way; an unsigned image fails either way.
        let noLog = Self.keyAuthority.replacingOccurrences(of: "    ctlog: {url: https://rekor.sigstore.dev}", with: "")
        let gate = try Self.gate(Self.policy(authorities: noLog))
        #expect(gate.checks[0][0].authority.requiresTransparencyLog == false)
        #expect(await gate.evaluate(image: Self.keyImage, at: Date()).decision == .pass)
    }

    @Test("an unpinned image fails on its pin and is not fetched; unmatched pinned images follow --no-match")
    func pinsAndNoMatch() async throws {
        var options = GateOptions()
        let gate = try Self.gate(Self.policy(authorities: Self.keyAuthority), options: options)
        let tag = await gate.evaluate(image: "192.168.64.2:5000/cosign-signed/key-1:v1.4.2", at: Date())
        #expect(tag.decision == .fail)
        #expect(tag.status == "tag")
        #expect(tag.fix?.contains("pin it by digest") == true)
        let other = "ghcr.io/other/app@sha256:" + "3b0f78b718417dfa432fd8da26d0e3ac4ca3566d0825b0d2b056ccc4dd29e644"
        #expect(await gate.evaluate(image: other, at: Date()).decision == .fail)
        options.noMatch = .warn
        let warned = await (try Self.gate(Self.policy(authorities: Self.keyAuthority), options: options)).evaluate(image: other, at: Date())
        #expect(warned.decision == .pass)
        #expect(!warned.warnings.isEmpty)
    }

    @Test("a missing image is a failure of the policy, never a pass")
    func missingImage() async throws {
        let gate = try Self.gate(Self.policy(authorities: Self.keyAuthority))
        let absent = "192.168.64.2:5000/cosign-signed/key-1@sha256:3b0f78b718417dfa432fd8da26d0e3ac4ca3566d0825b0d2b056ccc4dd29e644"
        let image = await gate.evaluate(image: absent, at: Date())
        #expect(image.decision != .pass)
    }

    @Test("an rfc3161timestamp requirement is refused rather than weakened")
    func timestampRefused() throws {
        let yaml = """
            apiVersion: policy.sigstore.dev/v1alpha1
            kind: TrustRoot
            metadata: {name: tsa}
            spec:
              sigstoreKeys:
                certificateAuthorities: []
            ---
            """ + "\n" + Self.policy(authorities: Self.keyAuthority + "\n    rfc3161timestamp: {trustRootRef: tsa}")
        #expect(throws: ImageGateError.self) { _ = try Self.gate(yaml) }
    }
}

private extension String {
    /// A deterministic non-placeholder hex string of the same length.
    func shuffledHex() -> String {
        String(HashAlgorithm.sha256.hash(Array(utf8)).hexString.prefix(64))
    }
}
