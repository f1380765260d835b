import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// One HTTP answer read in full (bounded).
struct RegistryResponse: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: [UInt8]
    /// The URL that answered (after redirects), for messages.
    let url: String

    func header(_ name: String) -> String? { headers.first(name: name) }
}

/// The process-wide HTTP client: redirects are followed by hand (so `Authorization` never crosses hosts), TLS is
/// set per request (per registry), no transparent decompression (digests are over the bytes served).
enum SharedHTTPClient {
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        configuration.connectionPool = .init(idleTimeout: .seconds(30))
        // RemoteRegistry retries itself (bounded, with backoff, under its deadline and circuit breaker); the pool's
        // own retries would hold every refused connection until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}

/// How a registry wants to be authenticated, learnt from its `WWW-Authenticate` challenge.
enum AuthChallenge: Sendable, Equatable {
    case none
    case basic
    case bearer(realm: String, service: String?, scope: String?)

    /// Parses `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`; nil for anything else.
    static func parse(_ header: String) -> AuthChallenge? {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " ") else {
            return trimmed.lowercased() == "basic" ? .basic : nil
        }
        let scheme = trimmed[..<space].lowercased()
        let params = parseParameters(String(trimmed[trimmed.index(after: space)...]))
        switch scheme {
        case "basic": return .basic
        case "bearer":
            guard let realm = params["realm"], !realm.isEmpty else { return nil }
            return .bearer(realm: realm, service: params["service"], scope: params["scope"])
        default: return nil
        }
    }

    /// `key="value", key2=value2` (quoted values may hold commas and escaped quotes).
    static func parseParameters(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        var chars = Array(text)
        chars.append(",")
        var i = 0
        while i < chars.count {
            while i < chars.count, chars[i] == " " || chars[i] == "," { i += 1 }
            var key = ""
            while i < chars.count, chars[i] != "=", chars[i] != "," { key.append(chars[i]); i += 1 }
            guard i < chars.count, chars[i] == "=" else { i += 1; continue }
            i += 1
            var value = ""
            if i < chars.count, chars[i] == "\"" {
                i += 1
                while i < chars.count, chars[i] != "\"" {
                    if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                    value.append(chars[i]); i += 1
                }
                i += 1
            } else {
                while i < chars.count, chars[i] != "," { value.append(chars[i]); i += 1 }
            }
            result[key.trimmingCharacters(in: .whitespaces).lowercased()] = value.trimmingCharacters(in: .whitespaces)
        }
        return result
    }
}

/// The state kept for one registry host: the scheme that answers, its auth challenge, cached tokens, the
/// concurrency limit and the circuit breaker.
actor RegistryHostState {
    let host: String
    var baseURL: String?
    var challenge: AuthChallenge = .none
    var tokens: [String: (token: String, expires: NIODeadline)] = [:]

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

/// The registry's error document `{"errors":[{"code","message","detail"}]}`, summarized for messages.
struct RegistryErrorBody {
    let codes: [String]
    let summary: String

    init?(_ body: [UInt8]) {
        struct Doc: Decodable {
            struct Entry: Decodable { let code: String?; let message: String? }
            let errors: [Entry]?
        }
        guard !body.isEmpty, body.count < 64 << 10,
              let doc = try? JSONDecoder().decode(Doc.self, from: Data(body)), let errors = doc.errors, !errors.isEmpty
        else { return nil }
        codes = errors.compactMap(\.code)
        summary = errors.prefix(3).map { e in
            [e.code, e.message].compactMap { $0 }.joined(separator: ": ")
        }.joined(separator: "; ")
    }
}
