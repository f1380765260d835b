import Foundation

/// Runs blocking work (waiting for a child process, reading its pipes) on a thread of its own and awaits the result.
///
/// Swift Testing runs every test, synchronous ones included, on Swift's cooperative thread pool, which has one thread
/// per core: two on the CI machine. A test that waits for a child process there holds a pool thread for as long as
/// the child runs, and with two such tests nothing else in the process runs at all. Under ThreadSanitizer, where each
/// `verify-image` child runs many times slower, the CLI suites held both threads for minutes, and the admission
/// server tests beside them (whose server, client and registry requests all need the pool) ran out of their 300 s
/// registry deadline before their first request was sent. Blocking work goes through here instead.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// At most `limit` holders at once; the others wait for a slot suspended, without holding a thread.
public actor Slots {
    private let limit: Int
    private var inUse = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// - Parameter limit: how many may hold a slot at once (at least 1).
    public init(limit: Int) { self.limit = max(1, limit) }

    /// Waits for a free slot and takes it; give it back with ``release()``.
    public func acquire() async {
        if inUse < limit { inUse += 1; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    /// Gives a slot back (to the longest waiter, if any).
    public func release() {
        if waiters.isEmpty { inUse -= 1 } else { waiters.removeFirst().resume() }
    }
}
