import NIOCore

/// The state kept for one registry host: the scheme that answers, its auth challenge, cached tokens, the
/// concurrency limit and the circuit breaker.
actor RegistryHostState {
    let host: String
    var baseURL: String?
    var challenge: AuthChallenge = .none
    var tokens: [String: (token: String, expires: NIODeadline)] = [:]
    /// Set once the registry answered 404 to the referrers API (it has none).
    private(set) var lacksReferrersAPI = false

    func markLacksReferrersAPI() { lacksReferrersAPI = true }

    // Concurrency limit.
    let maximumConcurrency: Int
    private var inFlight = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    // Circuit breaker.
    let breakerThreshold: Int
    let breakerCooldown: TimeAmount
    private var consecutiveFailures = 0
    private var openUntil: NIODeadline?

    init(host: String, maximumConcurrency: Int, breakerThreshold: Int, breakerCooldown: TimeAmount) {
        self.host = host
        self.maximumConcurrency = max(1, maximumConcurrency)
        self.breakerThreshold = max(1, breakerThreshold)
        self.breakerCooldown = breakerCooldown
    }

    func acquire() async {
        if inFlight < maximumConcurrency { inFlight += 1; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { inFlight -= 1 } else { waiters.removeFirst().resume() }
    }

    /// Throws when the breaker is open (too many consecutive failures, cooldown not over).
    func checkBreaker() throws {
        if let openUntil, NIODeadline.now() < openUntil {
            throw RegistryError(.unreachable,
                                "registry \(host) failed \(consecutiveFailures) times in a row; not trying again for \(breakerCooldown.nanoseconds / 1_000_000_000) s (circuit breaker open)")
        }
    }

    func recordSuccess() {
        consecutiveFailures = 0
        openUntil = nil
    }

    func recordFailure() {
        consecutiveFailures += 1
        if consecutiveFailures >= breakerThreshold { openUntil = .now() + breakerCooldown }
    }

    func setBase(_ base: String, challenge: AuthChallenge) {
        baseURL = base
        self.challenge = challenge
    }

    func setChallenge(_ challenge: AuthChallenge) { self.challenge = challenge }

    func token(scope: String) -> String? {
        guard let entry = tokens[scope], NIODeadline.now() < entry.expires else { return nil }
        return entry.token
    }

    func storeToken(_ token: String, scope: String, expires: NIODeadline) { tokens[scope] = (token, expires) }
}

/// Registry-wide table of host states.
actor RegistryHostTable {
    private var hosts: [String: RegistryHostState] = [:]
    let make: @Sendable (String) -> RegistryHostState

    init(make: @escaping @Sendable (String) -> RegistryHostState) { self.make = make }

    func state(for host: String) -> RegistryHostState {
        if let existing = hosts[host] { return existing }
        let created = make(host)
        hosts[host] = created
        return created
    }
}
