import Foundation
import Testing
@testable import OCIImage

/// A small deterministic PRNG (SplitMix64) so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// distribution/reference's regular expressions (regexp.go, as implemented) with ASCII classes spelled out, run by
/// ICU: an independent implementation to compare the hand-written matcher against.
enum GoRegexps {
    static let alnum = "[a-z0-9]+"
    static let separator = "(?:[._]|__|[-]+)"
    static let pathComponent = "\(alnum)(?:\(separator)\(alnum))*"
    static let remoteName = "\(pathComponent)(?:/\(pathComponent))*"
    static let domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
    static let domainName = "\(domainComponent)(?:\\.\(domainComponent))*"
    static let host = "(?:\(domainName)|\\[(?:[a-fA-F0-9:]+)\\])"
    static let domainAndPort = "\(host)(?::[0-9]+)?"
    static let name = "(?:\(domainAndPort)/)?\(remoteName)"
    static let tag = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
    static let digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}"
    // Anchors \A and \z: ICU's $ would also match before a final newline, Go's does not.
    static let reference = try! NSRegularExpression(pattern: "\\A(\(name))(?::(\(tag)))?(?:@(\(digest)))?\\z")
    static let anchoredName = try! NSRegularExpression(pattern: "\\A(?:(\(domainAndPort))/)?(\(remoteName))\\z")

    static func submatches(_ regex: NSRegularExpression, _ s: String) -> [String]? {
        let ns = s as NSString
        guard let m = regex.firstMatch(in: s, range: NSRange(location: 0, length: ns.length)) else { return nil }
        return (1..<m.numberOfRanges).map { i in
            let r = m.range(at: i)
            return r.location == NSNotFound ? "" : ns.substring(with: r)
        }
    }
}

@Suite struct DifferentialTests {
    static let seeds = [
        "ubuntu", "library/redis:7", "docker.io/library/busybox:latest", "localhost:5000/a/b:c",
        "[2001:db8::1]:5000/repo:tag", "ghcr.io/org/app@sha256:" + String(repeating: "ab", count: 32),
        "a-b__c.d/e--f:g.h-i@sha512:" + String(repeating: "0", count: 128), "xn--n3h.com/x:y", "foo_bar.com:8080",
        "Asdf.com/foo/bar", "a/b@x+y.z-w_v:" + String(repeating: "F", count: 40),
    ]
    static let alphabet = Array("aZ09._-/:@[]+%~ \nA".unicodeScalars)

    /// Random edits of realistic references: the hand-written matcher must agree with the regular expressions on
    /// match / no match and on every submatch.
    @Test func matcherAgreesWithRegexps() {
        var rng = SplitMix64(state: 0x0C1_2026)
        var disagreements: [String] = []
        var matched = 0
        for round in 0..<20_000 {
            var scalars = Array(Self.seeds[round % Self.seeds.count].unicodeScalars)
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                let choice = Int.random(in: 0..<3, using: &rng)
                let position = Int.random(in: 0...scalars.count, using: &rng)
                let c = Self.alphabet[Int.random(in: 0..<Self.alphabet.count, using: &rng)]
                switch choice {
                case 0: scalars.insert(c, at: position)
                case 1: if position < scalars.count { scalars.remove(at: position) }
                default: if position < scalars.count { scalars[position] = c }
                }
            }
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars)
            let b = Array(text.utf8)
            let ours = ReferenceGrammar.matchReference(b).map { m in
                [b.string(m.name), m.tag.map { b.string($0) } ?? "", m.digest.map { b.string($0) } ?? ""]
            }
            if ours != GoRegexps.submatches(GoRegexps.reference, text) { disagreements.append(text) }
            if ours != nil { matched += 1 }
            let split = ReferenceGrammar.splitName(b, 0, b.count).map { [$0.domain.map { b.string($0) } ?? "", b.string($0.path)] }
            if split != GoRegexps.submatches(GoRegexps.anchoredName, text) { disagreements.append("name: " + text) }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
        #expect(matched > 2_000)  // the edits must leave enough valid references for the comparison to mean something
    }

    /// Whatever parses strictly prints back to itself and parses to the same value.
    @Test func parseRoundTrips() throws {
        var rng = SplitMix64(state: 42)
        for round in 0..<5_000 {
            var s = Array(Self.seeds[round % Self.seeds.count].unicodeScalars)
            if !s.isEmpty { s.remove(at: Int.random(in: 0..<s.count, using: &rng)) }
            var text = ""
            text.unicodeScalars.append(contentsOf: s)
            guard let ref = try? ImageReference.parse(text) else { continue }
            #expect(ref.string == text)
            #expect(try ImageReference.parse(ref.string) == ref)
            if let normalized = try? ImageReference(normalizing: text) {
                #expect(try ImageReference(normalizing: normalized.string) == normalized)
            }
        }
    }

    /// Random byte edits of real manifests never crash the decoder; every failure is an OCIError.
    @Test func manifestDecoderSurvivesMutations() throws {
        var rng = SplitMix64(state: 7)
        let names = ["image-spec_manifest_04_Manifest.json", "image-spec_image-index_09_Image-Index.json",
                     "containers-image/v2s2.manifest.json", "containers-image/ocilist-variants.json"]
        let originals = try names.map { [UInt8](try Fixtures.data("oci/manifests/" + $0)) }
        var decoded = 0
        for round in 0..<3_000 {
            var bytes = originals[round % originals.count]
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] = UInt8.random(in: 0...255, using: &rng)
            }
            do {
                _ = try Manifest.decode(bytes)
                decoded += 1
            } catch is OCIError {
            } catch {
                Issue.record("non-OCIError \(type(of: error)): \(error)")
            }
        }
        #expect(decoded > 0)
    }
}
