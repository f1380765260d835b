import Foundation
import Testing
@testable import OCIImage

@Suite struct ImageReferenceTests {
    static let hex = "e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"

    @Test func normalizedFieldsAndCanonical() throws {
        let r = try ImageReference(normalizing: "ubuntu")
        #expect(r.domain == "docker.io" && r.path == "library/ubuntu" && r.name == "docker.io/library/ubuntu")
        #expect(r.tag == nil && r.digest == nil && !r.isDigestPinned)
        #expect(r.canonical == "docker.io/library/ubuntu:latest")
        #expect(r.familiarName == "ubuntu" && r.familiarString == "ubuntu")

        let pinned = try ImageReference(normalizing: "ghcr.io/org/app:v1@sha256:\(Self.hex)")
        #expect(pinned.canonical == "ghcr.io/org/app@sha256:\(Self.hex)")
        #expect(pinned.string == "ghcr.io/org/app:v1@sha256:\(Self.hex)")
        #expect(pinned.familiarString == pinned.string)
        #expect(pinned.isDigestPinned && pinned.digest?.isVerifiable == true)
        #expect(pinned.repository.string == "ghcr.io/org/app")
    }

    /// distribution/reference keeps an invalid host-looking first component in the path: `foo_bar.com` has a `.`,
    /// so normalization does not add docker.io, and strict parsing then finds no valid domain. Callers that need a
    /// registry must treat an empty domain as "no registry".
    @Test func normalizedReferenceCanLackADomain() throws {
        let r = try ImageReference(normalizing: "foo_bar.com/x")
        #expect(r.domain == "" && r.path == "foo_bar.com/x" && r.canonical == "foo_bar.com/x:latest")
    }

    @Test func defaultAlgorithmsIncludeSHA512() throws {
        let sha512 = "sha512:" + String(repeating: "f", count: 128)
        let r = try ImageReference.parse("validname@" + sha512)
        #expect(r.digest?.knownAlgorithm == .sha512)
        // With only sha256 available (as in distribution/reference's own tests) it is unsupported.
        #expect(throws: ReferenceError(.digestUnsupported, input: "validname@" + sha512)) {
            try ImageReference.parse("validname@" + sha512, availableAlgorithms: [.sha256])
        }
    }

    @Test func errorNamesTheInput() {
        do {
            _ = try ImageReference.parse("Uppercase:tag")
            Issue.record("parsed")
        } catch let e as ReferenceError {
            #expect(e.code == .nameContainsUppercase)
            #expect(e.description == "invalid reference \"Uppercase:tag\": repository name must be lowercase")
        } catch { Issue.record("\(error)") }
        do {
            _ = try ImageReference(normalizing: "docker/Docker")
            Issue.record("parsed")
        } catch let e as ReferenceError {
            #expect(e.description == "invalid reference \"docker/Docker\": invalid reference format: repository name (docker/Docker) must be lowercase")
        } catch { Issue.record("\(error)") }
    }

    @Test func hostileInputIsQuotedOnOneLine() {
        do {
            _ = try ImageReference.parse("a\nb\"c" + String(repeating: "x", count: 1000))
            Issue.record("parsed")
        } catch let e as ReferenceError {
            #expect(!e.description.contains("\n"))
            #expect(e.description.contains("\\n") && e.description.contains("\\\""))
            #expect(e.description.count < 400)
        } catch { Issue.record("\(error)") }
    }

    @Test func longInputsAreLinear() throws {
        // A pathological input for backtracking engines: long separator runs and many components.
        let s = String(repeating: "a-", count: 50_000) + "!"
        #expect(throws: ReferenceError.self) { try ImageReference.parse(s) }
        let t = String(repeating: "a/", count: 50_000) + "a"
        #expect(throws: ReferenceError(.nameTooLong, input: t)) { try ImageReference.parse(t) }
    }

    @Test func nonASCIIIsRejected() {
        #expect(throws: ReferenceError.self) { try ImageReference.parse("ubuntü") }
        #expect(throws: ReferenceError.self) { try ImageReference.parse("ubuntu:tаg") }  // Cyrillic а
        #expect(throws: ReferenceError.self) { try ImageReference.parse("ubuntu:ｔag") }
    }
}
