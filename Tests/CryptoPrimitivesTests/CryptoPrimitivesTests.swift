import Testing
@testable import CryptoPrimitives

@Test func moduleLoads() { #expect(Bool(true)) }
