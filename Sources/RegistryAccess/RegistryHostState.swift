import NIOCore

/// The state kept for one registry host: the scheme that answers, its auth challenge, credentials and tokens, the
/// concurrency limit and the circuit breaker. Whatever one request learnt, the next ones reuse: concurrent callers
/// share one probe of the API root and one token request per scope.
actor RegistryHostState {
    let host: String
    private(set) var baseURL: String?
    var challenge: AuthChallenge = .none
    private var tokens: [String: (token: String, expires: NIODeadline)] = [:]
    private var tokenRequests: [String: Task<String, any Error>] = [:]
    private var credentials: [String: Task<RegistryCredentials?, any Error>] = [:]
    private var probe: Task<(String, AuthChallenge), any Error>?
    private var probeFailure: (error: any Error, until: NIODeadline)?
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

    /// The base URL (`scheme://host`), from `probing` the first time: concurrent callers wait for the same probe,
    /// and a failed probe is the answer for the breaker's cooldown (a registry that did not answer is not probed
    /// again by every image of the run).
    func base(probing: @escaping @Sendable () async throws -> (String, AuthChallenge)) async throws -> String {
        if let baseURL { return baseURL }
        if let probeFailure, NIODeadline.now() < probeFailure.until { throw probeFailure.error }
        let task: Task<(String, AuthChallenge), any Error>
        if let probe {
            task = probe
        } else {
            task = Task { try await probing() }
            probe = task
        }
        do {
            let (base, challenge) = try await task.value
            if baseURL == nil {
                baseURL = base
                self.challenge = challenge
            }
            return base
        } catch {
            if probe == task {
                probe = nil
                probeFailure = (error, .now() + breakerCooldown)
            }
            throw error
        }
    }

    func setChallenge(_ challenge: AuthChallenge) { self.challenge = challenge }

    /// A valid token for `scope`, else one from `fetch` (which returns it with its expiry); concurrent callers
    /// share one request. `refresh` ignores a stored token (the registry refused it).
    func token(scope: String, refresh: Bool,
               fetch: @escaping @Sendable () async throws -> (String, NIODeadline)) async throws -> String {
        if !refresh, let entry = tokens[scope], NIODeadline.now() < entry.expires { return entry.token }
        if let pending = tokenRequests[scope] { return try await pending.value }
        let task = Task { () async throws -> String in
            let (token, expires) = try await fetch()
            self.store(token, scope: scope, expires: expires)
            return token
        }
        tokenRequests[scope] = task
        defer { if tokenRequests[scope] == task { tokenRequests[scope] = nil } }
        return try await task.value
    }

    private func store(_ token: String, scope: String, expires: NIODeadline) { tokens[scope] = (token, expires) }

    /// The credentials for `domain`, looked up once: concurrent callers wait for the same lookup (a credential helper
    /// is a process start).
    func credentials(for domain: String,
                     lookUp: @escaping @Sendable () async throws -> RegistryCredentials?) async throws -> RegistryCredentials? {
        if let known = credentials[domain] { return try await known.value }
        let lookup = Task { try await lookUp() }
        credentials[domain] = lookup
        return try await lookup.value
    }
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
