import Testing
@testable import GateVerdict

@Test func moduleLoads() { #expect(Bool(true)) }
