import CryptoPrimitives
import Foundation
import Testing
@testable import SignatureVerification

/// Fail-closed mutation tests: starting from real passing bundles, flipping any single byte of the artifact (or of
/// its digest) must turn pass into fail. `BundleEveryByteMutationTests` walks every byte of every signed field of the
/// bundles with these helpers, and `TimestampBitFlipTests` every bit of every RFC 3161 token.
@Suite struct BundleMutationTests {
    struct Case {
        let object: [String: Any]
        let verifier: EvidenceVerifier
        let artifact: Data

        init(_ name: String) throws {
            let folder = BundleFixtures.conformance.appendingPathComponent(name)
            object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("bundle.sigstore.json"))) as? [String: Any])
            let rootPath = folder.appendingPathComponent("trusted_root.json").path
            let root = FileManager.default.fileExists(atPath: rootPath) ? try TrustedRoot(contentsOfFile: rootPath) : try TrustedRoot.production()
            // Key-signed cases carry their key.pub (the conformance suite passes it as --key).
            let keyPath = folder.appendingPathComponent("key.pub").path
            if FileManager.default.fileExists(atPath: keyPath) {
                let key = try PublicKey(pem: String(contentsOfFile: keyPath, encoding: .utf8))
                verifier = EvidenceVerifier(policy: try ConformancePolicy.key(key, root: root))
            } else {
                verifier = try ConformancePolicy.verifier(root: root)
            }
            artifact = try Data(contentsOf: BundleFixtures.conformance.appendingPathComponent("a.txt"))
        }

        func passes(_ object: [String: Any], artifact: Artifact? = nil) -> Bool {
            guard let data = try? JSONSerialization.data(withJSONObject: object),
                  let bundle = try? SigstoreBundle(json: data) else { return false }
            return (try? verifier.verify(bundle: bundle, artifact: artifact ?? .bytes(self.artifact))) != nil
        }
    }

    /// Reads and writes a base64 field at a path of keys / array indexes.
    static func get(_ object: Any, _ path: [Any]) -> Any? {
        var current: Any? = object
        for step in path {
            if let key = step as? String { current = (current as? [String: Any])?[key] }
            else if let index = step as? Int { current = (current as? [Any]).flatMap { index < $0.count ? $0[index] : nil } }
        }
        return current
    }

    static func set(_ object: Any, _ path: [Any], _ value: Any) -> Any {
        guard let step = path.first else { return value }
        let rest = Array(path.dropFirst())
        if let key = step as? String, var dictionary = object as? [String: Any] {
            dictionary[key] = set(dictionary[key] as Any, rest, value)
            return dictionary
        }
        if let index = step as? Int, var array = object as? [Any] {
            array[index] = set(array[index], rest, value)
            return array
        }
        return object
    }

    @Test func unmodifiedCasesPass() async throws {
        for name in ["happy-path-v0.1", "happy-path-v0.3", "happy-path-intoto-in-dsse-v3", "rekor2-happy-path"] {
            let testCase = try Case(name)
            #expect(testCase.passes(testCase.object), "\(name) must pass unmodified")
        }
    }

    @Test(arguments: ["happy-path-v0.1", "rekor2-happy-path"])
    func artifactBytes(_ name: String) async throws {
        let testCase = try Case(name)
        #expect(testCase.passes(testCase.object, artifact: .bytes(testCase.artifact)))
        let digest = HashAlgorithm.sha256.hash(testCase.artifact)
        #expect(testCase.passes(testCase.object, artifact: .digest(.sha256, digest)))
        for position in testCase.artifact.indices {
            var mutated = testCase.artifact
            mutated[position] ^= 0x01
            #expect(!testCase.passes(testCase.object, artifact: .bytes(mutated)), "artifact byte \(position)")
            if position % 8 == 0 { await Task.yield() }
        }
        for position in digest.indices {
            var mutated = digest
            mutated[position] ^= 0x01
            #expect(!testCase.passes(testCase.object, artifact: .digest(.sha256, mutated)), "digest byte \(position)")
        }
    }
}
