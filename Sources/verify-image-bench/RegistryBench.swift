import Foundation
import ImageGate

/// `verify-image-bench registry [--runs N] [--images N] [--cosign PATH]`
///
/// Starts its own registry (``BenchRegistry``), then:
/// 1. verifies one cosign-signed image with `verify-image verify --no-cache` and with `cosign verify --key …
///    --insecure-ignore-tlog --allow-http-registry`, N runs each (default 11), and prints the median wall time of
///    each (process start included for both);
/// 2. makes N distinct signed images (default 100) and verifies all of them in one invocation of each tool.
/// cosign comes from ``Bench/peer(_:)`` (`$COSIGN`, PATH, or `scripts/peer-tools.sh`).
func benchRegistry(_ arguments: [String]) async throws {
    let options = try RegistryBenchOptions.parse(arguments, bench: "registry", runs: 11, images: 100)
    let (runs, imageCount) = (options.runs, options.imageCount)
    let registry = try BenchRegistry()
    defer { registry.stop() }
    let cosign = options.cosign
    print("Registry benchmark — docker-registry (distribution) at http://\(registry.host), image \(registry.image)")
    #if DEBUG
    print("  WARNING: debug build; use `swift build -c release` for figures")
    #endif
    let ours = try Bench.median(registry.ourVerify + [registry.image], runs: runs, environment: registry.environment)
    print("")
    print("One signed image, median wall time of \(runs) runs (process start included):")
    print(String(format: "  verify-image verify     %8.1f ms", ours * 1000))
    guard let cosign else {
        print("  cosign: not found (on PATH or from scripts/peer-tools.sh)")
        return
    }
    let theirs = try Bench.median(registry.cosignVerify(cosign) + [registry.image], runs: runs, environment: registry.environment)
    print(String(format: "  cosign verify           %8.1f ms   (verify-image is %.1fx faster)", theirs * 1000, theirs / ours))

    print("")
    print("Signing \(imageCount) distinct images with cosign sign --tlog-upload=false …")
    let references = try registry.signedImages(imageCount, cosign: cosign)
    let all = try Bench.median(registry.ourVerify + references, runs: 1, environment: registry.environment)
    let peer = try Bench.median(registry.cosignVerify(cosign) + references, runs: 1, environment: registry.environment)
    print("\(imageCount) distinct signed images, one invocation each:")
    print(String(format: "  verify-image verify     %7.2f s   %7.1f images/s", all, Double(imageCount) / all))
    print(String(format: "  cosign verify           %7.2f s   %7.1f images/s   (verify-image is %.1fx faster)", peer,
                 Double(imageCount) / peer, peer / all))
}

/// The options of the registry benchmarks: `--runs N`, `--images N`, `--cosign PATH` (default ``Bench/peer(_:)``).
struct RegistryBenchOptions {
    var runs: Int
    var imageCount: Int
    var cosign: String?

    static func parse(_ arguments: [String], bench: String, runs: Int, images: Int) throws -> RegistryBenchOptions {
        var options = RegistryBenchOptions(runs: runs, imageCount: images, cosign: Bench.peer("cosign"))
        var i = 0
        while i < arguments.count {
            let v = i + 1 < arguments.count ? arguments[i + 1] : ""
            switch arguments[i] {
            case "--runs": options.runs = max(1, Int(v) ?? runs); i += 1
            case "--images": options.imageCount = max(1, Int(v) ?? images); i += 1
            case "--cosign": options.cosign = v; i += 1
            default: throw BenchError("\(bench) bench: unknown argument \(arguments[i])")
            }
            i += 1
        }
        return options
    }
}

/// A private registry for benchmarks: Debian's docker-registry on a free 127.0.0.1 port (plain HTTP) in a
/// temporary folder, with the cosign-signed fixture `testdata/images/layouts/app-v1` pushed by
/// `scripts/push-layout.py`. Stopped and removed by ``stop()``.
final class BenchRegistry {
    let host: String
    /// The signed fixture image, by digest.
    let image: String
    /// HOME, cache and docker config inside the temporary folder, and the fixture key's password for cosign.
    let environment: [String: String]
    let work: URL
    private let server: Process
    private var signed: [String] = []

