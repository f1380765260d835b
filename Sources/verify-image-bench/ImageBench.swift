import Foundation

/// `verify-image-bench images [RUNS]`: the whole CLI verifying one signed image from an OCI layout (made by
/// `cosign save`), next to `cosign verify --local-image` on the same layout and key, timed in the same run.
/// Prints the median wall time of each and the ratio. cosign comes from ``Bench/peer(_:)`` ($COSIGN, PATH, or
/// scripts/peer-tools.sh); run from the package root with a release build (scripts/install.sh).
func benchImages(_ arguments: [String]) async throws {
    let runs = arguments.first.flatMap(Int.init) ?? 30
    let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let ours = binaries.appendingPathComponent("verify-image").path
    let layout = "testdata/images/layouts/app-v1"
    let key = "keys/fixture-signer.pub"
    let expected = try String(contentsOfFile: "testdata/images/EXPECTED.cosign.txt", encoding: .utf8)
    guard let line = expected.split(separator: "\n").first(where: { $0.hasPrefix("app-v1 ") }),
          let digest = line.split(separator: " ")[1].split(separator: "@").last
    else { throw BenchError("run from the package root: testdata/images/EXPECTED.cosign.txt names the fixture digest") }
    let reference = "127.0.0.1:5077/demo/app-v1@\(digest)"
    let ourArguments = ["--layout", layout, "--key", key, "--insecure-ignore-tlog", reference]
    let cosign = Bench.peer("cosign") ?? "cosign"
    let cosignArguments = ["verify", "--local-image", "--offline", "--key", key, "--insecure-ignore-tlog", layout]

    print("verify one image from an OCI layout (\(layout)), \(runs) runs each: median wall time, mean CPU time (user+sys)")
    let (ourMedian, ourCPU) = try medianWallTime(ours, ourArguments, runs: runs)
    print(String(format: "  verify-image                  %8.1f ms wall  %6.1f ms CPU", ourMedian * 1000, ourCPU * 1000))
    guard FileManager.default.isExecutableFile(atPath: cosign) else {
        print("  cosign: not found (on PATH, $COSIGN, or run scripts/peer-tools.sh)")
        return
    }
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("bench-cosign-home").path
    try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    let (cosignMedian, cosignCPU) = try medianWallTime(cosign, cosignArguments, runs: runs, environment: ["HOME": home])
    print(String(format: "  cosign verify --local-image   %8.1f ms wall  %6.1f ms CPU", cosignMedian * 1000, cosignCPU * 1000))
    print(String(format: "  verify-image is %.1fx faster in wall time, %.1fx in CPU time (goal ≥ 3x)",
                 cosignMedian / ourMedian, cosignCPU / ourCPU))
}

/// Runs a command `runs` times (after one warm-up), requiring exit 0; returns the median wall time and the mean CPU
/// time (user + system, from the children's rusage) in seconds. CPU time is the steadier figure on a busy machine.
func medianWallTime(_ executable: String, _ arguments: [String], runs: Int,
                    environment: [String: String] = [:]) throws -> (wall: Double, cpu: Double) {
    var times: [Double] = []
    var cpuStart = 0.0
    for run in 0...runs {
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        let result = try Bench.run([executable] + arguments, environment: env)
        let elapsed = result.seconds
        guard result.status == 0 else {
            throw BenchError("\(executable) \(arguments.joined(separator: " ")) exited \(result.status)")
        }
        if run > 0 { times.append(elapsed) } else { cpuStart = childrenCPUSeconds() }
    }
    let cpu = (childrenCPUSeconds() - cpuStart) / Double(runs)
    times.sort()
    return (times[times.count / 2], cpu)
}

/// User + system CPU seconds of all waited-for children so far.
func childrenCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
