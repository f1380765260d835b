import Foundation
import Testing
@testable import TUF

@Suite struct CanonicalJSONTests {
    private func canonical(_ json: String) throws -> String {
        String(decoding: try CanonicalJSON.encode(JSONValue(parsing: Array(json.utf8))), as: UTF8.self)
    }

    @Test func sortsMembersByCodePointAndDropsWhitespace() throws {
        #expect(try canonical(#"{ "b": 1, "a": [true, false, null], "B": {"z": "y", "_": -3} }"#)
                == #"{"B":{"_":-3,"z":"y"},"a":[true,false,null],"b":1}"#)
        // Code-point order: "é" (U+00E9) sorts after "z"; Swift's String ordering is not relied on.
        #expect(try canonical(#"{"é": 1, "z": 2, "e\u0301x": 3}"#) == "{\"e\u{301}x\":3,\"z\":2,\"é\":1}")
    }

    @Test func escapesOnlyQuoteAndBackslash() throws {
        // OLPC canonical JSON writes control characters and non-ASCII raw (RFC 8785 would escape \n as \\n).
        #expect(try canonical(#"["a\"b\\c\n\u0001\u00e9/"]"#) == "[\"a\\\"b\\\\c\n\u{1}é/\"]")
    }

    @Test(arguments: ["1.5", "1e3", "-0.0", "2E+2"])
    func refusesNonIntegerNumbers(_ number: String) throws {
        #expect(throws: TUFError.self) { try canonical("[\(number)]") }
    }

    @Test(arguments: [#"{"a":1,"a":2}"#, #"{"a":1"#, "[1,]", #""\ud800""#, "01", #"{"a":1} x"#, "[\"\u{1}\"]",
                      String(repeating: "[", count: 100) + String(repeating: "]", count: 100)])
    func refusesMalformedJSON(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: Array(text.utf8)) }
    }

    @Test func metadataThatIsNotJSONIsMalformedMetadataNamingTheByte() {
        do {
            _ = try SignedEnvelope(bytes: Array(#"{"signed": {}, "signed": {}}"#.utf8))
            Issue.record("duplicate members were accepted")
        } catch let error as TUFError {
            #expect(error.code == .malformedMetadata)
            #expect(error.message.hasPrefix("invalid JSON at byte 27: duplicate member name \"signed\""), "\(error.message)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func keepsIntegersAndStringsExactly() throws {
        let value = try JSONValue(parsing: Array(#"{"n": 9007199254740993, "s": "\ud83d\ude00"}"#.utf8))
        #expect(value.objectValue?["n"] == .integer(9_007_199_254_740_993))
        #expect(value.objectValue?["s"] == .string("😀"))
    }

    @Test(arguments: [
        ("*", "file.txt", true), ("*", "dir/file.txt", false), ("dir/*", "dir/file.txt", true),
        ("dir/*.txt", "dir/a.tgz", false), ("*/*", "a/b", true), ("file?.txt", "file1.txt", true),
        ("file[0-9].txt", "file7.txt", true), ("file[!0-9].txt", "file7.txt", false), ("targets/*.tar.gz", "targets/x.tar.gz", true),
        ("a*b*c", "aXbYbZc", true), ("a*b", "ab/b", false),
    ])
    func pathPatterns(_ pattern: String, _ path: String, _ expected: Bool) {
        #expect(pathPatternMatches(pattern, path) == expected)
    }

    @Test func rfc3339Dates() throws {
        #expect(parseRFC3339("2025-08-19T14:33:09Z") == Date(timeIntervalSince1970: 1_755_613_989))
        #expect(parseRFC3339("2021-12-18T13:28:12.99008-06:00").map { $0.timeIntervalSince1970.rounded() } == 1_639_855_693)
        #expect(parseRFC3339("2025-08-19 14:33:09Z") == nil)
        #expect(parseRFC3339("2025-13-19T14:33:09Z") == nil)
    }
}
