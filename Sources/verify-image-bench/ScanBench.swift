import Foundation
import ImageGate

#if canImport(Glibc)
import Glibc
#endif

/// `verify-image-bench scan [--corpus DIR] [--times N] [--copies N] [--checkov PATH] [--runs N]`
///
/// Scans the corpus with `verify-image scan` (the release binary next to this one, as a subprocess) and with
/// checkov's CKV_K8S_43 ("Image should use digest") on the same folder, in the same run, and prints MB/s,
/// findings/s and peak RSS of each; then scans the corpus copied N times (default 100) to show that peak memory
/// stays flat as the input grows. The in-process library figure is printed too.
func benchScan(_ arguments: [String]) async throws {
    var corpus = packageRootForBench().appendingPathComponent("testdata/scan/corpus").path
    var copies = 100
    var runs = 5
    var checkovRuns = 3
    var checkov: String? = findInPath("checkov")
    var i = 0
    while i < arguments.count {
        let a = arguments[i]
        let v = i + 1 < arguments.count ? arguments[i + 1] : ""
        switch a {
        case "--corpus": corpus = v; i += 1
        case "--copies": copies = Int(v) ?? copies; i += 1
        case "--runs": runs = max(1, Int(v) ?? runs); i += 1
        case "--checkov-runs": checkovRuns = max(1, Int(v) ?? checkovRuns); i += 1
        case "--checkov": checkov = v; i += 1
        case "--no-checkov": checkov = nil
        default:
            FileHandle.standardError.write(Data("scan bench: unknown argument \(a)\n".utf8))
            exit(64)
        }
        i += 1
    }
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("verify-image").path
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        throw BenchError("verify-image not found next to the bench binary (\(binary)); build both: swift build -c release")
    }
    let (fileCount, byteCount) = corpusSize(corpus)
    let mb = Double(byteCount) / 1_000_000
    print("Scan benchmark — corpus \(corpus)")
    print("  \(fileCount) files, \(String(format: "%.2f", mb)) MB (YAML, JSON, chart .tgz); verify-image: \(binary)")
    #if DEBUG
    print("  WARNING: debug build; use `swift build -c release` for figures")
    #endif

    // 1. verify-image scan as a subprocess (process start included, like checkov).
    var best: Measured? = nil
    for _ in 0..<runs {
        let m = try measure(binary, ["scan", "--output", "json", corpus])
        if m.seconds < (best?.seconds ?? .infinity) { best = m }
    }
    guard let ours = best else { return }
    let oursSummary = try scanSummary(ours.stdout)
    print("")
    print("verify-image scan (subprocess, best of \(runs)):")
    printFigures(seconds: ours.seconds, cpu: ours.cpuSeconds, megabytes: mb, findings: oursSummary.findings, rss: ours.maxRSSKiB)
    print(String(format: "  (%.2f MB of YAML/JSON parsed after decompressing archives)", Double(oursSummary.textBytes) / 1e6))
    print("  findings: \(oursSummary.findings) (\(oursSummary.notPinned) not pinned, \(oursSummary.pinned) pinned); "
        + oursSummary.byStatus.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))

    // 2. The library in-process (no process start, no output encoding).
    let scanner = ManifestScanner()
    var bestInProcess = Double.infinity
    var inProcessFindings = 0
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        let report = try scanner.scan(paths: [corpus])
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        bestInProcess = min(bestInProcess, seconds)
        inProcessFindings = report.findings.count
    }
    print("ManifestScanner in-process (best of \(runs)):")
    printFigures(seconds: bestInProcess, megabytes: mb, findings: inProcessFindings, rss: nil)

    // 3. checkov CKV_K8S_43 on the same folder.
    if let checkov {
        var bestCheckov: Measured? = nil
        for _ in 0..<checkovRuns {
            let m = try measure(checkov, ["-d", corpus, "--framework", "kubernetes", "--check", "CKV_K8S_43",
                                          "-o", "json", "--quiet", "--compact", "--skip-download"])
            if m.seconds < (bestCheckov?.seconds ?? .infinity) { bestCheckov = m }
        }
        if let c = bestCheckov {
            let (failed, passed, files) = checkovCounts(c.stdout)
            print("checkov CKV_K8S_43 (subprocess, best of \(checkovRuns); framework kubernetes):")
            printFigures(seconds: c.seconds, cpu: c.cpuSeconds, megabytes: mb, findings: failed + passed, rss: c.maxRSSKiB)
            print("  results: \(failed) FAILED (unpinned resources), \(passed) PASSED, in \(files) files")
            print(String(format: "  verify-image scan vs checkov: %.1f× faster by wall time, %.1f× by CPU time (both subprocesses); in-process library %.0f× by wall time",
                         c.seconds / ours.seconds, c.cpuSeconds / ours.cpuSeconds, c.seconds / bestInProcess))
            print("  verify-image reports \(oursSummary.notPinned) unpinned images; checkov \(failed) unpinned resources")
        }
    } else {
        print("checkov: not found on PATH (pip install checkov), skipped")
    }

    // 4. The corpus copied N times: throughput and peak RSS should stay flat.
    if copies > 1 {
        let big = FileManager.default.temporaryDirectory.appendingPathComponent("scan-bench-x\(copies)-\(getpid())")
        defer { try? FileManager.default.removeItem(at: big) }
        try FileManager.default.createDirectory(at: big, withIntermediateDirectories: true)
        for n in 0..<copies {
            try FileManager.default.copyItem(atPath: corpus, toPath: big.appendingPathComponent("copy\(n)").path)
        }
        let m = try measure(binary, ["scan", "--output", "json", big.path])
        let s = try scanSummary(m.stdout)
        print("corpus ×\(copies) (verify-image scan subprocess, one run):")
        printFigures(seconds: m.seconds, cpu: m.cpuSeconds, megabytes: mb * Double(copies), findings: s.findings, rss: m.maxRSSKiB)
        print(String(format: "  peak RSS ×%d input: %.1f MiB vs %.1f MiB for ×1 (%.2f×)", copies,
                     Double(m.maxRSSKiB) / 1024, Double(ours.maxRSSKiB) / 1024, Double(m.maxRSSKiB) / Double(max(1, ours.maxRSSKiB))))
    }
}

