import Foundation
import Synchronization

/// How a decision was obtained from the cache.
enum CacheOutcome: String, Sendable {
    /// A stored verdict, still fresh.
    case hit
    /// Joined a verification already running for the same key (single-flight).
    case shared
    /// Started the verification.
    case miss
}

/// Verdicts by (image digest reference, policy digest), with a time to live and a size bound; one verification in
/// flight per key however many requests ask. Only decided verdicts (pass, fail) are kept: "could not decide" is
/// asked again next time.
final class VerdictCache: Sendable {
    private enum Entry {
        case ready(ImageDecision, expires: ContinuousClock.Instant)
        case pending(Task<ImageDecision, Never>)
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Keys of ready entries in insertion order (may hold keys since evicted or replaced).
        var order: [String] = []
        var orderStart = 0
    }

    /// How long a verdict is reused.
    let timeToLive: Duration
    /// Most verdicts kept.
    let capacity: Int
    private let state = Mutex(State())

    init(timeToLive: Duration, capacity: Int) {
        self.timeToLive = timeToLive
        self.capacity = max(1, capacity)
    }

    /// The cache key of a reference (in an object of `kind`, which policies may match on) under a policy digest.
    static func key(reference: String, kind: String? = nil, policyDigest: String) -> String {
        policyDigest + "\u{0}" + (kind ?? "") + "\u{0}" + reference
    }

    /// The fresh stored verdict, or the running verification for `key` (started with `compute` when none runs).
    func lookup(_ key: String, compute: @escaping @Sendable () async -> ImageDecision)
        -> (stored: ImageDecision?, task: Task<ImageDecision, Never>?, outcome: CacheOutcome) {
        let now = ContinuousClock.now
        return state.withLock { state in
            switch state.entries[key] {
            case .ready(let decision, let expires) where expires > now:
                return (decision, nil, .hit)
            case .pending(let task):
                return (nil, task, .shared)
            default:
                let task = Task { [self] in
                    let decision = await compute()
                    self.finish(key, decision)
                    return decision
                }
                state.entries[key] = .pending(task)
                return (nil, task, .miss)
            }
        }
    }

    /// Stores a decided verdict, or forgets the key of an undecided one.
    private func finish(_ key: String, _ decision: ImageDecision) {
        let expires = ContinuousClock.now + timeToLive
        state.withLock { state in
            guard decision.decision != .indeterminate else {
                state.entries[key] = nil
                return
            }
            state.entries[key] = .ready(decision, expires: expires)
            state.order.append(key)
            evict(&state, now: ContinuousClock.now)
        }
    }

    private func evict(_ state: inout State, now: ContinuousClock.Instant) {
        while state.entries.count > capacity, state.orderStart < state.order.count {
            let oldest = state.order[state.orderStart]
            state.orderStart += 1
            if case .ready = state.entries[oldest] { state.entries[oldest] = nil }
        }
        if state.orderStart > 4096 && state.orderStart * 2 > state.order.count {
            state.order.removeFirst(state.orderStart)
            state.orderStart = 0
        }
    }

    /// Verdicts stored or in flight.
    var count: Int { state.withLock { $0.entries.count } }

    /// Forgets everything (a policy reload makes new keys anyway; this frees the memory).
    func removeAll() { state.withLock { $0 = State() } }
}

/// Waits for `task` at most `deadline`; nil when the deadline came first. The task itself goes on (other requests
/// may share it, and its verdict is cached when it ends).
func value<T: Sendable>(of task: Task<T, Never>, within deadline: Duration) async -> T? {
    let once = ResumeOnce<T?>()
    return await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
        once.set(continuation)
        let timer = Task {
            try? await Task.sleep(for: deadline)
            once.resume(nil)
        }
        Task {
            let value = await task.value
            once.resume(value)
            timer.cancel()
        }
    }
}

/// Resumes a continuation once, whichever side comes first.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, Never>?>(nil)

    func set(_ value: CheckedContinuation<T, Never>) { continuation.withLock { $0 = value } }

    func resume(_ value: T) {
        let taken = continuation.withLock { state -> CheckedContinuation<T, Never>? in
            defer { state = nil }
            return state
        }
        taken?.resume(returning: value)
    }
}
