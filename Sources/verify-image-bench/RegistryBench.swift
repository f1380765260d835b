import Foundation
import ImageGate

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `verify-image-bench registry [--runs N] [--images N] [--cosign PATH] [--keep]`
///
/// Starts its own registry (Debian's docker-registry on a free 127.0.0.1 port, plain HTTP), pushes the cosign-signed
/// fixture `testdata/images/layouts/app-v1` with scripts/push-layout.py, then:
/// 1. verifies that image with `verify-image verify --no-cache` and with `cosign verify --key …
///    --insecure-ignore-tlog --allow-http-registry`, N runs each (default 11), alternating, and prints the median
///    wall time of each (process start included for both);
/// 2. makes N distinct images (default 100: app-v1's manifest with a distinct annotation each), signs each with
///    `cosign sign --key keys/signer.key --tlog-upload=false`, and verifies all of them in one invocation of each
///    tool, printing images/s.
/// cosign defaults to /work/peer/bin/cosign (made by shared/tools/peer-tools.sh) or `cosign` on PATH; it needs HOME.
func benchRegistry(_ arguments: [String]) async throws {
    let options = RegistryBenchOptions.parse(arguments, bench: "registry", runs: 11, images: 100)
    let (runs, imageCount, cosign) = (options.runs, options.imageCount, options.cosign)
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let binary = try registryBenchVerifyImage()
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("iv-registry-bench-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: work) }
    let (server, host, layout) = try await startBenchRegistryWithAppV1(root: root, work: work)
    defer { server.terminate(); server.waitUntilExit() }
    let key = root.appendingPathComponent("testdata/images/keys/signer.pub").path
    let signingKey = root.appendingPathComponent("testdata/images/keys/signer.key").path
    let digest = try registryBenchImageDigest(layout)
    let image = "\(host)/bench/app-v1@\(digest)"
    let env = try registryBenchEnvironment(work: work)

    print("Registry benchmark — docker-registry (distribution 2.8) at http://\(host), image \(image)")
    #if DEBUG
    print("  WARNING: debug build; use `swift build -c release` for figures")
    #endif
    let ours = [binary, "verify", "--key", key, "--insecure-ignore-tlog", "--no-cache", "--output", "json"]
    let theirs = cosign.map { [$0, "verify", "--key", key, "--insecure-ignore-tlog", "--allow-http-registry", "--output", "json"] }

    // 1. One image, median of N runs, alternating.
    var oursTimes: [Double] = [], cosignTimes: [Double] = []
    for _ in 0..<runs {
        let a = try registryBenchTimed(ours + [image], env: env)
        guard a.status == 0 else { throw RegistryBenchError("verify-image did not pass: \(a.out) \(a.err)") }
        oursTimes.append(a.seconds)
        if let theirs {
            let b = try registryBenchTimed(theirs + [image], env: env)
            guard b.status == 0 else { throw RegistryBenchError("cosign verify did not pass: \(b.err)") }
            cosignTimes.append(b.seconds)
        }
    }
    print("")
    print("One signed image, median wall time of \(runs) runs (process start included):")
    print(String(format: "  verify-image verify     %8.1f ms", registryBenchMedian(oursTimes) * 1000))
    if cosign != nil {
        print(String(format: "  cosign verify           %8.1f ms   (verify-image is %.1fx faster)", registryBenchMedian(cosignTimes) * 1000,
                     registryBenchMedian(cosignTimes) / registryBenchMedian(oursTimes)))
    } else {
        print("  cosign: not found (give --cosign PATH; make it with shared/tools/peer-tools.sh)")
    }

    // 2. N distinct signed images in one invocation.
    guard let cosign else { return }
    let references = try await pushDistinctImages(host: host, layout: layout, digest: digest, count: imageCount)
    print("")
    print("Signing \(imageCount) distinct images with cosign sign --tlog-upload=false …")
    let signStart = Date()
    try cosignSign(references, cosign: cosign, key: signingKey, env: env)
    print(String(format: "  (signing took %.1f s)", Date().timeIntervalSince(signStart)))
    let all = try registryBenchTimed(ours + references, env: env)
    guard all.status == 0 else { throw RegistryBenchError("verify-image did not pass all \(imageCount): \(all.out.prefix(2000)) \(all.err)") }
    let peer = try registryBenchTimed(Array(theirs!) + references, env: env)
    guard peer.status == 0 else { throw RegistryBenchError("cosign verify did not pass all \(imageCount): \(peer.err.prefix(2000))") }
    print("\(imageCount) distinct signed images, one invocation each:")
    print(String(format: "  verify-image verify     %7.2f s   %7.1f images/s", all.seconds, Double(imageCount) / all.seconds))
    print(String(format: "  cosign verify           %7.2f s   %7.1f images/s   (verify-image is %.1fx faster)", peer.seconds,
                 Double(imageCount) / peer.seconds, peer.seconds / all.seconds))
}

/// The options of the registry benchmarks: `--runs N`, `--images N`, `--cosign PATH` (default: cosign on PATH, or
/// /work/peer/bin/cosign as shared/tools/peer-tools.sh makes it).
struct RegistryBenchOptions {
    var runs: Int
    var imageCount: Int
    var cosign: String?

    static func parse(_ arguments: [String], bench: String, runs: Int, images: Int) -> RegistryBenchOptions {
        var options = RegistryBenchOptions(runs: runs, imageCount: images,
                                           cosign: ["/work/peer/bin/cosign"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? registryBenchFind("cosign"))
        var i = 0
        while i < arguments.count {
            let v = i + 1 < arguments.count ? arguments[i + 1] : ""
            switch arguments[i] {
            case "--runs": options.runs = max(1, Int(v) ?? runs); i += 1
            case "--images": options.imageCount = max(1, Int(v) ?? images); i += 1
            case "--cosign": options.cosign = v; i += 1
            default:
                FileHandle.standardError.write(Data("\(bench) bench: unknown argument \(arguments[i])\n".utf8))
                exit(64)
            }
            i += 1
        }
        return options
    }
}

/// The verify-image binary next to this bench binary.
func registryBenchVerifyImage() throws -> String {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("verify-image").path
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        throw RegistryBenchError("verify-image not found next to the bench binary (\(binary)); build both: swift build -c release")
    }
    return binary
}

/// An environment for the peers with a private HOME, cache and Docker config under `work`, and the fixture key's
/// password for cosign.
func registryBenchEnvironment(work: URL) throws -> [String: String] {
    let home = work.appendingPathComponent("home").path
    try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    var env = ProcessInfo.processInfo.environment
    env["HOME"] = home
    env["XDG_CACHE_HOME"] = home + "/cache"
    env["COSIGN_PASSWORD"] = "fixture-password"
    env["DOCKER_CONFIG"] = home + "/docker"
    return env
}

/// Starts docker-registry (see ``startBenchRegistry(_:work:)``) and pushes testdata/images/layouts/app-v1 into it
/// as `bench/app-v1`; returns the server, `host:port` and the layout's path.
func startBenchRegistryWithAppV1(root: URL, work: URL) async throws -> (Process, String, String) {
    guard let registryServer = registryBenchFind("docker-registry") else {
        throw RegistryBenchError("docker-registry is not installed (apt-get install docker-registry)")
    }
    let (server, host) = try await startBenchRegistry(registryServer, work: work)
    let layout = root.appendingPathComponent("testdata/images/layouts/app-v1").path
    let push = try registryBenchRun("/usr/bin/env", ["python3", root.appendingPathComponent("scripts/push-layout.py").path,
                                                    layout, "http://\(host)", "bench/app-v1"])
    guard push.status == 0 else {
        server.terminate()
        throw RegistryBenchError("push-layout.py failed: \(push.err)")
    }
    return (server, host, layout)
}

/// Starts Debian's docker-registry on a free 127.0.0.1 port (plain HTTP) with storage under `work`; returns the
/// server process (terminate it when done) and `host:port`.
func startBenchRegistry(_ registryServer: String, work: URL) async throws -> (Process, String) {
    try FileManager.default.createDirectory(at: work.appendingPathComponent("storage"), withIntermediateDirectories: true)
    let port = try registryBenchFreePort()
    let host = "127.0.0.1:\(port)"
    let config = """
        version: 0.1
        log: {level: error}
        storage: {filesystem: {rootdirectory: \(work.path)/storage}}
        http:
          addr: \(host)

        """
    try Data(config.utf8).write(to: work.appendingPathComponent("config.yml"))
    let server = Process()
    server.executableURL = URL(fileURLWithPath: registryServer)
    server.arguments = ["serve", work.appendingPathComponent("config.yml").path]
    server.standardOutput = FileHandle.nullDevice
    server.standardError = FileHandle.nullDevice
    try server.run()
    try await registryBenchWait("http://\(host)/v2/")
    return (server, host)
}

/// PUTs `count` distinct manifests (the layout's image manifest with a distinct annotation each) into
/// `host/bench/app-v1` and returns their digest references.
func pushDistinctImages(host: String, layout: String, digest: String, count: Int) async throws -> [String] {
    let manifestBytes = try Data(contentsOf: URL(fileURLWithPath: layout + "/blobs/sha256/" + String(digest.dropFirst(7))))
    guard var manifest = try JSONSerialization.jsonObject(with: manifestBytes) as? [String: Any] else {
        throw RegistryBenchError("app-v1's manifest is not a JSON object")
    }
    var references: [String] = []
    let session = URLSession(configuration: .ephemeral)
    for n in 0..<count {
        var annotations = manifest["annotations"] as? [String: String] ?? [:]
        annotations["dev.image-verifier.bench"] = String(n)
        manifest["annotations"] = annotations
        let bytes = try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys])
        let d = ContentVerifier.digest(of: [UInt8](bytes))
        var request = URLRequest(url: URL(string: "http://\(host)/v2/bench/app-v1/manifests/\(d)")!)
        request.httpMethod = "PUT"
        request.setValue(manifest["mediaType"] as? String ?? "application/vnd.oci.image.manifest.v1+json", forHTTPHeaderField: "Content-Type")
        let (_, response) = try await session.upload(for: request, from: bytes)
        guard (response as? HTTPURLResponse)?.statusCode == 201 else { throw RegistryBenchError("manifest PUT failed: \(response)") }
        references.append("\(host)/bench/app-v1@\(d)")
    }
    return references
}

