import Foundation

/// `verify-image-bench pin [--runs N] [--images N]` (skopeo: `$SKOPEO`, else `skopeo` on PATH)
///
/// Starts its own registry (docker-registry on a free 127.0.0.1 port), pushes the fixture `testdata/images/layouts/app-v1`
/// under N distinct references (default 100: 10 repositories × 10 tags), writes a folder of 10 charts whose
/// values.yaml name those images by tag (Helm `{repository, tag}` maps and `image: repo:tag` strings), then per run
/// (default 5):
/// - `verify-image pin --no-cache` on a fresh copy of the folder (one process: scan, resolve, rewrite);
/// - the shell loop a team writes without it: `skopeo inspect --no-tags --tls-verify=false --format '{{.Digest}}'`
///   per image (what `crane digest` does; `--no-tags` spares skopeo listing the tags),
/// and prints the median wall time of each, process starts included, and checks both found the same digests.
func benchPin(_ arguments: [String]) async throws {
    let options = try RegistryBenchOptions.parse(arguments, bench: "pin", runs: 5, images: 100)
    let (runs, imageCount) = (options.runs, options.imageCount)
    let skopeo = ProcessInfo.processInfo.environment["SKOPEO"].flatMap { $0.isEmpty ? nil : $0 } ?? Bench.peer("skopeo")
    let root = Bench.root
    let binary = Bench.verifyImage
    let registry = try BenchRegistry()
    defer { registry.stop() }
    let (host, work) = (registry.host, registry.work)
    let layout = root.appendingPathComponent("testdata/images/layouts/app-v1").path

    // N distinct references, pushed with one push-layout.py process.
    let references = (0..<imageCount).map { n in (repository: "\(host)/bench/chart\(n / 10)/image\(n % 10)", tag: "v1.\(n)") }
    let jobs = references.map { "\(layout) http://\(host) \($0.repository.dropFirst(host.count + 1)) --tag \($0.tag)" }
    try Data(jobs.joined(separator: "\n").utf8).write(to: work.appendingPathComponent("jobs"))
    let push = try Bench.run(["/usr/bin/env", "python3", root.appendingPathComponent("scripts/push-layout.py").path,
                                                    "--jobs", work.appendingPathComponent("jobs").path])
    guard push.status == 0 else { throw BenchError("push-layout.py failed: \(push.err)") }
    let expected = try BenchRegistry.imageDigest(layout)

    // The charts: 10 images per values.yaml, half as Helm maps, half as strings.
    let charts = work.appendingPathComponent("charts")
    for chart in 0..<((imageCount + 9) / 10) {
        let dir = charts.appendingPathComponent("chart\(chart)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var values = "# values of chart\(chart)\n"
        for (n, reference) in references.enumerated() where n / 10 == chart {
            values += n % 2 == 0
                ? "component\(n):\n  image:\n    repository: \(reference.repository)\n    tag: \(reference.tag)  # keep\n"
                : "component\(n):\n  image: \(reference.repository):\(reference.tag)\n"
        }
        try Data(values.utf8).write(to: dir.appendingPathComponent("values.yaml"))
        try Data("apiVersion: v2\nname: chart\(chart)\nversion: 1.0.0\n".utf8).write(to: dir.appendingPathComponent("Chart.yaml"))
    }
    let loop = work.appendingPathComponent("skopeo-loop.sh")
    try Data(("for ref in " + references.map { "\($0.repository):\($0.tag)" }.joined(separator: " ")
        + "; do \"$SKOPEO\" inspect --no-tags --tls-verify=false --format '{{.Digest}}' \"docker://$ref\" || exit 1; done\n").utf8)
        .write(to: loop)

    print("Pin benchmark — \(imageCount) image references by tag in \((imageCount + 9) / 10) charts, docker-registry at http://\(host)")
    #if DEBUG
    print("  WARNING: debug build; use `swift build -c release --static-swift-stdlib` for figures")
    #endif
    var ours: [Double] = [], peer: [Double] = []
    var env = ProcessInfo.processInfo.environment
    env["XDG_CACHE_HOME"] = work.appendingPathComponent("cache").path
    env["SKOPEO"] = skopeo ?? ""
    for run in 0..<runs {
        let copy = work.appendingPathComponent("run\(run)")
        try FileManager.default.copyItem(at: charts, to: copy)
        let pinned = try Bench.run([binary, "pin", "--no-cache", "--output", "json", copy.path], environment: env)
        guard pinned.status == 0 else { throw BenchError("verify-image pin failed (\(pinned.status)): \(pinned.out.prefix(500)) \(pinned.err)") }
        let report = try JSONSerialization.jsonObject(with: Data(pinned.out.utf8)) as? [String: Any]
        let results = report?["results"] as? [[String: Any]] ?? []
        guard results.count == imageCount, results.allSatisfy({ $0["digest"] as? String == expected }) else {
            throw BenchError("verify-image pin did not pin \(imageCount) images to \(expected)")
        }
        ours.append(pinned.seconds)
        if skopeo != nil {
            let looped = try Bench.run(["/bin/sh", loop.path], environment: env)
            guard looped.status == 0 else { throw BenchError("the skopeo loop failed: \(looped.err)") }
            let digests = looped.out.split(separator: "\n")
            guard digests.count == imageCount, digests.allSatisfy({ $0 == expected }) else {
                throw BenchError("skopeo printed other digests than \(expected)")
            }
            peer.append(looped.seconds)
        }
    }
    print("Median wall time of \(runs) runs (process starts included):")
    let oursMedian = Bench.median(ours)
    print(String(format: "  verify-image pin (scan + resolve + rewrite)   %8.1f ms   %7.0f references/s", oursMedian * 1000,
                 Double(imageCount) / oursMedian))
    if skopeo != nil {
        let peerMedian = Bench.median(peer)
        print(String(format: "  skopeo inspect loop (resolve only)            %8.1f ms   %7.0f references/s   (verify-image is %.1fx faster)",
                     peerMedian * 1000, Double(imageCount) / peerMedian, peerMedian / oursMedian))
    } else {
        print("  skopeo: not found (apt-get install skopeo, or set SKOPEO=PATH)")
    }
}
