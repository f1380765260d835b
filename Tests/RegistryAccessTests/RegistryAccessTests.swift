import Testing
@testable import RegistryAccess

@Test func moduleLoads() { #expect(Bool(true)) }
