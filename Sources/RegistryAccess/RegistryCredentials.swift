import Foundation

/// Credentials for one registry: a username and password, or an identity (OAuth2 refresh) token.
///
/// The secret never appears in ``description``, logs or errors.
public struct RegistryCredentials: Sendable, Hashable, CustomStringConvertible {
    /// The user name (`<token>` for an identity token, as credential helpers write it).
    public let username: String
    /// The password or the identity token.
    let secret: String
    /// True when ``secret`` is an identity (refresh) token, exchanged at the token realm with an OAuth2 POST.
    public let isIdentityToken: Bool

    /// Username and password (HTTP Basic, and the token flow's Basic-authenticated GET).
    public init(username: String, password: String) {
        self.username = username
        self.secret = password
        self.isIdentityToken = false
    }

    /// An identity token (`identitytoken` in a Docker config, or a helper's `<token>` user).
    public init(identityToken: String, username: String = "<token>") {
        self.username = username
        self.secret = identityToken
        self.isIdentityToken = true
    }

    /// `user <username>` or `identity token`: never the secret.
    public var description: String { isIdentityToken ? "identity token" : "user \(username)" }

    /// The `Authorization: Basic …` value.
    var basicAuthorization: String {
        "Basic " + Data((username + ":" + secret).utf8).base64EncodedString()
    }
}

/// Finds credentials the way Docker and cosign do: `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`, with
/// `credHelpers[host]` before `credsStore` before `auths` (`auth` = base64 `user:pass`, `identitytoken`), helpers run
/// as `docker-credential-<name> get`.
public struct DockerCredentialStore: Sendable {
    /// The `config.json` file read (it may not exist).
    public let configFile: String
    /// How long a credential helper may run.
    public var helperTimeout: Double = 10
    /// Where `docker-credential-*` helpers are looked for; nil: `$PATH`.
    public var helperDirectories: [String]?

    /// The store at `directory` (default: `$DOCKER_CONFIG`, else `$HOME/.docker`).
    public init(directory: String? = nil) {
        let env = ProcessInfo.processInfo.environment
        let dir = directory ?? env["DOCKER_CONFIG"] ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.docker")
        self.configFile = dir + "/config.json"
    }

    /// The credentials stored for registry `host` (e.g. `ghcr.io`, `127.0.0.1:5000`, `docker.io`), or nil.
    /// - Throws: ``RegistryError`` `unauthorized` when the config file is malformed or a helper fails (naming the
    ///   file or helper, never a secret).
    public func credentials(for host: String) throws -> RegistryCredentials? {
        guard let data = FileManager.default.contents(atPath: configFile) else { return nil }
        guard data.count <= 4 << 20,
              let object = try? JSONSerialization.jsonObject(with: data), let config = object as? [String: Any] else {
            throw RegistryError(.unauthorized, "\(configFile) is not a JSON object; fix or remove it", location: configFile)
        }
        let wanted = Self.normalize(host)
        if let helpers = config["credHelpers"] as? [String: Any] {
            for (key, value) in helpers where Self.normalize(key) == wanted {
                if let helper = value as? String { return try runHelper(helper, host: host) }
            }
        }
        if let store = config["credsStore"] as? String, !store.isEmpty,
           let found = try runHelper(store, host: host) {
            return found
        }
        guard let auths = config["auths"] as? [String: Any] else { return nil }
        for (key, value) in auths where Self.normalize(key) == wanted {
            guard let entry = value as? [String: Any] else { continue }
            if let token = entry["identitytoken"] as? String, !token.isEmpty {
                return RegistryCredentials(identityToken: token)
            }
            if let auth = entry["auth"] as? String, !auth.isEmpty {
                guard let decoded = Data(base64Encoded: auth), let text = String(data: decoded, encoding: .utf8),
                      let colon = text.firstIndex(of: ":") else {
                    throw RegistryError(.unauthorized, "\(configFile): the auth entry for \(key) is not base64 of user:password",
                                        location: configFile)
                }
                var password = String(text[text.index(after: colon)...])
                while password.hasSuffix("\0") { password.removeLast() }
                return RegistryCredentials(username: String(text[..<colon]), password: password)
            }
            if let user = entry["username"] as? String, let password = entry["password"] as? String {
                return RegistryCredentials(username: user, password: password)
            }
        }
        return nil
    }

    /// A config key or host in one form: no scheme, no path; Docker Hub's names all become `docker.io`.
    static func normalize(_ key: String) -> String {
        var s = Substring(key)
        if let range = s.range(of: "://") { s = s[range.upperBound...] }
        if let slash = s.firstIndex(of: "/") { s = s[..<slash] }
        let host = s.lowercased()
        switch host {
        case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com": return "docker.io"
        default: return host
        }
    }

    /// Runs `docker-credential-<name> get` with `host` on stdin; nil when the helper has nothing for the host.
    func runHelper(_ name: String, host: String) throws -> RegistryCredentials? {
        guard name.utf8.allSatisfy({ $0 > 0x20 && $0 != UInt8(ascii: "/") }) else {
            throw RegistryError(.unauthorized, "\(configFile) names an invalid credential helper \"\(name)\"", location: configFile)
        }
        let program = "docker-credential-" + name
        let paths = helperDirectories?.map { Substring($0) }
            ?? (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        guard let executable = paths.map({ $0 + "/" + program }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw RegistryError(.unauthorized, "credential helper \(program) (from \(configFile)) is not on PATH; install it or remove it from the config")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["get"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw RegistryError(.unauthorized, "could not run credential helper \(program): \(error)")
        }
        input.fileHandleForWriting.write(Data(host.utf8))
        try? input.fileHandleForWriting.close()
        // Read the answer on another thread so a helper that never ends is stopped after helperTimeout.
        let box = HelperOutput()
        let reader = Thread {
            box.set(output.fileHandleForReading.readDataToEndOfFile())
        }
        reader.start()
        let start = Date()
        while process.isRunning && Date().timeIntervalSince(start) < helperTimeout { usleep(5_000) }
        if process.isRunning {
            process.terminate()
            throw RegistryError(.unauthorized, "credential helper \(program) did not answer within \(Int(helperTimeout)) s")
        }
        process.waitUntilExit()
        var waited = 0
        while box.get() == nil && waited < 400 { usleep(5_000); waited += 1 }
        let data = box.get() ?? Data()
        guard process.terminationStatus == 0 else {
            // Helpers answer "credentials not found in native keychain" with a non-zero status: no credentials.
            return nil
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let username = object["Username"] as? String, let secret = object["Secret"] as? String else {
            throw RegistryError(.unauthorized, "credential helper \(program) answered something other than {\"Username\",\"Secret\"}")
        }
        if secret.isEmpty { return nil }
        return username == "<token>" ? RegistryCredentials(identityToken: secret)
                                     : RegistryCredentials(username: username, password: secret)
    }
}

/// A value handed from the helper-reading thread.
private final class HelperOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ value: Data) { lock.lock(); data = value; lock.unlock() }
    func get() -> Data? { lock.lock(); defer { lock.unlock() }; return data }
}
