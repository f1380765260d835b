import CryptoPrimitives
import Foundation
import Testing
@testable import SignatureVerification

/// Every single-bit flip of every byte of every RFC 3161 token in the conformance happy paths is rejected: the token
/// no longer parses, or no timestamp authority of the case's trusted root verifies it over the signature it covers.
/// Not a sample: bytes × 8 bits per distinct token (identical tokens shared by several cases are walked once).
@Suite struct TimestampBitFlipTests {
    struct TokenCase: Sendable, CustomStringConvertible {
        /// The conformance cases that carry this token (first one names it).
        let names: [String]
        let token: [UInt8]
        /// The bytes the timestamp covers: the bundle's signature.
        let signature: [UInt8]
        let trustedRoot: TrustedRoot
        var description: String { names.joined(separator: ", ") }
    }

    /// The happy-path (not `_fail`) conformance cases with RFC 3161 tokens, one entry per distinct token.
    static let cases: [TokenCase] = {
        var result: [TokenCase] = []
        for name in BundleFixtures.conformanceCases where !name.hasSuffix("_fail") {
            let folder = BundleFixtures.conformance.appendingPathComponent(name)
            guard let data = try? Data(contentsOf: folder.appendingPathComponent("bundle.sigstore.json")),
                  let bundle = try? SigstoreBundle(json: data), let signature = bundle.content.signatureBytes else { continue }
            let rootPath = folder.appendingPathComponent("trusted_root.json").path
            guard let root = FileManager.default.fileExists(atPath: rootPath)
                    ? try? TrustedRoot(contentsOfFile: rootPath) : try? TrustedRoot.production() else { continue }
            for token in bundle.rfc3161Timestamps {
                if let index = result.firstIndex(where: { $0.token == token }) {
                    let existing = result[index]
                    result[index] = TokenCase(names: existing.names + [name], token: token, signature: existing.signature,
                                              trustedRoot: existing.trustedRoot)
                } else {
                    result.append(TokenCase(names: [name], token: token, signature: signature, trustedRoot: root))
                }
            }
        }
        return result
    }()

    /// A trusted timestamp authority's certificates as the verifiers use them: the last is the root; with more than
    /// one, the first is the pinned leaf and the rest are intermediates.
    struct Authority {
        let roots: [Certificate]
        let intermediates: [Certificate]
        let leaf: Certificate?

        init(_ certificatesDER: [[UInt8]]) throws {
            let certificates = try certificatesDER.map { try Certificate(der: $0) }
            let root = try #require(certificates.last)
            roots = [root]
            leaf = certificates.count > 1 ? certificates.first : nil
            intermediates = certificates.count > 2 ? Array(certificates.dropFirst().dropLast()) : []
        }
    }

    /// True when `der` parses and one of `authorities` verifies it over `signature`.
    static func verifies(_ der: [UInt8], signature: [UInt8], authorities: [Authority]) -> Bool {
        guard let token = try? TimestampToken(der: der) else { return false }
        return authorities.contains { authority in
            (try? token.verify(message: signature, roots: authority.roots, intermediates: authority.intermediates,
                               leaf: authority.leaf)) != nil
        }
    }

    @Test func theHappyPathsCarryTokens() {
        // 14 happy-path cases carry a token, 8 distinct ones: six cases share rekor2-happy-path's.
        #expect(Self.cases.count == 8, "\(Self.cases.map(\.description))")
        #expect(Self.cases.contains { $0.names.contains("rekor2-happy-path") && $0.token.count == 1262 })
    }

    @Test(arguments: cases)
    func everyBitFlipOfEveryByteIsRejected(_ testCase: TokenCase) async throws {
        let authorities = try testCase.trustedRoot.timestampAuthorities.map { try Authority($0.certificatesDER) }
        #expect(Self.verifies(testCase.token, signature: testCase.signature, authorities: authorities),
                "\(testCase): the unmodified token must verify")
        var accepted: [String] = []
        for position in testCase.token.indices {
            for bit in 0..<8 {
                var mutated = testCase.token
                mutated[position] ^= UInt8(1) << bit
                if Self.verifies(mutated, signature: testCase.signature, authorities: authorities) {
                    accepted.append("\(position).\(bit)")
                }
            }
            if position % 4 == 0 { await Task.yield() }
        }
        let acceptedBytes = Set(accepted.map { $0.prefix { $0 != "." } }).count
        #expect(accepted.isEmpty,
                "\(testCase): \(accepted.count) of \(testCase.token.count * 8) single-bit flips (in \(acceptedBytes) of \(testCase.token.count) bytes) still verify: \(accepted.prefix(40).joined(separator: " "))")
    }
}
