import Foundation
import Testing
@testable import OCIImage

/// One vector of testdata/oci/reference_vectors.json: its table, position and fields.
struct ReferenceVector: Sendable, CustomTestStringConvertible {
    let test: String
    let tableVar: String
    let index: Int
    let fields: [String: JSONValue]

    var testDescription: String {
        let input = fields["input"]?.string ?? fields["Reference"]?.string ?? fields["name"]?.string
            ?? fields["FullName"]?.string ?? fields["reference"]?.string ?? ""
        return "\(test)/\(tableVar)#\(index) \(input.prefix(80))"
    }

    func s(_ key: String) -> String? { fields[key]?.string }
    /// A string field where absent means "" (Go zero value).
    func z(_ key: String) -> String { fields[key]?.string ?? "" }
    var valid: Bool { fields["valid"]?.bool ?? true }

    static func loadAll() -> [ReferenceVector] {
        guard let data = try? Fixtures.data("oci/reference_vectors.json"),
              let root = try? JSONDecoder().decode(JSONValue.self, from: data),
              let tables = root["tables"]?.array else { return [] }
        var out: [ReferenceVector] = []
        for table in tables {
            let test = table["test"]?.string ?? "?"
            let tableVar = table["table_var"]?.string ?? "single"
            for (i, c) in (table["cases"]?.array ?? []).enumerated() {
                // The "single-case tests" table names the Go test on each case.
                out.append(ReferenceVector(test: c["test"]?.string ?? test, tableVar: tableVar, index: i,
                                           fields: c.object ?? [:]))
            }
        }
        return out
    }
}

/// The Go tests link only crypto/sha256, so go-digest knows sha256 alone; the vectors (e.g. a sha512 digest that
/// must fail as unsupported) encode that, so they run with the same set.
private let goTestAlgorithms: Set<DigestAlgorithm> = [.sha256]

private func errorMessage(_ body: () throws -> Any) -> String? {
    do { _ = try body(); return nil } catch let e as ReferenceError { return e.message } catch { return "\(error)" }
}

@Suite("distribution/reference vectors")
struct ReferenceVectorTests {
    static let vectors = ReferenceVector.loadAll()

    @Test func allVectorsLoaded() {
        #expect(Self.vectors.count == 324)
        #expect(Set(Self.vectors.map(\.test)).count == 21)
    }

