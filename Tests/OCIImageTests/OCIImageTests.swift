import Testing
@testable import OCIImage

@Test func moduleLoads() { #expect(Bool(true)) }
