import Foundation

/// `verify-image-bench gate [--images N] [--runs N] [--cosign PATH]`
///
/// A release of N (default 30) distinct signed images in a real registry, decided by `verify-image gate` (one
/// ClusterImagePolicy with the signer's key, a manifest naming the N images by digest, `--no-cache`) next to
/// `cosign verify --key` given the same N images in one invocation. Starts its own docker-registry on 127.0.0.1,
/// pushes testdata/images/layouts/app-v1, makes N distinct manifests and signs them with cosign (no tlog upload,
/// so both sides verify the key signature only). Prints the median wall time of each over the runs.
func benchGate(_ arguments: [String]) async throws {
    let options = try RegistryBenchOptions.parse(arguments, bench: "gate", runs: 5, images: 30)
    let (runs, imageCount) = (options.runs, options.imageCount)
    let binary = Bench.verifyImage
    guard let cosign = options.cosign else {
        throw BenchError("cosign not found (on PATH, give --cosign PATH, or run scripts/peer-tools.sh)")
    }
    let registry = try BenchRegistry()
    defer { registry.stop() }
    let (host, work, key, env) = (registry.host, registry.work, registry.key, registry.environment)
    let references = try registry.signedImages(imageCount, cosign: cosign)

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
        let a = try Bench.run(ours, environment: env)
        guard a.status == 0 else { throw BenchError("verify-image gate did not pass: \(a.out.prefix(3000)) \(a.err)") }
        oursTimes.append(a.seconds)
        let b = try Bench.run(theirs, environment: env)
        guard b.status == 0 else { throw BenchError("cosign verify did not pass: \(b.err.prefix(2000))") }
        cosignTimes.append(b.seconds)
    }
    let mine = Bench.median(oursTimes), peer = Bench.median(cosignTimes)
    print("A release of \(imageCount) images, one invocation each, median wall time of \(runs) runs:")
    print(String(format: "  verify-image gate       %8.1f ms   %7.1f images/s", mine * 1000, Double(imageCount) / mine))
    print(String(format: "  cosign verify           %8.1f ms   %7.1f images/s   (verify-image gate is %.1fx faster; goal 5x)",
                 peer * 1000, Double(imageCount) / peer, peer / mine))
}
