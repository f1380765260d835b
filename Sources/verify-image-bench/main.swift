// verify-image-bench: prints throughput figures next to the raw OpenSSL limit or a peer's time.
// Usage: verify-image-bench <table|digest|bundles|scan|images|tlog|references|registry|gate|pin> [ARGS...]
// `table` prints every row of the speed table, ours next to the peers, in one run (README: Benchmarks).
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let benches: [String: ([String]) async throws -> Void] = [
    "digest": benchDigest,
    "bundles": benchBundles,
    "scan": benchScan,
    "tlog": benchTlog,
    "references": benchReferences,
    "registry": benchRegistry,
    "images": benchImages,
    "gate": benchGate,
    "pin": benchPin,
    "table": benchTable,
]
guard let name = arguments.first, let bench = benches[name] else {
    FileHandle.standardError.write(Data("usage: verify-image-bench <\(benches.keys.sorted().joined(separator: "|"))> [ARGS...]\n".utf8))
    exit(64)
}
// Every command runs in the package root (Bench.run spawns children in the working directory).
FileManager.default.changeCurrentDirectoryPath(Bench.root.path)
do {
    try await bench(Array(arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("verify-image-bench: \(error)\n".utf8))
    exit(1)
}
