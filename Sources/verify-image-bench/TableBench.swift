import Foundation
import ImageGate

/// `verify-image-bench table [--runs N] [--images N] [--cosign PATH]`: every row of the speed table (issue 13) in one run, ours
/// next to the peer measured in the same run, with the ratio, printed as a Markdown table (README's Benchmarks
/// section shows its output). Peers come from ``Bench/peer(_:)``: cosign and docker-registry on PATH or from
/// `scripts/peer-tools.sh`, which also builds the baseline of the last row (a static Swift program that imports
/// Foundation and does nothing). A row whose peer is missing says so instead of a figure.
///
/// Wall times are medians of N runs (default 15) after a warm-up, process start included for both tools; the
/// many-images row uses one invocation of each tool for all the images (default 30), ours with `--no-cache`.
func benchTable(_ arguments: [String]) async throws {
    let options = try RegistryBenchOptions.parse(arguments, bench: "table", runs: 15, images: 30)
    let (runs, imageCount) = (options.runs, options.imageCount)
    guard FileManager.default.isExecutableFile(atPath: Bench.verifyImage) else {
        throw BenchError("verify-image not found next to the bench binary (\(Bench.verifyImage)); build both with scripts/install.sh or swift build -c release")
    }
    #if DEBUG
    print("WARNING: debug build; figures need a release build (scripts/install.sh builds one)")
    #endif
    let cosign = options.cosign
    var rows: [TableRow] = []
    func note(_ row: TableRow) {
        rows.append(row)
        FileHandle.standardError.write(Data("  measured: \(row.work)\n".utf8))
    }

    // Rows 1 and 2: a local registry.
    if Bench.peer("docker-registry") != nil {
        let registry = try BenchRegistry()
        defer { registry.stop() }
        let env = registry.environment
        if let cosign {
            let references = try registry.signedImages(imageCount, cosign: cosign)
            var ours: [Double] = [], theirs: [Double] = []
            for _ in 0..<max(3, runs / 3) {
                ours.append(try Bench.median(registry.ourVerify + references, runs: 1, environment: env))
                theirs.append(try Bench.median(registry.cosignVerify(cosign) + references, runs: 1, environment: env))
            }
            let (a, b) = (Bench.median(ours), Bench.median(theirs))
            note(TableRow(work: "\(imageCount) distinct signed images in a local registry, one invocation each (ours with `--no-cache`)",
                          ours: String(format: "%.0f ms (%.0f images/s)", a * 1000, Double(imageCount) / a),
                          peer: String(format: "`cosign verify` with the same %d: %.0f ms", imageCount, b * 1000),
                          ratio: b / a, goal: "≥ 5×"))
        } else {
            note(TableRow.missing("\(imageCount) distinct signed images in a local registry", peer: "cosign", goal: "≥ 5×"))
        }
        let one = try Bench.median(registry.ourVerify + [registry.image], runs: runs, environment: env)
        if let cosign {
            let peer = try Bench.median(registry.cosignVerify(cosign) + [registry.image], runs: runs, environment: env)
            note(TableRow(work: "one signed image from a local registry", ours: String(format: "%.1f ms", one * 1000),
                          peer: String(format: "`cosign verify` %.1f ms", peer * 1000), ratio: peer / one, goal: "≥ 3×"))
        } else {
            note(TableRow(work: "one signed image from a local registry", ours: String(format: "%.1f ms", one * 1000),
                          peer: "cosign not found", ratio: nil, goal: "≥ 3×"))
        }
    } else {
        note(TableRow.missing("signed images in a local registry", peer: "docker-registry", goal: "≥ 5× / ≥ 3×"))
    }

    // Row 3: one image from an OCI layout (`cosign save` output).
    let layout = "testdata/images/layouts/app-v1"
    let key = "testdata/images/keys/signer.pub"
    let digest = try BenchRegistry.imageDigest(Bench.root.appendingPathComponent(layout).path)
    let layoutOurs = try Bench.median([Bench.verifyImage, "--layout", layout, "--key", key, "--insecure-ignore-tlog",
                                       "127.0.0.1:5077/demo/app-v1@\(digest)"], runs: runs)
    var row = TableRow(work: "one image from an OCI layout", ours: String(format: "%.1f ms", layoutOurs * 1000),
                       peer: "cosign not found", ratio: nil, goal: "≥ 3×")
    if let cosign {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("iv-bench-cosign-home").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = home
        let peer = try Bench.median([cosign, "verify", "--local-image", "--offline", "--key", key, "--insecure-ignore-tlog", layout],
                                    runs: runs, environment: env)
        row.peer = String(format: "`cosign verify --local-image` %.1f ms", peer * 1000)
        row.ratio = peer / layoutOurs
    }
    note(row)

    // Row 4: verify-bundle, one bundle (sigstore-python's production bundle, offline with the shipped root).
    let bundle = BundleBenchInput.standard
    let bundleOurs = try Bench.median([Bench.verifyImage, "verify-bundle"] + bundle.cliArguments, runs: runs)
    row = TableRow(work: "`verify-bundle`, one bundle", ours: String(format: "%.1f ms", bundleOurs * 1000),
                   peer: "cosign not found", ratio: nil, goal: "≥ 3×")
    if let cosign {
        let peer = try Bench.median([cosign, "verify-blob", "--trusted-root", "keys/sigstore-production-trusted_root.json"]
                                    + bundle.cliArguments, runs: runs)
        row.peer = String(format: "`cosign verify-blob` %.1f ms", peer * 1000)
        row.ratio = peer / bundleOurs
    }
    note(row)

    // Row 5: bundles per second in-process against the OpenSSL limit for the same signatures.
    let rates = try bundle.rates()
    note(TableRow(work: "bundles per second in-process (parse + verify, one core)",
                  ours: String(format: "%.0f /s = %.0f%% of the OpenSSL limit (%.0f /s)", rates.bundles,
                               100 * rates.bundles / rates.openssl, rates.openssl),
                  peer: "the OpenSSL limit: 1 P-384 + 4 P-256 verifications per bundle", ratio: nil, goal: "≥ 90%"))

    // Row 6: process start with nothing to do.
    let startOurs = try Bench.median([Bench.verifyImage, "reference", "nginx"], runs: runs * 2)
    row = TableRow(work: "`verify-image reference nginx` (process start + nothing)", ours: String(format: "%.1f ms", startOurs * 1000),
                   peer: "no baseline (scripts/peer-tools.sh builds it)", ratio: nil, goal: "≤ 3 ms")
    if let baseline = Bench.peer("static-swift-foundation") {
        let peer = try Bench.median([baseline], runs: runs * 2)
        row.peer = String(format: "a static Swift program that imports Foundation: %.1f ms", peer * 1000)
    }
    note(row)

    print("")
    print("| work | verify-image | peer | ratio | goal |")
    print("|---|---|---|---|---|")
    for row in rows { print(row.markdown) }
}

/// One line of the table.
struct TableRow {
    var work: String
    var ours: String
    var peer: String
    var ratio: Double?
    var goal: String

    static func missing(_ work: String, peer: String, goal: String) -> TableRow {
        TableRow(work: work, ours: "not run", peer: "\(peer) not found (scripts/peer-tools.sh)", ratio: nil, goal: goal)
    }

    var markdown: String {
        "| \(work) | \(ours) | \(peer) | \(ratio.map { String(format: "**%.1f×**", $0) } ?? "—") | \(goal) |"
    }
}
