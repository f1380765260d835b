import Foundation

/// What every benchmark shares: where the package is, where the peers are, how a command is timed.
enum Bench {
    /// The package root: the nearest folder upwards from the working directory that holds `Package.swift` and
    /// `testdata/` (run the benchmarks from the checkout).
    static let root: URL = {
        var folder = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        while folder.path != "/" {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path),
               FileManager.default.fileExists(atPath: folder.appendingPathComponent("testdata").path) { return folder }
            folder.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    /// `verify-image`, next to the benchmark binary (both come from one `swift build`).
    static var verifyImage: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("verify-image").path
    }

    /// A peer tool: `$NAME` in upper case if set (e.g. `COSIGN`), else on PATH, else where `scripts/peer-tools.sh`
    /// puts it (`.build/peers/bin`); nil when absent.
    static func peer(_ name: String) -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let given = environment[name.uppercased().replacingOccurrences(of: "-", with: "_")],
           FileManager.default.isExecutableFile(atPath: given) { return given }
        let path = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for folder in path + [root.appendingPathComponent(".build/peers/bin").path] {
            let candidate = folder + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// What a finished command did.
    struct Run {
        var status: Int32
        var seconds: Double
        var out: String
        var err: String
    }

    /// Runs a command to the end and measures its wall time (output collected through files, not pipes), in the
    /// package root (main.swift makes it the working directory).
    ///
    /// Spawned with `posix_spawn` and reaped with a blocking `waitpid`: Foundation's `Process.waitUntilExit()` polls
    /// its run loop in 50 ms steps on Linux, which rounded short runs up to the next step (a 55 ms run measured
    /// ~100 ms) and made every row of the table a multiple of the poll.
    static func run(_ command: [String], environment: [String: String]? = nil) throws -> Run {
        let folder = FileManager.default.temporaryDirectory
        let out = folder.appendingPathComponent("bench-\(UUID().uuidString).out")
        let err = folder.appendingPathComponent("bench-\(UUID().uuidString).err")
        defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: err) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, err.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let arguments = command.map { strdup($0) } + [nil]
        let variables = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (arguments + variables).forEach { free($0) } }
        var pid: pid_t = 0
        let start = DispatchTime.now().uptimeNanoseconds
        let spawned = posix_spawn(&pid, command[0], &actions, nil, arguments, variables)
        guard spawned == 0 else { throw BenchError("\(command[0]) could not be started: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        // WIFEXITED / WEXITSTATUS, which Swift does not import: low 7 bits 0 means exited, the code is bits 8-15.
        let exitStatus: Int32 = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Run(status: exitStatus, seconds: seconds,
                   out: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                   err: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// The median wall time of `runs` runs (after one warm-up), each required to exit 0.
    static func median(_ command: [String], runs: Int, environment: [String: String]? = nil) throws -> Double {
        var times: [Double] = []
        for run in 0...runs {
            let result = try Self.run(command, environment: environment)
            guard result.status == 0 else {
                throw BenchError("\(command.joined(separator: " ")) exited \(result.status): \(result.out.prefix(600)) \(result.err.prefix(600))")
            }
            if run > 0 { times.append(result.seconds) }
        }
        return median(times)
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

/// A benchmark that could not run, with the reason.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
