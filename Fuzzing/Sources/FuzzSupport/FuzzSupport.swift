import Foundation

/// The repository's test data, found from this file's path (Fuzz/Sources/FuzzSupport → four levels up). Harnesses
/// load their fixed trust material (roots, keys, known-good signed inputs) from here once, at start-up.
public enum FuzzFixtures {
    /// The repository root.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The URL of a path relative to `testdata/`.
    public static func url(_ relative: String) -> URL { root.appendingPathComponent("testdata/" + relative) }

    /// The bytes of a fixture; a missing fixture stops the harness (it would fuzz against nothing).
    public static func bytes(_ relative: String) -> [UInt8] {
        guard let data = try? Data(contentsOf: url(relative)) else {
            fatalError("fuzz harness set-up: testdata/\(relative) is missing or unreadable")
        }
        return [UInt8](data)
    }

    /// A fixture as UTF-8 text.
    public static func text(_ relative: String) -> String { String(decoding: bytes(relative), as: UTF8.self) }

    /// Relative paths (under `testdata/`) of the files below `folder` whose names end with one of `suffixes`, sorted.
    public static func files(under folder: String, endingWith suffixes: [String]) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: url(folder).path) else { return [] }
        var found: [String] = []
        while let name = walker.nextObject() as? String {
            if suffixes.contains(where: { name.hasSuffix($0) }) { found.append(folder + "/" + name) }
        }
        return found.sorted()
    }
}

/// Stops the run when an invariant of the code under test does not hold: libFuzzer saves the input as a crash.
public func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                      file: StaticString = #fileID, line: UInt = #line) {
    if !condition() {
        fatalError("fuzz invariant violated: \(message())", file: file, line: line)
    }
}

/// Runs `body` over a copy of the fuzz input; always returns 0 (libFuzzer's "keep going").
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int, _ body: ([UInt8]) -> Void) -> CInt {
    let bytes = size > 0 && data != nil ? [UInt8](UnsafeBufferPointer(start: data, count: size)) : []
    body(bytes)
    return 0
}

/// The type of libFuzzer's `LLVMFuzzerInitialize(int *argc, char ***argv)`.
public typealias FuzzerArguments = UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
