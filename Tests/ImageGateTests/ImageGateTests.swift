import Testing
@testable import ImageGate

@Test func moduleLoads() { #expect(Bool(true)) }
