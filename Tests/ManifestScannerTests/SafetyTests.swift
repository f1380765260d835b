import Foundation
import Testing
@testable import ManifestScanner

/// Negative fixtures, each named for the attack it stops (testdata/scan/negative, made by
/// scripts/make-scan-fixtures.py). Each must end in an `error` finding with a stable code, never a hang or crash.
struct NegativeCase: CustomTestStringConvertible, Sendable {
    let file: String
    let code: ScanError.Code
    let count: Int
    var testDescription: String { file }
}

@Test(arguments: [
    NegativeCase(file: "negative/alias-bomb.yaml", code: .yamlNodeLimit, count: 1),
    NegativeCase(file: "negative/alias-bomb-key.yaml", code: .yamlAliasInKey, count: 1),
    NegativeCase(file: "negative/deep-nesting.yaml", code: .yamlDepthLimit, count: 1),
    NegativeCase(file: "negative/deep-nesting-block.yaml", code: .yamlDepthLimit, count: 1),
    NegativeCase(file: "negative/gzip-bomb.tgz", code: .decompressionLimit, count: 1),
    NegativeCase(file: "negative/tar-traversal.tgz", code: .tarUnsafePath, count: 2),
    NegativeCase(file: "negative/tar-symlink.tgz", code: .tarLink, count: 2),
])
func negativeFixtureIsRefused(_ c: NegativeCase) throws {
    let report = try Fixtures.scan(c.file)
    let errors = report.findings.filter { $0.status == .error }
    #expect(errors.count == c.count, "\(errors.map { $0.note ?? "" })")
    #expect(errors.allSatisfy { $0.errorCode == c.code.rawValue })
    #expect(errors.allSatisfy { ($0.note ?? "").count > 20 }, "the error names the problem")
    #expect(report.exitStatus() == 1, "a refused input fails the scan")
}

@Test func tarTraversalScansOnlyTheSafeEntry() throws {
    let report = try Fixtures.scan("negative/tar-traversal.tgz")
    let files = report.findings.map(\.file)
    #expect(files.contains { $0.hasSuffix("tar-traversal.tgz!demo/../../evil/values.yaml") })
    #expect(files.contains { $0.hasSuffix("tar-traversal.tgz!/etc/demo/values.yaml") })
    let images = report.findings.filter { $0.status != .error }
    #expect(images.map(\.image) == ["ghcr.io/example/app:v1"], "the escaping entries are never read")
    #expect(images.first?.file.hasSuffix("tar-traversal.tgz!demo/values.yaml") == true)
}

@Test func tarLinksAreNotFollowed() throws {
    let report = try Fixtures.scan("negative/tar-symlink.tgz")
    #expect(report.findings.contains { $0.file.hasSuffix("!demo/values.yaml") && $0.errorCode == "tar_link"
        && ($0.note ?? "").contains("/etc/passwd") })
    #expect(report.findings.filter { $0.status != .error }.map(\.image) == ["ghcr.io/example/app:v1"])
}

@Test func aliasesWithinLimitsAreExpanded() {
    let yaml = """
        base: &base
          repository: example/app
          tag: "1.0"
        one:
          image: *base
        two:
          image:
            <<: *base
            tag: "2.0"
        """
    let findings = ManifestScanner().scan(data: Data(yaml.utf8), name: "values.yaml")
    #expect(findings.map(\.yamlPath) == ["one.image", "two.image"])
    #expect(findings.map(\.reference) == ["docker.io/example/app:1.0", "docker.io/example/app:2.0"])
}

@Test func nodeLimitIsConfigurable() {
    var limits = ScanLimits()
    limits.maxNodes = 10
    let yaml = (0..<20).map { "k\($0): v" }.joined(separator: "\n") + "\nimage: nginx:1\n"
    let findings = ManifestScanner(limits: limits).scan(data: Data(yaml.utf8), name: "big.yaml")
    #expect(findings.last?.errorCode == "yaml_node_limit")
}

@Test func gzipLimitsAreChecked() throws {
    var limits = ScanLimits()
    limits.maxArchiveBytes = 4096
    let report = try ManifestScanner(limits: limits).scan(paths: [Fixtures.path("cases/nested-image.tgz")])
    #expect(report.findings.map(\.errorCode) == ["decompression_limit"])
}

@Test func corruptAndTruncatedArchivesAreErrors() throws {
    let good = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("cases/nested-image.tgz")))
    let truncated = good.prefix(good.count / 2)
    let t = ManifestScanner().scan(data: truncated, name: "t.tgz")
    #expect(t.count == 1 && t[0].errorCode == "gzip_invalid", "\(t)")
    var flipped = good
    flipped[flipped.startIndex + 40] ^= 0xff
    let f = ManifestScanner().scan(data: flipped, name: "f.tgz")
    #expect(f.contains { $0.status == .error }, "a changed byte must not pass silently")
    let notGzip = ManifestScanner().scan(data: Data("image: x:1\n".utf8), name: "chart.tgz")
    #expect(notGzip.map(\.errorCode) == ["gzip_invalid"])
}