    init() throws {
        guard let registryServer = Bench.peer("docker-registry") else {
            throw BenchError("docker-registry is not installed (scripts/peer-tools.sh installs it)")
        }
        work = FileManager.default.temporaryDirectory.appendingPathComponent("iv-bench-registry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work.appendingPathComponent("storage"), withIntermediateDirectories: true)
        let port = try Self.freePort()
        host = "127.0.0.1:\(port)"
        let config = """
            version: 0.1
            log: {level: error}
            storage: {filesystem: {rootdirectory: \(work.path)/storage}}
            http:
              addr: \(host)

            """
        try Data(config.utf8).write(to: work.appendingPathComponent("config.yml"))
        server = Process()
        server.executableURL = URL(fileURLWithPath: registryServer)
        server.arguments = ["serve", work.appendingPathComponent("config.yml").path]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        var env = ProcessInfo.processInfo.environment
        let home = work.appendingPathComponent("home").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        env["HOME"] = home
        env["XDG_CACHE_HOME"] = home + "/cache"
        env["DOCKER_CONFIG"] = home + "/docker"
        env["COSIGN_PASSWORD"] = "fixture-password"
        environment = env
        let layout = Bench.root.appendingPathComponent("testdata/images/layouts/app-v1").path
        image = "\(host)/bench/app-v1@\(try Self.imageDigest(layout))"
        // The push retries while the registry starts.
        var pushed = Bench.Run(status: 1, seconds: 0, out: "", err: "")
        for _ in 0..<50 {
            pushed = try Bench.run(["/usr/bin/env", "python3", Bench.root.appendingPathComponent("scripts/push-layout.py").path,
                                    layout, "http://\(host)", "bench/app-v1"])
            if pushed.status == 0 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        guard pushed.status == 0 else {
            stop()
            throw BenchError("push-layout.py failed: \(pushed.err)")
        }
    }

    func stop() {
        if server.isRunning { server.terminate(); server.waitUntilExit() }
        try? FileManager.default.removeItem(at: work)
    }

    /// The public key of the fixture signer.
    var key: String { Bench.root.appendingPathComponent("testdata/images/keys/signer.pub").path }

    /// `verify-image verify` with the key, no transparency log, no disk cache (each run fetches everything).
    var ourVerify: [String] {
        [Bench.verifyImage, "verify", "--key", key, "--insecure-ignore-tlog", "--no-cache", "--output", "json"]
    }

    /// `cosign verify` with the same key and flags.
    func cosignVerify(_ cosign: String) -> [String] {
        [cosign, "verify", "--key", key, "--insecure-ignore-tlog", "--allow-http-registry", "--output", "json"]
    }

    /// `count` distinct images (app-v1's manifest with a distinct annotation each, same config and layers), each
    /// signed with `cosign sign --tlog-upload=false`; made once and reused.
    func signedImages(_ count: Int, cosign: String) throws -> [String] {
        if signed.count >= count { return Array(signed.prefix(count)) }
        let layout = Bench.root.appendingPathComponent("testdata/images/layouts/app-v1").path
        let digest = image.split(separator: "@").last.map(String.init) ?? ""
        let manifest = layout + "/blobs/sha256/" + digest.dropFirst("sha256:".count)
        // One Python process PUTs the manifests and prints their digests.
        let script = """
            import hashlib, json, sys, urllib.request
            manifest = json.load(open(sys.argv[1]))
            for n in range(int(sys.argv[3]), int(sys.argv[4])):
                manifest.setdefault("annotations", {})["dev.image-verifier.bench"] = str(n)
                body = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
                digest = "sha256:" + hashlib.sha256(body).hexdigest()
                request = urllib.request.Request(sys.argv[2] + "/manifests/" + digest, data=body, method="PUT",
                                                 headers={"Content-Type": manifest["mediaType"]})
                urllib.request.urlopen(request).read()
                print(digest)
            """
        let made = try Bench.run(["/usr/bin/env", "python3", "-c", script, manifest, "http://\(host)/v2/bench/app-v1",
                                  String(signed.count), String(count)])
        guard made.status == 0 else { throw BenchError("making the bench images failed: \(made.err)") }
        let references = made.out.split(separator: "\n").map { "\(host)/bench/app-v1@\($0)" }
        let signingKey = Bench.root.appendingPathComponent("testdata/images/keys/signer.key").path
        for chunk in stride(from: 0, to: references.count, by: 25) {
            let batch = Array(references[chunk..<min(chunk + 25, references.count)])
            let result = try Bench.run([cosign, "sign", "--key", signingKey, "--tlog-upload=false", "--allow-http-registry", "-y"] + batch,
                                       environment: environment)
            guard result.status == 0 else { throw BenchError("cosign sign failed: \(result.err)") }
        }
        signed += references
        return signed
    }

    static func freePort() throws -> Int {
        let r = try Bench.run(["/usr/bin/env", "python3", "-c",
                               "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"])
        guard let port = Int(r.out.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw BenchError("no free port") }
        return port
    }

    /// The digest of the cosign image entry of a `cosign save` layout.
    static func imageDigest(_ layout: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: layout + "/index.json"))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let entries = object?["manifests"] as? [[String: Any]] ?? []
        guard let entry = entries.first(where: { ($0["annotations"] as? [String: String])?["kind"] == "dev.cosignproject.cosign/image" }),
              let digest = entry["digest"] as? String else { throw BenchError("\(layout) has no cosign image entry") }
        return digest
    }
}
