import Foundation
import ImageGate

/// `verify-image-bench gate [--images N] [--runs N] [--cosign PATH]`
///
/// A release of N (default 30) distinct signed images in a real registry, decided by `verify-image gate` (one
/// ClusterImagePolicy with the signer's key, a manifest naming the N images by digest, `--no-cache`) next to
/// `cosign verify --key` given the same N images in one invocation. Starts its own docker-registry on 127.0.0.1,
/// pushes testdata/images/layouts/app-v1, makes N distinct manifests and signs them with cosign (no tlog upload,
/// so both sides verify the key signature only). Prints the median wall time of each over the runs.
func benchGate(_ arguments: [String]) async throws {
    var runs = 5
    var imageCount = 30
    var cosign = registryBenchFind("cosign") ?? ["/work/peer/bin/cosign"].first { FileManager.default.isExecutableFile(atPath: $0) }
    var i = 0
    while i < arguments.count {
        let v = i + 1 < arguments.count ? arguments[i + 1] : ""
        switch arguments[i] {
        case "--runs": runs = max(1, Int(v) ?? runs); i += 1
        case "--images": imageCount = max(1, Int(v) ?? imageCount); i += 1
        case "--cosign": cosign = v; i += 1
        default:
            FileHandle.standardError.write(Data("gate bench: unknown argument \(arguments[i])\n".utf8))
            exit(64)
        }
        i += 1
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("verify-image").path
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        throw RegistryBenchError("verify-image not found next to the bench binary (\(binary)); build both: swift build -c release")
    }
    guard let cosign else { throw RegistryBenchError("cosign not found on PATH (give --cosign PATH; ../shared/tools/peer-tools.sh installs it)") }
    guard let registryServer = registryBenchFind("docker-registry") else {
        throw RegistryBenchError("docker-registry is not installed (apt-get install docker-registry)")
    }
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("iv-gate-bench-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: work) }
    let (server, host) = try await startBenchRegistry(registryServer, work: work)
    defer { server.terminate(); server.waitUntilExit() }

    let layout = root.appendingPathComponent("testdata/images/layouts/app-v1").path
    let push = try registryBenchRun("/usr/bin/env", ["python3", root.appendingPathComponent("scripts/push-layout.py").path,
                                                    layout, "http://\(host)", "bench/app-v1"])
    guard push.status == 0 else { throw RegistryBenchError("push-layout.py failed: \(push.err)") }
    let key = root.appendingPathComponent("testdata/images/keys/signer.pub").path
    let home = work.appendingPathComponent("home").path
    try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    var env = ProcessInfo.processInfo.environment
    env["HOME"] = home
    env["XDG_CACHE_HOME"] = home + "/cache"
    env["COSIGN_PASSWORD"] = "fixture-password"
    env["DOCKER_CONFIG"] = home + "/docker"
    let references = try await pushDistinctImages(host: host, layout: layout, digest: try registryBenchImageDigest(layout),
                                                  count: imageCount)
    try cosignSign(references, cosign: cosign, key: root.appendingPathComponent("testdata/images/keys/signer.key").path, env: env)

    // The release: one Deployment per image; the policy: the signer's key, no transparency log (as cosign's flags).
    var release = ""
    for (n, reference) in references.enumerated() {
        release += """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: app-\(n)}
            spec:
              template:
                spec:
                  containers:
                  - name: app
                    image: \(reference)
            ---

            """
    }
    try Data(release.utf8).write(to: work.appendingPathComponent("release.yaml"))
    let pem = try String(contentsOfFile: key, encoding: .utf8).split(separator: "\n").map { "          " + $0 }.joined(separator: "\n")
    let policy = """
        apiVersion: policy.sigstore.dev/v1beta1
        kind: ClusterImagePolicy
        metadata: {name: bench}
        spec:
          images: [{glob: "\(host)/bench/**"}]
          authorities:
          - key:
              data: |
        \(pem)

        """
    try Data(policy.utf8).write(to: work.appendingPathComponent("policy.yaml"))

    print("Gate benchmark — \(imageCount) distinct signed images at http://\(host)/bench/app-v1 (docker-registry)")
    #if DEBUG
    print("  WARNING: debug build; use `swift build -c release` for figures")
    #endif
    let ours = [binary, "gate", "--policy", work.appendingPathComponent("policy.yaml").path, "--no-cache", "--output", "json",
                work.appendingPathComponent("release.yaml").path]
    let theirs = [cosign, "verify", "--key", key, "--insecure-ignore-tlog", "--allow-http-registry", "--output", "json"] + references
    var oursTimes: [Double] = [], cosignTimes: [Double] = []
    for _ in 0..<runs {
        let a = try registryBenchTimed(ours, env: env)
        guard a.status == 0 else { throw RegistryBenchError("verify-image gate did not pass: \(a.out.prefix(3000)) \(a.err)") }
        oursTimes.append(a.seconds)
        let b = try registryBenchTimed(theirs, env: env)
        guard b.status == 0 else { throw RegistryBenchError("cosign verify did not pass: \(b.err.prefix(2000))") }
        cosignTimes.append(b.seconds)
    }
    let mine = registryBenchMedian(oursTimes), peer = registryBenchMedian(cosignTimes)
    print("A release of \(imageCount) images, one invocation each, median wall time of \(runs) runs:")
    print(String(format: "  verify-image gate       %8.1f ms   %7.1f images/s", mine * 1000, Double(imageCount) / mine))
    print(String(format: "  cosign verify           %8.1f ms   %7.1f images/s   (verify-image gate is %.1fx faster; goal 5x)",
                 peer * 1000, Double(imageCount) / peer, peer / mine))
}
