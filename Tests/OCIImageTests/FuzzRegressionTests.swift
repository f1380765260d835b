import Foundation
import Testing
@testable import OCIImage

/// Inputs the libFuzzer harnesses found (testdata/fuzz/reference), each pinned to the behaviour it showed.
@Suite struct FuzzRegressionTests {
    /// `docke_r.io` looks like a host to the Docker normalizer but is not one by the grammar (an underscore), so
    /// distribution/reference parses it as the first path component and leaves the domain empty. We do the same,
    /// byte for byte; the reference harness's invariant was narrowed to allow exactly this.
    @Test func anUnderscoreHostNormalizesAsAPathAsInDistribution() throws {
        let text = String(decoding: try Fixtures.data("fuzz/reference/underscore-host-is-a-path"), as: UTF8.self)
        #expect(text == "docke_r.io/mcgowan/myapp:latest")
        let normalized = try ImageReference(normalizing: text)
        #expect(normalized.domain == "")
        #expect(normalized.path == "docke_r.io/mcgowan/myapp")
        #expect(normalized.tag == "latest")
        #expect(try ImageReference(normalizing: normalized.string) == normalized)
    }

    /// `docker.io/busyboxr.io/busybo`: the full name keeps Docker Hub; the familiar form (as distribution/reference
    /// makes it) is `busyboxr.io/busybo`, which would name another registry, so only the full name is used to match
    /// and fetch.
    @Test func aDockerHubPathThatLooksHostedKeepsItsFullName() throws {
        let text = String(decoding: try Fixtures.data("fuzz/reference/docker-io-path-that-looks-hosted"), as: UTF8.self)
        let normalized = try ImageReference(normalizing: text)
        #expect(normalized.domain == "docker.io")
        #expect(normalized.path == "busyboxr.io/busybo")
        #expect(normalized.familiarString == "busyboxr.io/busybo")
        #expect(try ImageReference(normalizing: normalized.familiarString).domain == "busyboxr.io")
        #expect(try ImageReference(normalizing: normalized.string) == normalized)
    }
}
