import Testing
@testable import ManifestScanner

@Test func moduleLoads() { #expect(Bool(true)) }