/// Signs every reference with `cosign sign --key KEY --tlog-upload=false`, 25 per invocation.
func cosignSign(_ references: [String], cosign: String, key: String, env: [String: String]) throws {
    for chunk in stride(from: 0, to: references.count, by: 25) {
        let batch = Array(references[chunk..<min(chunk + 25, references.count)])
        let signed = try registryBenchTimed([cosign, "sign", "--key", key, "--tlog-upload=false", "--allow-http-registry", "-y"] + batch, env: env)
        guard signed.status == 0 else { throw RegistryBenchError("cosign sign failed: \(signed.err)") }
    }
}

struct RegistryBenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

func registryBenchFind(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let candidate = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

func registryBenchMedian(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func registryBenchFreePort() throws -> Int {
    let r = try registryBenchRun("/usr/bin/env", ["python3", "-c",
        "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"])
    guard let port = Int(r.out.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw RegistryBenchError("no free port") }
    return port
}

func registryBenchWait(_ url: String) async throws {
    for _ in 0..<100 {
        if let u = URL(string: url), let (_, response) = try? await URLSession.shared.data(from: u),
           (response as? HTTPURLResponse)?.statusCode == 200 { return }
        try await Task.sleep(nanoseconds: 100_000_000)
    }
    throw RegistryBenchError("the registry at \(url) did not start")
}

func registryBenchImageDigest(_ layout: String) throws -> String {
    let data = try Data(contentsOf: URL(fileURLWithPath: layout + "/index.json"))
    let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    let entries = object?["manifests"] as? [[String: Any]] ?? []
    guard let entry = entries.first(where: { ($0["annotations"] as? [String: String])?["kind"] == "dev.cosignproject.cosign/image" }),
          let digest = entry["digest"] as? String else { throw RegistryBenchError("\(layout) has no cosign image entry") }
    return digest
}

struct RegistryBenchResult {
    var status: Int32
    var seconds: Double
    var out: String
    var err: String
}

func registryBenchRun(_ program: String, _ args: [String]) throws -> RegistryBenchResult {
    try registryBenchTimed([program] + args, env: ProcessInfo.processInfo.environment)
}

/// Runs a command to the end and measures its wall time (output collected through files, not pipes).
func registryBenchTimed(_ command: [String], env: [String: String]) throws -> RegistryBenchResult {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("rb-\(UUID().uuidString)")
    let err = FileManager.default.temporaryDirectory.appendingPathComponent("rb-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: err) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: command[0])
    process.arguments = Array(command.dropFirst())
    process.environment = env
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    let start = DispatchTime.now().uptimeNanoseconds
    try process.run()
    process.waitUntilExit()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return RegistryBenchResult(status: process.terminationStatus, seconds: seconds,
                               out: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                               err: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
}
