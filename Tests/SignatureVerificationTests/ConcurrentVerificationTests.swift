import Foundation
import Testing
import SignatureVerification

/// One verifier shared by concurrent verifications, as ImageGate and the admission server use it. Its trusted material
/// (log keys, CT keys, CAs, TSAs) is prepared on first use under a lock; the first uses race here on purpose.
/// Under `scripts/sanitize.sh thread` this reproduced a data race (fixed in `PreparedMaterial.value`: the tables were
/// passed `inout`, an access begun outside the lock); in a normal run it checks that every verification still passes.
struct ConcurrentVerificationTests {
    @Test func aFreshVerifierPreparesItsTrustedMaterialSafelyUnderConcurrentFirstUse() async throws {
        let verifier = try ConformancePolicy.verifier(root: try TrustedRoot.production())
        let artifact = try Data(contentsOf: BundleFixtures.conformance.appendingPathComponent("a.txt"))
        let names = ["happy-path-v0.1", "happy-path-v0.2", "happy-path-v0.3", "happy-path-intoto-in-dsse-v3"]
        let bundles = try names.map {
            try SigstoreBundle(contentsOfFile: BundleFixtures.conformance.appendingPathComponent("\($0)/bundle.sigstore.json").path)
        }
        let passed = await withTaskGroup(of: Bool.self) { group in
            for round in 0..<16 {
                let bundle = bundles[round % bundles.count]
                group.addTask { (try? verifier.verify(bundle: bundle, artifact: .bytes(artifact))) != nil }
            }
            return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(passed == 16)
    }
}
