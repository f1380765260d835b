import Testing
@testable import SignatureVerification

@Test func moduleLoads() { #expect(Bool(true)) }