private struct Measured {
    var seconds: Double
    /// User + system CPU time of the child.
    var cpuSeconds: Double
    var maxRSSKiB: Int
    var stdout: Data
    var status: Int32
}

private func printFigures(seconds: Double, cpu: Double? = nil, megabytes: Double, findings: Int, rss: Int?) {
    var line = String(format: "  wall %.3f s: %.1f MB/s, %.0f findings/s", seconds, megabytes / seconds,
                      Double(findings) / seconds)
    if let cpu {
        line += String(format: "; CPU %.3f s: %.1f MB/s, %.0f findings/s", cpu, megabytes / cpu, Double(findings) / cpu)
    }
    line += "; \(findings) findings"
    if let rss { line += String(format: ", peak RSS %.1f MiB", Double(rss) / 1024) }
    print(line)
}

/// Runs a program with posix_spawn, stdout to a temporary file, stderr discarded; wall time and the child's own
/// peak RSS (wait4's rusage).
private func measure(_ program: String, _ args: [String]) throws -> Measured {
    let outPath = FileManager.default.temporaryDirectory.appendingPathComponent("scan-bench-\(getpid())-\(UUID().uuidString)").path
    defer { unlink(outPath) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    let argv: [UnsafeMutablePointer<CChar>?] = ([program] + args).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let start = DispatchTime.now().uptimeNanoseconds
    let rc = posix_spawn(&pid, program, &actions, nil, argv, environ)
    guard rc == 0 else { throw BenchError("could not start \(program): \(String(cString: strerror(rc)))") }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let out = FileManager.default.contents(atPath: outPath) ?? Data()
    let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    return Measured(seconds: seconds, cpuSeconds: cpu, maxRSSKiB: Int(usage.ru_maxrss), stdout: out, status: (status >> 8) & 0xff)
}

private struct Summary {
    var textBytes: Int
    var findings: Int
    var pinned: Int
    var notPinned: Int
    var byStatus: [String: Int]
}

private func scanSummary(_ json: Data) throws -> Summary {
    guard let object = try JSONSerialization.jsonObject(with: json) as? [String: Any],
          let summary = object["summary"] as? [String: Any] else {
        throw BenchError("verify-image scan did not print the JSON report")
    }
    return Summary(textBytes: summary["textBytes"] as? Int ?? 0, findings: summary["findings"] as? Int ?? 0, pinned: summary["pinned"] as? Int ?? 0,
                   notPinned: summary["notPinned"] as? Int ?? 0, byStatus: summary["byStatus"] as? [String: Int] ?? [:])
}

/// checkov's JSON: one report object (or a list of them, one per framework) with results.failed_checks/passed_checks.
private func checkovCounts(_ json: Data) -> (failed: Int, passed: Int, files: Int) {
    guard let object = try? JSONSerialization.jsonObject(with: json) else { return (0, 0, 0) }
    let reports: [[String: Any]] = (object as? [[String: Any]]) ?? [(object as? [String: Any]) ?? [:]]
    var failed = 0, passed = 0
    var files = Set<String>()
    for report in reports {
        guard let results = report["results"] as? [String: Any] else { continue }
        for (key, isFailed) in [("failed_checks", true), ("passed_checks", false)] {
            for check in results[key] as? [[String: Any]] ?? [] where check["check_id"] as? String == "CKV_K8S_43" {
                if isFailed { failed += 1 } else { passed += 1 }
                if let f = check["file_path"] as? String { files.insert(f) }
            }
        }
    }
    return (failed, passed, files.count)
}

private func corpusSize(_ path: String) -> (Int, Int) {
    var files = 0, bytes = 0
    if let e = FileManager.default.enumerator(atPath: path) {
        while let name = e.nextObject() as? String {
            let full = path + "/" + name
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue,
               ManifestScanner.scannedExtensions.contains(where: { name.hasSuffix($0) }) {
                files += 1
                bytes += (try? FileManager.default.attributesOfItem(atPath: full)[.size] as? Int) ?? 0
            }
        }
    }
    return (files, bytes)
}

private func findInPath(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
        let candidate = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

private func packageRootForBench() -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
