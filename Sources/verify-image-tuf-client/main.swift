// verify-image-tuf-client: the client-under-test CLI of theupdateframework/tuf-conformance (CLIENT-CLI.md), on the
// TUF module. Exit status 0 on success, 1 on any failure (with the reason on stderr).
//
//   verify-image-tuf-client --metadata-dir DIR init TRUSTED_ROOT
//   verify-image-tuf-client --metadata-dir DIR --metadata-url URL refresh
//   verify-image-tuf-client --metadata-dir DIR --metadata-url URL --target-name PATH [--target-name PATH…]
//                           --target-base-url URL --target-dir DIR download
import Foundation
import TUFDownload

struct Arguments {
    var options: [String: [String]] = [:]
    var positional: [String] = []

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            if argument.hasPrefix("--") {
                let parts = argument.dropFirst(2).split(separator: "=", maxSplits: 1)
                let name = String(parts[0])
                guard ["metadata-dir", "metadata-url", "target-name", "target-base-url", "target-dir"].contains(name) else {
                    if name == "verbose" { continue }
                    throw TUFError(.usage, "unknown option --\(name)")
                }
                guard let value = parts.count == 2 ? String(parts[1]) : iterator.next() else {
                    throw TUFError(.usage, "--\(name) needs a value")
                }
                options[name, default: []].append(value)
            } else if argument == "-v" {
                continue
            } else {
                positional.append(argument)
            }
        }
    }

    func one(_ name: String) throws -> String {
        guard let values = options[name], values.count == 1 else { throw TUFError(.usage, "give --\(name) exactly once") }
        return values[0]
    }
}

func log(_ message: String) {
    FileHandle.standardError.write(Data("verify-image-tuf-client: \(message)\n".utf8))
}

func run() async throws {
    let arguments = try Arguments(Array(CommandLine.arguments.dropFirst()))
    let store = TUFMetadataStore(directory: URL(fileURLWithPath: try arguments.one("metadata-dir")))
    switch arguments.positional.first {
    case "init":
        guard arguments.positional.count == 2 else { throw TUFError(.usage, "usage: --metadata-dir DIR init TRUSTED_ROOT") }
        guard let bytes = FileManager.default.contents(atPath: arguments.positional[1]) else {
            throw TUFError(.storage, "cannot read \(arguments.positional[1])")
        }
        _ = try RootMetadata(initialRootBytes: [UInt8](bytes))
        try store.write("root", [UInt8](bytes))
        log("initialised \(store.directory.path) with \(arguments.positional[1])")
    case "refresh":
        let client = try TUFClient(store: store, metadataBaseURL: try arguments.one("metadata-url"), fetcher: StandardTUFFetcher())
        try await client.refresh()
        let version = await client.trustedRoot.envelope.version
        log("refreshed; trusted root is v\(version)")
    case "download":
        let client = try TUFClient(store: store, metadataBaseURL: try arguments.one("metadata-url"), fetcher: StandardTUFFetcher())
        let targetDirectory = URL(fileURLWithPath: try arguments.one("target-dir"))
        let base = try arguments.one("target-base-url")
        guard let names = arguments.options["target-name"], !names.isEmpty else {
            throw TUFError(.usage, "give at least one --target-name")
        }
        for name in names {
            guard let target = try await client.targetInfo(for: name) else {
                throw TUFError(.targetNotFound, "target \(name) is not in the repository")
            }
            let file = targetDirectory.appendingPathComponent(TUFMetadataStore.fileName(for: name))
            if let cached = FileManager.default.contents(atPath: file.path), (try? target.verify([UInt8](cached))) != nil {
                log("\(name) is already downloaded")
                continue
            }
            let bytes = try await client.download(target, targetBaseURL: base)
            do {
                try FileManager.default.createDirectory(at: targetDirectory, withIntermediateDirectories: true)
                try Data(bytes).write(to: file, options: .atomic)
            } catch {
                throw TUFError(.storage, "cannot write \(file.path): \(error.localizedDescription)")
            }
            log("downloaded \(name) (\(bytes.count) bytes)")
        }
    default:
        throw TUFError(.usage, "expected a command: init, refresh or download")
    }
}

do {
    try await run()
    exit(0)
} catch {
    log("\(error)")
    exit(1)
}
