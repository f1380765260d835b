import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import OCIImage

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

/// Authentication for ``RemoteRegistry``: anonymous, Basic, and the Docker token flow (anonymous or with
/// credentials, identity tokens by OAuth2 POST), tokens reused per scope until they expire. Credentials come from
/// the explicit ones or the store and never appear in errors.
struct RegistryAuthenticator: Sendable {
    let transport: RegistryTransport
    /// Credentials for every registry; nil: look in ``credentialStore``.
    let explicitCredentials: RegistryCredentials?
    /// Where stored credentials come from; nil: anonymous unless ``explicitCredentials`` is set.
    let credentialStore: DockerCredentialStore?

    /// The credentials for `domain`: the explicit ones, else the store's (looked up once per registry host).
    func credentials(_ state: RegistryHostState, for domain: String) async throws -> RegistryCredentials? {
        if let explicitCredentials { return explicitCredentials }
        guard let credentialStore else { return nil }
        return try await state.credentials(for: domain) {
            try await onThreadOfItsOwn { try credentialStore.credentials(for: domain) }
        }
    }

    /// The `Authorization` value for a pull of `repository` under the host's current challenge (nil: none).
    func authorization(_ state: RegistryHostState, domain: String, repository: String,
                       scopeOverride: String? = nil, refresh: Bool = false) async throws -> String? {
        switch await state.challenge {
        case .none: return nil
        case .basic: return try await credentials(state, for: domain)?.basicAuthorization
        case .bearer(let realm, let service, _):
            let scope = scopeOverride ?? "repository:\(repository):pull"
            let token = try await state.token(scope: scope, refresh: refresh) {
                try await fetchToken(state, domain: domain, realm: realm, service: service, scope: scope)
            }
            return "Bearer " + token
        }
    }

    /// Fetches a token from the realm (GET with Basic credentials or anonymous; POST for identity tokens); returns
    /// it with the time it stops being used (its lifetime less 10 s, at least 50 s).
    func fetchToken(_ state: RegistryHostState, domain: String, realm: String, service: String?,
                    scope: String) async throws -> (String, NIODeadline) {
        guard var components = URLComponents(string: realm), let scheme = components.scheme,
              scheme == "https" || scheme == "http" else {
            throw RegistryError(.invalidResponse, "registry \(state.host) named an invalid token realm")
        }
        let credentials = try await credentials(state, for: domain)
        var headers = HTTPHeaders()
        var method = HTTPMethod.GET
        var items = components.queryItems ?? []
        if let service { items.append(URLQueryItem(name: "service", value: service)) }
        items.append(URLQueryItem(name: "scope", value: scope))
        if let credentials, !credentials.isIdentityToken {
            headers.add(name: "Authorization", value: credentials.basicAuthorization)
            items.append(URLQueryItem(name: "account", value: credentials.username))
        }
        if credentials?.isIdentityToken == true { method = .POST }
        components.queryItems = items
        guard let url = components.string else {
            throw RegistryError(.invalidResponse, "registry \(state.host) named an invalid token realm")
        }
        let response: RegistryResponse
        if method == .POST, let credentials {
            var form = URLComponents()
            form.queryItems = [URLQueryItem(name: "grant_type", value: "refresh_token"),
                               URLQueryItem(name: "refresh_token", value: credentials.secret),
                               URLQueryItem(name: "service", value: service ?? ""),
                               URLQueryItem(name: "scope", value: scope),
                               URLQueryItem(name: "client_id", value: "image-verifier")]
            var formHeaders = HTTPHeaders()
            formHeaders.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            response = try await transport.send(state, url: realm, method: .POST, headers: formHeaders,
                                                body: Array((form.percentEncodedQuery ?? "").utf8), maxBody: 1 << 20,
                                                what: "a token from \(RegistryTransport.redact(realm))")
        } else {
            response = try await transport.send(state, url: url, method: .GET, headers: headers, maxBody: 1 << 20,
                                      what: "a token from \(RegistryTransport.redact(realm))")
        }
        guard response.status == 200 else {
            let code: RegistryError.Code = response.status == 429 ? .rateLimited : .unauthorized
            throw RegistryError(code, "the token service \(RegistryTransport.redact(realm)) refused a token for \(scope) with HTTP \(response.status)\(RegistryTransport.errorSuffix(response.body)); \(credentials == nil ? "give --registry-username/--registry-password or docker login" : "check the credentials for \(domain)")")
        }
        struct TokenResponse: Decodable {
            let token: String?
            let access_token: String?
            let expires_in: Int?
        }
        guard let decoded = try? JSONDecoder().decode(TokenResponse.self, from: Data(response.body)),
              let token = decoded.token ?? decoded.access_token, !token.isEmpty else {
            throw RegistryError(.invalidResponse, "the token service \(RegistryTransport.redact(realm)) answered without a token")
        }
        let lifetime = max(60, decoded.expires_in ?? 60) - 10
        return (token, .now() + .seconds(Int64(lifetime)))
    }

    /// A request to `path` under `repository`'s registry with auth: on 401 the challenge is (re)read, a token
    /// fetched, and the request retried once.
    func request(_ repository: ImageReference, path: String, method: HTTPMethod = .GET, accept: String? = nil,
                 maxBody: Int, what: String, absoluteURL: String? = nil) async throws -> RegistryResponse {
        let (state, base) = try await transport.endpoint(repository.domain)
        var headers = HTTPHeaders()
        if let accept { headers.add(name: "Accept", value: accept) }
        let url = absoluteURL ?? base + path
        var authorized = headers
        if let value = try await authorization(state, domain: repository.domain, repository: repository.path) {
            authorized.add(name: "Authorization", value: value)
        }
        var response = try await transport.send(state, url: url, method: method, headers: authorized, maxBody: maxBody, what: what)
        if response.status == 401 {
            let challenge = response.header("WWW-Authenticate").flatMap(AuthChallenge.parse)
            if let challenge, challenge != .none {
                await state.setChallenge(challenge)
                var scope: String?
                if case .bearer(_, _, let s) = challenge, let s, s.hasPrefix("repository:") { scope = s }
                var retried = headers
                if let value = try await authorization(state, domain: repository.domain, repository: repository.path,
                                                       scopeOverride: scope, refresh: true) {
                    retried.add(name: "Authorization", value: value)
                    response = try await transport.send(state, url: url, method: method, headers: retried, maxBody: maxBody, what: what)
                }
            }
            if response.status == 401 {
                let hasCredentials = ((try? await credentials(state, for: repository.domain)) ?? nil) != nil
                throw RegistryError(.unauthorized, "registry \(state.host) refused \(what) (HTTP 401)\(RegistryTransport.errorSuffix(response.body)); \(hasCredentials ? "the credentials for \(repository.domain) were not accepted" : "give --registry-username/--registry-password or docker login \(repository.domain)")",
                                    location: RegistryTransport.redact(url))
            }
        }
        if response.status == 403 {
            throw RegistryError(.unauthorized, "registry \(state.host) denied \(what) (HTTP 403)\(RegistryTransport.errorSuffix(response.body)); the credentials lack pull access to \(repository.path)",
                                location: RegistryTransport.redact(url))
        }
        return response
    }
}

/// Runs blocking work on a thread of its own and awaits its result. A credential helper is a child process that may
/// take up to its timeout (10 s); waited for on Swift's cooperative pool (one thread per core), it would stall every
/// other request of the process meanwhile — in `verify-image serve`, every admission request.
func onThreadOfItsOwn<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
