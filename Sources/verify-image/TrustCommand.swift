import ArgumentParser
import Foundation
import ImageGate

/// `verify-image trust update|show`: keeps the Sigstore trusted root current through TUF (see `TrustedRootStore`).
struct TrustCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Fetch and show the Sigstore trusted root that verification uses (kept current through TUF).",
        subcommands: [TrustUpdateCommand.self, TrustShowCommand.self]
    )
}

/// Options shared by the trust subcommands.
struct TrustStoreOptions: ParsableArguments {
    @Option(name: .customLong("trust-cache"), help: "Cache directory (default: $XDG_CACHE_HOME/image-verifier/trust or ~/.cache/image-verifier/trust).")
    var directory: String?

    var store: TrustedRootStore {
        TrustedRootStore(directory: directory.map { URL(fileURLWithPath: $0) } ?? TrustedRootStore.defaultDirectory)
    }
}

/// Prints a store status as text or JSON.
func printTrustStatus(_ status: TrustedRootStore.Status?, store: TrustedRootStore, json: Bool) throws {
    if json {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let status else {
            print(#"{"schemaVersion":1,"source":"embedded"}"#)
            return
        }
        let body = String(decoding: try encoder.encode(status), as: UTF8.self)
        print("{\"schemaVersion\":1,\"source\":\"cache\",\"cache\":\(body)}")
        return
    }
    guard let status else {
        print("no trusted root was ever fetched; verification uses the one built into verify-image")
        print("run `verify-image trust update` to fetch the current one from \(TrustedRootStore.publicGoodRepository)")
        return
    }
    let formatter = ISO8601DateFormatter()
    print("repository:   \(status.repository)")
    print("fetched:      \(formatter.string(from: status.fetchedAt))")
    print("TUF root:     version \(status.rootVersion)")
    print("valid until:  \(formatter.string(from: status.expires)) (the first TUF metadata expiry)")
    print("trusted root: \(store.directory.appendingPathComponent(TrustedRootStore.targetName).path) (sha256 \(status.trustedRootSHA256))")
}

/// `verify-image trust update [--tuf-url URL --tuf-root FILE]`.
struct TrustUpdateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Refresh the trusted root through TUF and cache it.",
        discussion: "Without options: Sigstore's public-good repository, starting from the TUF root built in. A "
            + "private Sigstore deployment: --tuf-url with its initial --tuf-root the first time. Exit status 0 on "
            + "success, 2 if the repository could not be reached or its metadata was refused, 64 on bad usage."
    )

    @Option(name: .customLong("tuf-url"), help: "TUF repository URL (metadata at URL/, targets at URL/targets/).")
    var url: String?

    @Option(name: .customLong("tuf-root"), help: "The repository's initial trusted root.json (needed once for a private repository).")
    var rootFile: String?

    @OptionGroup var options: TrustStoreOptions

    @Option(help: "text or json.")
    var output: String = "text"

    func run() async throws {
        let root: [UInt8]? = try rootFile.map { path in
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("verify-image trust update: cannot read --tuf-root \(path)\n".utf8))
                throw ExitCode(64)
            }
            return [UInt8](data)
        }
        let store = options.store
        do {
            let status = try await store.update(repository: url, initialRoot: root)
            try printTrustStatus(status, store: store, json: output == "json")
        } catch let error as ImageGateError {
            FileHandle.standardError.write(Data("verify-image trust update: \(error)\n".utf8))
            throw ExitCode(error.code == .trustStoreInvalid ? 64 : 2)
        }
    }
}

/// `verify-image trust show`.
struct TrustShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the cached trusted root.")

    @OptionGroup var options: TrustStoreOptions

    @Option(help: "text or json.")
    var output: String = "text"

    func run() async throws {
        let store = options.store
        try printTrustStatus(store.status(), store: store, json: output == "json")
    }
}
