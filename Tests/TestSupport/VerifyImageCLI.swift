import Foundation

/// Runs the built `verify-image` for end-to-end tests: the binary next to the test bundle (same build
/// configuration), i.e. `.build/<config>/verify-image`, else `.build/debug/verify-image`.
public enum VerifyImageCLI {
    /// The package root; runs start there so tests can pass paths relative to it.
    public static var packageRoot: URL { PackagePaths.root }

    /// What a run printed and how it exited.
    public struct Run: Sendable {
        /// The exit status.
        public let status: Int32
        /// Standard output.
        public let out: String
        /// Standard error.
        public let err: String
    }

    /// The binary: next to the test bundle (the runner may sit inside a `.xctest` bundle), else
    /// `.build/debug/verify-image`.
    public static func binary() throws -> URL {
        var candidates: [URL] = []
        if let arg0 = CommandLine.arguments.first {
            var directory = URL(fileURLWithPath: arg0).resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<4 {
                candidates.append(directory.appendingPathComponent("verify-image"))
                directory = directory.deletingLastPathComponent()
            }
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("verify-image"))
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("verify-image"))
        for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("verify-image"))
        }
        candidates.append(packageRoot.appendingPathComponent(".build/debug/verify-image"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw BinaryNotFound(candidates: candidates.map(\.path))
        }
        return found
    }

    /// Runs `verify-image ARGUMENTS` in the package root, feeding `stdin` (empty when nil), with `environment` added
    /// to this process's. Standard error goes to a file so neither stream can fill up and block the child while the
    /// other is read. The wait for the child happens off Swift's cooperative pool (``offThePool(_:)``), and at most
    /// one child per core runs at a time (``children``).
    public static func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]) async throws -> Run {
        await children.acquire()
        do {
            let run = try await offThePool { try runBlocking(arguments, stdin: stdin, environment: environment) }
            await children.release()
            return run
        } catch {
            await children.release()
            throw error
        }
    }

    /// Children running at once: one per core. Each is CPU-bound, and the end-to-end suites start dozens together;
    /// unbounded, they ran all at once and (many times slower under ThreadSanitizer) missed their own registry time
    /// limits (a 5 s TLS probe). Waiting for a slot holds no thread.
    static let children = Slots(limit: ProcessInfo.processInfo.activeProcessorCount)

    private static func runBlocking(_ arguments: [String], stdin: Data?, environment: [String: String]) throws -> Run {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        process.currentDirectoryURL = packageRoot
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe()
        let input = Pipe()
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("verify-image-stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = errHandle
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? errHandle.close()
        let errData = (try? Data(contentsOf: errURL)) ?? Data()
        return Run(status: process.terminationStatus, out: String(decoding: outData, as: UTF8.self),
                   err: String(decoding: errData, as: UTF8.self))
    }

    /// No built `verify-image` was found.
    public struct BinaryNotFound: Error, CustomStringConvertible {
        /// The paths looked at.
        public let candidates: [String]
        public var description: String { "verify-image not found; looked at \(candidates.joined(separator: ", ")); build it first" }
    }
}
