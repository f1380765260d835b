import Foundation
import TestSupport
import Testing

/// `offThePool` (which `VerifyImageCLI.run` waits for its child through) must not hold Swift's cooperative threads:
/// when the end-to-end CLI tests blocked them, everything else in the test process stopped (the admission server
/// tests ran out of their registry deadline under ThreadSanitizer).
struct OffThePoolTests {
    @Test func blockingWorkLeavesTheCooperativePoolFree() async throws {
        // More blocked bodies than the pool has threads; only a task on the pool can release them.
        let blocked = ProcessInfo.processInfo.activeProcessorCount + 2
        let release = DispatchSemaphore(value: 0)
        let released = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<blocked {
                group.addTask { try await offThePool { release.wait(timeout: .now() + 120) == .success } }
            }
            group.addTask {
                for _ in 0..<blocked { release.signal() }
                return true
            }
            var all: [Bool] = []
            for try await each in group { all.append(each) }
            return all
        }
        #expect(released.count == blocked + 1)
        #expect(released.allSatisfy { $0 }, "a blocked body waited 120 s: the releasing task never got a pool thread")
    }
}
