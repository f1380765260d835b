import Foundation
import Synchronization
import Testing
@testable import AdmissionServer
@testable import ImageGate

/// The verdict cache: single-flight, time to live, size bound, deadline, and never caching "could not decide".
struct VerdictCacheTests {
    /// Counts how often it was asked, and answers after `delay`.
    final class CountingDecider: ImageDecider {
        let calls = Atomic<Int>(0)
        let delay: Duration
        let decision: Decision
        init(delay: Duration = .milliseconds(200), decision: Decision = .pass) {
            self.delay = delay
            self.decision = decision
        }
        var policyDigest: String { "counting" }
        func enforcement(for reference: String) -> Enforcement { .enforce }
        func decide(_ reference: String, kind: String?, at time: Date) async -> ImageDecision {
            calls.add(1, ordering: .relaxed)
            try? await Task.sleep(for: delay)
            return ImageDecision(decision: decision, reasons: decision == .pass ? [] : [.registryUnreachable], message: "counted")
        }
        func resolveDigest(_ reference: String) async throws -> String { "" }
    }

    static let reference = "registry.example/app@sha256:" + String(repeating: "cd", count: 32)

    @Test func oneVerificationForAHundredConcurrentRequests() async {
        let decider = CountingDecider()
        let controller = AdmissionController(decider: decider)
        let decisions = await withTaskGroup(of: Decision.self) { group in
            for _ in 0..<100 {
                group.addTask { await controller.decideCached(Self.reference, decider: decider, deadline: .seconds(60)).decision }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(decisions.count == 100 && decisions.allSatisfy { $0 == .pass })
        #expect(decider.calls.load(ordering: .relaxed) == 1)
        // And the next one is a hit.
        _ = await controller.decideCached(Self.reference, decider: decider, deadline: .seconds(60))
        #expect(decider.calls.load(ordering: .relaxed) == 1)
    }

    @Test func theDeadlineAnswersIndeterminateAndTheVerdictIsCachedLater() async throws {
        let decider = CountingDecider(delay: .milliseconds(300))
        let controller = AdmissionController(decider: decider)
        let early = await controller.decideCached(Self.reference, decider: decider, deadline: .milliseconds(20))
        #expect(early.decision == .indeterminate)
        #expect(early.reasons == [.deadlineExceeded])
        // The verification went on: the next request joins it (or finds its verdict) instead of starting another.
        let later = await controller.decideCached(Self.reference, decider: decider, deadline: .seconds(60))
        #expect(later.decision == .pass)
        #expect(decider.calls.load(ordering: .relaxed) == 1)
    }

    @Test func undecidedVerdictsAreAskedAgain() async {
        let decider = CountingDecider(delay: .zero, decision: .indeterminate)
        let controller = AdmissionController(decider: decider)
        for _ in 0..<3 { _ = await controller.decideCached(Self.reference, decider: decider, deadline: .seconds(1)) }
        #expect(decider.calls.load(ordering: .relaxed) == 3)
    }

    @Test func verdictsLiveTheirTimeToLive() async {
        var settings = AdmissionSettings()
        settings.cacheTimeToLive = .seconds(3600)
        let decider = CountingDecider(delay: .zero)
        let controller = AdmissionController(decider: decider, settings: settings)
        for _ in 0..<3 { _ = await controller.decideCached(Self.reference, decider: decider, deadline: .seconds(30)) }
        #expect(decider.calls.load(ordering: .relaxed) == 1)
    }

    @Test func expiredVerdictsAreVerifiedAgain() async {
        var settings = AdmissionSettings()
        settings.cacheTimeToLive = .zero
        let decider = CountingDecider(delay: .zero)
        let controller = AdmissionController(decider: decider, settings: settings)
        for _ in 0..<3 { _ = await controller.decideCached(Self.reference, decider: decider, deadline: .seconds(30)) }
        #expect(decider.calls.load(ordering: .relaxed) == 3)
    }

    @Test func theCacheHoldsAtMostItsCapacity() async {
        var settings = AdmissionSettings()
        settings.cacheCapacity = 2
        let decider = CountingDecider(delay: .zero)
        let controller = AdmissionController(decider: decider, settings: settings)
        for index in 0..<5 {
            _ = await controller.decideCached(Self.reference + "\(index)", decider: decider, deadline: .seconds(30))
        }
        #expect(controller.cache.count <= 2)
        // The newest stays.
        _ = await controller.decideCached(Self.reference + "4", decider: decider, deadline: .seconds(30))
        #expect(decider.calls.load(ordering: .relaxed) == 5)
    }

    @Test func theAPIServerTimeoutShortensTheDeadline() {
        let controller = AdmissionController(decider: CountingDecider())
        #expect(controller.deadline(timeoutParameter: "10s") == .seconds(8))
        #expect(controller.deadline(timeoutParameter: "5s") == .seconds(4))
        #expect(controller.deadline(timeoutParameter: "30s") == .seconds(8))
        #expect(controller.deadline(timeoutParameter: nil) == .seconds(8))
        #expect(controller.deadline(timeoutParameter: "soon") == .seconds(8))
    }

    @Test func aPolicyChangeNeverReusesAVerdict() async {
        let decider = CountingDecider(delay: .zero)
        let controller = AdmissionController(decider: decider)
        _ = await controller.decideCached(Self.reference, decider: decider, deadline: .seconds(1))
        controller.replaceDecider(decider)
        #expect(controller.cache.count == 0)
        #expect(VerdictCache.key(reference: "a", policyDigest: "p1") != VerdictCache.key(reference: "a", policyDigest: "p2"))
    }
}