@Test func invalidFilesAreReportedAndTheScanGoesOn() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scan-invalid-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data("a: [unclosed\n".utf8).write(to: dir.appendingPathComponent("a-broken.yaml"))
    try Data([0xff, 0xfe, 0x00, 0x41]).write(to: dir.appendingPathComponent("b-binary.yaml"))
    try Data("image: nginx:1.25\n".utf8).write(to: dir.appendingPathComponent("c-good.yaml"))
    let report = try ManifestScanner().scan(paths: [dir.path])
    #expect(report.findings.map(\.errorCode) == ["yaml_invalid", "not_utf8", nil])
    #expect(report.findings.first?.line == 2, "the parse error names its line")
    #expect(report.findings.last?.status == .tag)
}

@Test func missingPathThrows() {
    #expect(throws: ScanError.self) { try ManifestScanner().scan(paths: ["/nonexistent/path/values.yaml"]) }
}

@Test func oversizedFilesAreRefused() throws {
    var limits = ScanLimits()
    limits.maxFileBytes = 100
    let report = try ManifestScanner(limits: limits).scan(paths: [Fixtures.path("cases/kinds.yaml")])
    #expect(report.findings.map(\.errorCode) == ["file_too_large"])
}

/// Every single-byte change and every truncation of a real archive ends in findings or a clear error, never a
/// crash or a hang (the tar and gzip readers are bounded on every field).
@Test func mutatedArchivesNeverCrash() throws {
    let good = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("cases/nested-image.tgz")))
    let tar = try Gunzip.inflate(good, maxOutput: 1 << 20, maxRatio: 1000)
    var outcomes = 0
    for i in stride(from: 0, to: tar.count, by: 3) {
        var mutated = tar
        mutated[mutated.startIndex + i] ^= 0x5a
        _ = try? TarReader.read(mutated, maxEntries: 100) { _ in true }
        _ = try? TarReader.read(tar.prefix(i), maxEntries: 100) { _ in true }
        outcomes += 1
    }
    for i in stride(from: 0, to: good.count, by: 5) {
        var mutated = good
        mutated[mutated.startIndex + i] ^= 0xff
        let findings = ManifestScanner().scan(data: mutated, name: "m.tgz")
        #expect(!findings.isEmpty || i < 10, "a corrupted archive is reported")
        _ = ManifestScanner().scan(data: good.prefix(i), name: "t.tgz")
    }
    #expect(outcomes > 100)
}

@Test func paxHeaderWithImpossibleSizeIsRefused() {
    // A pax record claiming an enormous size for the next entry.
    func header(name: String, size: Int, type: UInt8) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        for (i, b) in name.utf8.enumerated() { h[i] = b }
        for (i, b) in Array("0000644\0".utf8).enumerated() { h[100 + i] = b }
        let sizeField = Array(String(format: "%011o", size).utf8) + [0]
        for (i, b) in sizeField.enumerated() { h[124 + i] = b }
        h[156] = type
        for (i, b) in Array("ustar\0".utf8).enumerated() { h[257 + i] = b }
        h[263] = 48; h[264] = 48
        for i in 148..<156 { h[i] = 32 }
        let sum = h.reduce(0) { $0 + Int($1) }
        for (i, b) in Array(String(format: "%06o\0 ", sum).utf8).enumerated() { h[148 + i] = b }
        return h
    }
    let record = Array("28 size=9223372036854775807\n".utf8)
    #expect(record.count == 28)
    var tar = header(name: "pax", size: record.count, type: UInt8(ascii: "x"))
    tar += record + [UInt8](repeating: 0, count: 512 - record.count)
    tar += header(name: "a/values.yaml", size: 10, type: UInt8(ascii: "0"))
    tar += Array("image: x\n\n".utf8) + [UInt8](repeating: 0, count: 502)
    tar += [UInt8](repeating: 0, count: 1024)
    #expect(throws: ScanError.self) { try TarReader.read(Data(tar), maxEntries: 10) { _ in true } }
}

@Test func folderLinksAreNotFollowedFileLinksAreRead() throws {
    let fm = FileManager.default
    let dir = fm.temporaryDirectory.appendingPathComponent("scan-links-\(UUID().uuidString)")
    try fm.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
    defer { try? fm.removeItem(at: dir) }
    try Data("image: nginx:1.25\n".utf8).write(to: dir.appendingPathComponent("sub/real.yaml"))
    try fm.createSymbolicLink(atPath: dir.appendingPathComponent("sub/loop").path, withDestinationPath: dir.path)
    try fm.createSymbolicLink(atPath: dir.appendingPathComponent("linked.yaml").path,
                              withDestinationPath: dir.appendingPathComponent("sub/real.yaml").path)
    let report = try ManifestScanner().scan(paths: [dir.path])
    #expect(report.findings.map { lastPathComponent($0.file) } == ["linked.yaml", "real.yaml"], "no loop through sub/loop")
}