    @Test(arguments: vectors)
    func vector(_ v: ReferenceVector) throws {
        switch v.test {
        case "TestReferenceParse":
            if v.valid {
                let r = try ImageReference.parse(v.z("input"), availableAlgorithms: goTestAlgorithms)
                #expect(r.string == v.z("input"))
                #expect(r.name == v.z("repository"))
                #expect(r.domain == v.z("domain"))
                #expect(r.path == v.z("derived_path"))
                #expect((r.tag ?? "") == v.z("tag"))
                #expect((r.digest?.string ?? "") == v.z("digest"))
            } else {
                #expect(errorMessage { try ImageReference.parse(v.z("input"), availableAlgorithms: goTestAlgorithms) }
                        == v.s("error_message"))
            }
        case "TestWithNameFailure":
            #expect(errorMessage { try ImageReference.withName(v.z("input")) } == v.s("error_message"))
        case "TestDomainAndPath":
            let r = try ImageReference.withName(v.z("input"))
            #expect(r.domain == v.z("domain"))
            #expect(r.path == v.z("path"))
        case "TestSerialization":
            // As in Go: JSON-unmarshal {"Field": input} (strict parse), then marshal it back.
            struct Wrapper: Codable { let Field: ImageReference }
            let json = try JSONSerialization.data(withJSONObject: ["Field": v.z("input")])
            if v.valid {
                let r = try JSONDecoder().decode(Wrapper.self, from: json).Field
                #expect(r.name == v.z("name"))
                #expect((r.tag ?? "") == v.z("tag"))
                #expect((r.digest?.string ?? "") == v.z("digest"))
                let again = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(Wrapper(Field: r))) as? [String: String]
                #expect(again == ["Field": v.z("input")])
            } else {
                var message: String?
                do { _ = try JSONDecoder().decode(Wrapper.self, from: json) } catch {
                    if case DecodingError.dataCorrupted(let ctx) = error { message = (ctx.underlyingError as? ReferenceError)?.message }
                }
                #expect(message == v.s("error_message"))
            }
        case "TestWithTag":
            var r = try ImageReference.withName(v.z("name"))
            if let d = v.s("digest") { r = try r.withDigest(d) }
            r = try r.withTag(v.z("tag"))
            #expect(r.string == v.z("combined"))
        case "TestWithDigest":
            var r = try ImageReference.withName(v.z("name"))
            if let t = v.s("tag") { r = try r.withTag(t) }
            r = try r.withDigest(v.z("digest"))
            #expect(r.string == v.z("combined"))
        case "TestParseNamed":
            if v.valid {
                let r = try ImageReference.parseNamed(v.z("input"), availableAlgorithms: goTestAlgorithms)
                #expect(r.domain == v.z("domain"))
                #expect(r.path == v.z("path"))
            } else {
                #expect(errorMessage { try ImageReference.parseNamed(v.z("input"), availableAlgorithms: goTestAlgorithms) }
                        == v.s("error_message"))
            }
        case "TestValidateReferenceName", "TestValidateRemoteName":
            let result = Result { try ImageReference(normalizing: v.z("input"), availableAlgorithms: goTestAlgorithms) }
            if v.valid {
                #expect(throws: Never.self) { try result.get() }
            } else {
                #expect(throws: ReferenceError.self) { try result.get() }
            }
        case "TestParseRepositoryInfo":
            for key in ["FamiliarName", "FullName", "AmbiguousName"] {
                guard let spelling = v.s(key), !spelling.isEmpty else { continue }
                let r = try ImageReference(normalizing: spelling, availableAlgorithms: goTestAlgorithms)
                #expect(r.familiarName == v.z("FamiliarName"), "\(key)")
                #expect(r.string == v.z("FullName"), "\(key)")
                #expect(r.domain == v.z("Domain"), "\(key)")
                #expect(r.path == v.z("RemoteName"), "\(key)")
            }
        case "TestParseAnyReference":
            let r = try AnyReference.parse(v.z("Reference"), availableAlgorithms: goTestAlgorithms)
            #expect(r.description == v.z("Equivalent"))
            if let expected = v.fields["Expected"]?["digestReference"]?.string {
                #expect(r == .digest(try Digest(validating: expected)))
            } else {
                #expect(r == .named(try ImageReference.parse(v.z("Equivalent"), availableAlgorithms: goTestAlgorithms)))
            }
        case "TestNormalizedSplitHostname":
            let r = try ImageReference(normalizing: v.z("input"), availableAlgorithms: goTestAlgorithms)
            #expect(r.domain == v.z("domain"))
            #expect(r.path == v.z("path"))
        case "TestMatch":
            let r = try AnyReference.parse(v.z("reference"), availableAlgorithms: goTestAlgorithms)
            #expect(try r.familiarMatch(v.z("pattern")) == (v.fields["expected"]?.bool ?? false))
        case "TestParseDockerRef":
            let r = try ImageReference.parseDockerReference(v.z("input"), availableAlgorithms: goTestAlgorithms)
            #expect(r.string == v.z("expected"))
            #expect(throws: Never.self) { try ImageReference.parse(v.z("expected"), availableAlgorithms: goTestAlgorithms) }
        case "TestDomainRegexp":
            let b = Array(v.z("input").utf8)
            #expect(ReferenceGrammar.isDomainAndPort(b, 0, b.count) == v.fields["match"]?.bool)
        case "TestFullNameRegexp":
            let b = Array(v.z("input").utf8)
            let split = ReferenceGrammar.splitName(b, 0, b.count)
            #expect((split != nil) == v.fields["match"]?.bool)
            if let split, let subs = v.fields["subs"]?.array?.compactMap(\.string) {
                #expect([split.domain.map { b.string($0) } ?? "", b.string(split.path)] == subs)
            }
        case "TestReferenceRegexp":
            let b = Array(v.z("input").utf8)
            let m = ReferenceGrammar.matchReference(b)
            #expect((m != nil) == v.fields["match"]?.bool)
            if let m, let subs = v.fields["subs"]?.array?.compactMap(\.string) {
                #expect([b.string(m.name), m.tag.map { b.string($0) } ?? "", m.digest.map { b.string($0) } ?? ""] == subs)
            }
        case "TestIdentifierRegexp":
            #expect(ReferenceGrammar.isIdentifier(Array(v.z("input").utf8)) == v.fields["match"]?.bool)
        case "TestParseReferenceWithTagAndDigest":
            let r = try ImageReference(normalizing: v.z("input"), availableAlgorithms: goTestAlgorithms)
            #expect(r.string == v.z("string"))
            #expect((r.tag != nil) == v.fields["is_tagged"]?.bool)
            #expect((r.digest != nil) == v.fields["is_canonical"]?.bool)
            #expect(r.familiarString == v.z("familiar_string"))
        case "TestInvalidReferenceComponents":
            let api = v.z("api")
            if api == "ParseNormalizedNamed" {
                #expect(throws: ReferenceError.self) { try ImageReference(normalizing: v.z("input")) }
            } else if api.hasPrefix("WithTag") {
                let base = try ImageReference(normalizing: "busybox")
                #expect(throws: ReferenceError.self) { try base.withTag(v.z("input")) }
            } else if api.hasPrefix("WithDigest") {
                let base = try ImageReference(normalizing: "busybox")
                #expect(throws: ReferenceError.self) { try base.withDigest(v.z("input")) }
            } else {
                Issue.record("unknown api \(api)")
            }
        case "TestMatchError":
            let r = try AnyReference.parse("foo", availableAlgorithms: goTestAlgorithms)
            #expect(throws: ReferenceError.self) { try r.familiarMatch(v.z("input")) }
        default:
            Issue.record("vector from unknown test \(v.test)")
        }
    }
}
