import CryptoPrimitives
import Foundation
import Testing
@testable import SignatureVerification

/// Fail-closed mutation tests: starting from real passing bundles, flipping any single byte of the signature, the
/// certificate, the SET, an inclusion-proof hash or root, the checkpoint signature or the artifact must turn pass into
/// fail. For those fields every byte position is tried (exhaustive). For the larger fields that are covered by those
/// signatures anyway (DSSE payload, canonicalized body, RFC 3161 token) every 7th byte is tried, to keep the suite fast.
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
            verifier = try ConformancePolicy.verifier(root: root)
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

    /// Flips every byte of the base64 bytes field at `path` (one at a time) and returns the positions that still passed.
    /// Long loops yield to the test runner's cooperative pool now and then, so CPU-bound mutation loops on a small
    /// machine do not starve other (time-sensitive, async) tests running in parallel.
    static func survivors(_ testCase: Case, base64At path: [Any], stride step: Int = 1) async throws -> [Int] {
        let text = try #require(get(testCase.object, path) as? String)
        let bytes = try #require(protoBase64Decode(text))
        var survivors = [Int]()
        for position in Swift.stride(from: 0, to: bytes.count, by: step) {
            var mutated = bytes
            mutated[position] ^= 0x01
            let object = try #require(set(testCase.object, path, base64Encode(mutated)) as? [String: Any])
            if testCase.passes(object) { survivors.append(position) }
            if position % 8 == 0 { await Task.yield() }
        }
        return survivors
    }

    static let material = ["verificationMaterial"]

    @Test func unmodifiedCasesPass() async throws {
        for name in ["happy-path-v0.1", "happy-path-v0.3", "happy-path-intoto-in-dsse-v3", "rekor2-happy-path"] {
            let testCase = try Case(name)
            #expect(testCase.passes(testCase.object), "\(name) must pass unmodified")
        }
    }

    @Test(arguments: ["happy-path-v0.1"])
    func messageSignatureBytes(_ name: String) async throws {
        let testCase = try Case(name)
        #expect(try await Self.survivors(testCase, base64At: ["messageSignature", "signature"]).isEmpty)
    }

    @Test func dsseSignatureAndPayloadBytes() async throws {
        let testCase = try Case("happy-path-intoto-in-dsse-v3")
        #expect(try await Self.survivors(testCase, base64At: ["dsseEnvelope", "signatures", 0, "sig"]).isEmpty)
        #expect(try await Self.survivors(testCase, base64At: ["dsseEnvelope", "payload"], stride: 7).isEmpty)
    }

    @Test func certificateBytes() async throws {
        let v01 = try Case("happy-path-v0.1")
        #expect(try await Self.survivors(v01, base64At: Self.material + ["x509CertificateChain", "certificates", 0, "rawBytes"]).isEmpty)
    }

    @Test func signedEntryTimestampBytes() async throws {
        let testCase = try Case("happy-path-v0.1")
        #expect(try await Self.survivors(testCase, base64At: Self.material + ["tlogEntries", 0, "inclusionPromise", "signedEntryTimestamp"]).isEmpty)
    }

    @Test(arguments: ["happy-path-v0.1", "rekor2-happy-path"])
    func inclusionProofBytes(_ name: String) async throws {
        let testCase = try Case(name)
        let proofPath = Self.material + ["tlogEntries", 0, "inclusionProof"]
        let hashes = try #require(Self.get(testCase.object, proofPath + ["hashes"]) as? [String])
        #expect(!hashes.isEmpty)
        for index in hashes.indices {
            #expect(try await Self.survivors(testCase, base64At: proofPath + ["hashes", index]).isEmpty, "hash \(index)")
        }
        #expect(try await Self.survivors(testCase, base64At: proofPath + ["rootHash"]).isEmpty)
    }

    @Test(arguments: ["happy-path-v0.1", "rekor2-happy-path"])
    func checkpointSignatureBytes(_ name: String) async throws {
        let testCase = try Case(name)
        let path = Self.material + ["tlogEntries", 0, "inclusionProof", "checkpoint", "envelope"]
        let envelope = try #require(Self.get(testCase.object, path) as? String)
        let lines = envelope.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let signatureLines = lines.indices.filter { lines[$0].hasPrefix("\u{2014} ") }
        #expect(!signatureLines.isEmpty)
        var tried = 0
        for lineIndex in signatureLines {
            let parts = lines[lineIndex].split(separator: " ").map(String.init)
            guard parts.count == 3, let signature = protoBase64Decode(parts[2]) else { continue }
            // Only the log's own signature line matters; witness cosignatures may be ignored.
            var survivors = [Int]()
            for position in signature.indices {
                var mutated = signature
                mutated[position] ^= 0x01
                var newLines = lines
                newLines[lineIndex] = "\(parts[0]) \(parts[1]) \(base64Encode(mutated))"
                let object = try #require(Self.set(testCase.object, path, newLines.joined(separator: "\n")) as? [String: Any])
                if testCase.passes(object) { survivors.append(position) }
                tried += 1
                if tried % 8 == 0 { await Task.yield() }
            }
            #expect(survivors.isEmpty, "checkpoint line \(lineIndex): flips at \(survivors) still pass")
        }
        #expect(tried > 0)
    }

    @Test func timestampBytesOfARekorV2Bundle() async throws {
        // Rekor v2 has no integrated time: the RFC 3161 timestamp is the only verified time, so a flip in its signed
        // parts must fail the bundle. Signed parts of this TimeStampResp (offsets from `openssl asn1parse`): the
        // encapsulated TSTInfo [53, 247), the signed attributes [889, 1144) and the signature value [1156, end).
        // Outside them are the PKIStatus (byte 8: granted → grantedWithMods is still a grant), the CMS and SignerInfo
        // versions (bytes 34, 792), the embedded copy of the TSA certificate [247, 782) — unused, the TSA chain comes
        // from the trusted root — and the SignerInfo's signatureAlgorithm OID [1146, 1156), which OpenSSL does not
        // consult for EC keys (the digest algorithm and the key decide).
        let testCase = try Case("rekor2-happy-path")
        let path = Self.material + ["timestampVerificationData", "rfc3161Timestamps", 0, "signedTimestamp"]
        let survivors = try await Self.survivors(testCase, base64At: path, stride: 7)
        let signed = survivors.filter { (53..<247).contains($0) || (889..<1144).contains($0) || $0 >= 1156 }
        #expect(signed.isEmpty, "flips in signed parts at \(signed) still pass")
        #expect(survivors.allSatisfy { [8, 34, 792].contains($0) || (247..<782).contains($0) || (1146..<1156).contains($0) },
                "\(survivors)")
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

    @Test func canonicalizedBodyBytes() async throws {
        let testCase = try Case("happy-path-v0.1")
        #expect(try await Self.survivors(testCase, base64At: Self.material + ["tlogEntries", 0, "canonicalizedBody"], stride: 7).isEmpty)
    }
}
