import Foundation
import Testing
@testable import ImageGate

/// The reason codes and check names that can reach the JSON contract, the lists in README.md and
/// docs/ARCHITECTURE.md, and the code are one set: a code or name added in one place and not the others fails here.
struct DocumentedVocabularyTests {
    /// The backticked words between `<!-- tag -->` and `<!-- /tag -->` in a document of the package.
    static func block(_ tag: String, in document: String) throws -> Set<String> {
        let text = try String(contentsOf: packageRoot.appendingPathComponent(document), encoding: .utf8)
        guard let start = text.range(of: "<!-- \(tag) -->"), let end = text.range(of: "<!-- /\(tag) -->"),
              start.upperBound <= end.lowerBound else {
            Issue.record("\(document) has no <!-- \(tag) --> block")
            return []
        }
        let body = text[start.upperBound..<end.lowerBound]
        let words = body.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        #expect(Set(words).count == words.count, "\(document) lists a word twice in \(tag)")
        return Set(words)
    }

    static let documents = ["README.md", "docs/ARCHITECTURE.md"]

    @Test(arguments: documents)
    func theDocumentedReasonCodesAreExactlyTheCodeSet(_ document: String) throws {
        let failing = try Self.block("reason-codes-fail", in: document)
        let indeterminate = try Self.block("reason-codes-indeterminate", in: document)
        #expect(failing.isDisjoint(with: indeterminate))
        #expect(failing.union(indeterminate) == Set(ReasonCode.documented.map(\.rawValue)))
        #expect(indeterminate == Set(ReasonCode.indeterminateCodes.map(\.rawValue)))
    }

    @Test(arguments: documents)
    func theDocumentedCheckNamesAreExactlyTheVocabulary(_ document: String) throws {
        #expect(try Self.block("check-names", in: document) == Set(CheckName.documented.map(\.rawValue)))
    }

    /// Every constant declared in ReasonCode.swift and CheckName.swift is in the documented list (a code added
    /// without documenting it fails here).
    @Test func everyDeclaredConstantIsInTheDocumentedList() throws {
        for (file, type, documented) in [("Sources/GateVerdict/ReasonCode.swift", "ReasonCode", Set(ReasonCode.documented.map(\.rawValue))),
                                         ("Sources/GateVerdict/CheckName.swift", "CheckName", Set(CheckName.documented.map(\.rawValue)))] {
            let text = try String(contentsOf: packageRoot.appendingPathComponent(file), encoding: .utf8)
            let pattern = try NSRegularExpression(pattern: "public static let `?\\w+`?: \(type) = \"([^\"]+)\"")
            let declared = Set(pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
                Range($0.range(at: 1), in: text).map { String(text[$0]) }
            })
            #expect(!declared.isEmpty)
            #expect(declared == documented, "\(type): declared but not documented \(declared.subtracting(documented).sorted()), documented but not declared \(documented.subtracting(declared).sorted())")
        }
    }

    /// Every code a lower module can produce maps to a documented code (nothing leaks unmapped).
    @Test func everyProducibleCodeIsDocumented() {
        let documented = Set(ReasonCode.documented)
        for code in SignatureVerificationError.Code.allCases {
            #expect(documented.contains(ReasonCode(rawValue: code.rawValue)), "SignatureVerificationError.\(code) is undocumented")
        }
        for code in RegistryError.Code.allCases {
            let reason = ImageVerifier.reason(for: RegistryError(code, "x"))
            #expect(documented.contains(reason), "RegistryError.\(code) maps to undocumented \(reason)")
        }
        #expect(Set(ReasonCode.documented).count == ReasonCode.documented.count)
    }

    /// Check names written as literals anywhere in Sources are in the vocabulary.
    @Test func everyCheckNameInTheSourcesIsInTheVocabulary() throws {
        let known = Set(CheckName.documented.map(\.rawValue))
        let sources = packageRoot.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL }
            .filter { $0.pathExtension == "swift" } ?? []
        #expect(!files.isEmpty)
        let pattern = try NSRegularExpression(pattern: #"(?:check: |\.failed\(|\.passed\(|Check\(name: |bundleError\()"([a-z_.]+)""#)
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let range = Range(match.range(at: 1), in: text) else { continue }
                #expect(known.contains(String(text[range])), "\(file.lastPathComponent): check \"\(text[range])\" is not a CheckName")
            }
        }
    }
}
