import Foundation
import Yams

/// Bounds on what one scan will read, parse and expand. Each refusal becomes an `error` finding naming the limit.
public struct ScanLimits: Sendable, Hashable {
    /// Largest YAML/JSON file or archive read from disk (bytes).
    public var maxFileBytes = 32 << 20
    /// Largest input read from standard input (bytes).
    public var maxStdinBytes = 64 << 20
    /// Node visits per file, counting every expansion of an alias (alias bombs stop here).
    public var maxNodes = 1_000_000
    /// Nesting depth of YAML collections (libyaml itself stops at 1000).
    public var maxDepth = 200
    /// Largest decompressed size of one chart archive (bytes).
    public var maxArchiveBytes = 128 << 20
    /// Largest decompressed:compressed ratio, checked once past 1 MiB of output.
    public var maxDecompressionRatio = 200
    /// Most tar entries in one archive.
    public var maxArchiveEntries = 20_000
    /// Most levels of archives inside archives (`chart.tgz!charts/dep.tgz!…`).
    public var maxArchiveNesting = 3

    /// The default limits.
    public init() {}
}

/// Progress of a running scan, for a progress line.
public struct ScanProgress: Sendable {
    /// Files (and archive entries) scanned so far.
    public var files: Int
    /// Bytes read so far (archives: compressed bytes).
    public var bytes: Int
    /// Findings so far.
    public var findings: Int
    /// The path being scanned.
    public var current: String
}

/// Finds every image reference in Kubernetes YAML/JSON, Helm values, Chart.yaml, chart archives and Kustomize
/// files, and says how each is pinned.
///
/// ```swift
/// let report = try ManifestScanner().scan(paths: ["deploy/", "chart-1.0.0.tgz"])
/// for finding in report.findings where !finding.pinned { print(finding.file, finding.line, finding.status) }
/// ```
public struct ManifestScanner: Sendable {
    /// The limits applied to every input.
    public var limits: ScanLimits
    /// Called every few files with the progress so far (from the scanning thread).
    public var progress: (@Sendable (ScanProgress) -> Void)?

    /// Creates a scanner.
    public init(limits: ScanLimits = ScanLimits(), progress: (@Sendable (ScanProgress) -> Void)? = nil) {
        self.limits = limits
        self.progress = progress
    }

    /// File name endings the scanner reads inside folders and archives.
    public static let scannedExtensions = [".yaml", ".yml", ".json", ".tgz", ".tar.gz"]

    /// Scans files, folders (recursively; inside folders, links to files are read and links to folders are not
    /// followed), chart archives, and `-`
    /// (standard input, read through `readStandardInput`).
    ///
    /// - Throws: ``ScanError`` `path_not_found` when a path does not exist (nothing is scanned then).
    public func scan(paths: [String], readStandardInput: @escaping @Sendable (Int) throws -> Data = ManifestScanner.readStandardInput)
        throws -> ScanReport {
        let collected = FindingCollector()
        let tally = try scan(paths: paths, readStandardInput: readStandardInput) { collected.append($0) }
        return ScanReport(findings: collected.findings, filesScanned: tally.files, bytesScanned: tally.bytes,
                          textBytes: tally.textBytes)
    }

    /// Scans like ``scan(paths:readStandardInput:)`` but hands findings to `onFindings` as each file is done, in
    /// input order, and keeps none of them: memory stays flat however many files there are.
    ///
    /// - Returns: the counts for the summary.
    /// - Throws: ``ScanError`` `path_not_found` when a path does not exist (nothing is scanned then).
    public func scan(paths: [String], readStandardInput: @escaping @Sendable (Int) throws -> Data = ManifestScanner.readStandardInput,
                     onFindings: @escaping @Sendable ([Finding]) -> Void) throws -> ScanTally {
        for path in paths where path != "-" {
            guard FileManager.default.fileExists(atPath: path) else {
                throw ScanError(.pathNotFound, "no such file or folder: \(path)")
            }
        }
        // The work list, in output order: files (folders listed recursively and sorted), standard input, errors.
        var items: [WorkItem] = []
        for path in paths {
            if path == "-" {
                do {
                    items.append(.data(try readStandardInput(limits.maxStdinBytes), "-"))
                } catch let error as ScanError {
                    items.append(.finding(.error(file: "-", error)))
                } catch {
                    items.append(.finding(.error(file: "-", ScanError(.stdinUnreadable, "could not read standard input: \(error)"))))
                }
                continue
            }
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
                items += listFolder(path)
            } else {
                items.append(.file(path))
            }
        }
        return scanItems(items, onFindings: onFindings)
    }

    /// Scans the work items on up to `activeProcessorCount` threads (each with a large stack), merging results in
    /// item order, so the output does not depend on scheduling.
    private func scanItems(_ items: [WorkItem], onFindings: @escaping @Sendable ([Finding]) -> Void) -> ScanTally {
        let limits = self.limits
        let progress = self.progress
        let shared = SharedScanState(count: items.count, emit: onFindings)
        // Chart.yaml appVersions first: the usual default tag of the values.yaml next to them (named in notes).
        let charts = items.compactMap { item -> String? in
            if case .file(let p) = item, lastPathComponent(p) == "Chart.yaml" { return p }
            return nil
        }
        let appVersions: [String: String] = runOnLargeStack {
            var versions: [String: String] = [:]
            for chart in charts {
                let run = ScanRun(limits: limits, appVersions: [:])
                run.scanFile(chart)
                versions.merge(run.appVersions) { a, _ in a }
            }
            return versions
        }
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, items.count, 8))
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<workers {
            let thread = Thread {
                while let index = shared.nextIndex() {
                    let run = ScanRun(limits: limits, appVersions: appVersions)
                    switch items[index] {
                    case .file(let path): run.scanFile(path)
                    case .data(let data, let name): run.scanBytes(data, name: name, nesting: 0)
                    case .finding(let finding): run.findings.append(finding)
                    }
                    if let update = shared.store(run, at: index), let progress {
                        progress(update)
                    }
                }
                done.signal()
            }
            thread.stackSize = 64 << 20
            thread.start()
        }
        for _ in 0..<workers { done.wait() }
        return shared.tally()
    }

    /// Files with a scanned extension, sorted; links to folders and `.git` are not followed.
    private func listFolder(_ root: String) -> [WorkItem] {
        var files: [String] = []
        var errors: [WorkItem] = []
        var stack = [root]
        let fm = FileManager.default
        while let dir = stack.popLast() {
            guard let names = try? fm.contentsOfDirectory(atPath: dir) else {
                errors.append(.finding(.error(file: dir, ScanError(.fileUnreadable, "could not list folder \(dir)"))))
                continue
            }
            for name in names where name != ".git" {
                let full = dir.hasSuffix("/") ? dir + name : dir + "/" + name
                guard let attrs = try? fm.attributesOfItem(atPath: full), let type = attrs[.type] as? FileAttributeType
                else { continue }
                let scanned = ManifestScanner.scannedExtensions.contains(where: { name.hasSuffix($0) })
                if type == .typeDirectory {
                    stack.append(full)
                } else if type == .typeRegular, scanned {
                    files.append(full)
                } else if type == .typeSymbolicLink, scanned {
                    // A link to a file is read (it cannot loop); links to folders are not followed.
                    var isDir: ObjCBool = false
                    if fm.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue { files.append(full) }
                }
            }
        }
        return errors + files.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { .file($0) }
    }

    /// Scans one input held in memory: YAML/JSON text, or a gzip-compressed chart archive.
    /// `name` is used as the file name in findings (`Chart.yaml` and `kustomization.yaml` names are recognised).
    public func scan(data: Data, name: String) -> [Finding] {
        let limits = self.limits
        return runOnLargeStack {
            let run = ScanRun(limits: limits, appVersions: [:])
            run.scanBytes(data, name: name, nesting: 0)
            return run.findings
        }
    }

    /// Reads standard input up to `limit` bytes.
    ///
    /// - Throws: ``ScanError`` `file_too_large` past the limit.
    @Sendable public static func readStandardInput(limit: Int) throws -> Data {
        var data = Data()
        let handle = FileHandle.standardInput
        while true {
            guard let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty else { break }
            data.append(chunk)
            if data.count > limit {
                throw ScanError(.fileTooLarge, "standard input is larger than \(limit) bytes; scan the files instead")
            }
        }
        return data
    }
}

/// The result of a scan.
public struct ScanReport: Sendable {
    /// Every finding, in input order (files sorted within folders, lines in order within files).
    public var findings: [Finding]
    /// Files scanned (archive entries count one each).
    public var filesScanned: Int
    /// Bytes read from disk or standard input.
    public var bytesScanned: Int
    /// Bytes of YAML/JSON text parsed, archive entries counted decompressed.
    public var textBytes: Int

    /// Creates a report.
    public init(findings: [Finding], filesScanned: Int, bytesScanned: Int, textBytes: Int = 0) {
        self.findings = findings
        self.filesScanned = filesScanned
        self.bytesScanned = bytesScanned
        self.textBytes = textBytes
    }

    /// The findings whose status is in `failOn`.
    public func failing(_ failOn: Set<PinStatus> = PinStatus.defaultFailing) -> [Finding] {
        findings.filter { failOn.contains($0.status) }
    }

    /// 0 when no finding's status is in `failOn`, else 1.
    public func exitStatus(failOn: Set<PinStatus> = PinStatus.defaultFailing) -> Int32 {
        findings.contains(where: { failOn.contains($0.status) }) ? 1 : 0
    }
}

// MARK: - One scan run

/// One input of a scan.
enum WorkItem: @unchecked Sendable {
    case file(String)
    case data(Data, String)
    case finding(Finding)
}

/// Results of the workers, stored by item index and handed on in item order; the next index to take.
final class SharedScanState: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var nextToEmit = 0
    private let count: Int
    private var runs: [ScanRun?]
    private let emit: @Sendable ([Finding]) -> Void
    private var counts = ScanTally()
    private var files = 0, bytes = 0, findings = 0, lastProgress = 0

    init(count: Int, emit: @escaping @Sendable ([Finding]) -> Void) {
        self.count = count
        self.emit = emit
        runs = Array(repeating: nil, count: count)
    }

    func nextIndex() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }

    /// Stores a finished item and emits every finished item that is next in order; returns a progress update
    /// every 50 files.
    func store(_ run: ScanRun, at index: Int) -> ScanProgress? {
        lock.lock(); defer { lock.unlock() }
        runs[index] = run
        while nextToEmit < count, let ready = runs[nextToEmit] {
            runs[nextToEmit] = nil
            nextToEmit += 1
            counts.files += ready.files
            counts.bytes += ready.bytes
            counts.textBytes += ready.textBytes
            counts.add(ready.findings)
            if !ready.findings.isEmpty { emit(ready.findings) }
        }
        files += run.files
        bytes += run.bytes
        findings += run.findings.count
        guard files - lastProgress >= 50 else { return nil }
        lastProgress = files
        return ScanProgress(files: files, bytes: bytes, findings: findings, current: run.name)
    }

    func tally() -> ScanTally {
        lock.lock(); defer { lock.unlock() }
        return counts
    }
}

/// Collects streamed findings (for ``ManifestScanner/scan(paths:readStandardInput:)``).
final class FindingCollector: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var findings: [Finding] = []

    func append(_ more: [Finding]) {
        lock.lock(); defer { lock.unlock() }
        findings += more
    }
}

/// The scan of one work item (single-threaded, on a thread with a large stack).
final class ScanRun {
    let limits: ScanLimits
    var findings: [Finding] = []
    var files = 0
    var bytes = 0
    /// Bytes of YAML/JSON text parsed (archive entries decompressed).
    var textBytes = 0
    /// The first name scanned (for progress lines).
    var name = ""
    /// appVersion of charts by folder (`dir` of a Chart.yaml), for notes on empty tags.
    var appVersions: [String: String]
    /// values.yaml entries of the archives being read, by full name (`chart.tgz!chart/values.yaml`): the parent
    /// values of the subcharts inside.
    var archiveValues: [String: Data] = [:]

    init(limits: ScanLimits, appVersions: [String: String]) {
        self.limits = limits
        self.appVersions = appVersions
    }

    func scanFile(_ path: String) {
        if name.isEmpty { name = path }
        let fm = FileManager.default
        if let size = (try? fm.attributesOfItem(atPath: path))?[.size] as? Int, size > limits.maxFileBytes {
            findings.append(.error(file: path, ScanError(.fileTooLarge,
                "file is \(size) bytes, above the limit of \(limits.maxFileBytes); split it or raise the limit")))
            return
        }
        guard let data = fm.contents(atPath: path) else {
            findings.append(.error(file: path, ScanError(.fileUnreadable, "could not read \(path) (permissions?)")))
            return
        }
        if data.count > limits.maxFileBytes {
            findings.append(.error(file: path, ScanError(.fileTooLarge,
                "file is \(data.count) bytes, above the limit of \(limits.maxFileBytes)")))
            return
        }
        scanBytes(data, name: path, nesting: 0)
    }

    func scanBytes(_ data: Data, name: String, nesting: Int) {
        if self.name.isEmpty { self.name = name }
        files += 1
        if nesting == 0 { bytes += data.count }
        if data.count >= 2, data[data.startIndex] == 0x1f, data[data.startIndex + 1] == 0x8b {
            scanArchive(data, name: name, nesting: nesting)
        } else if name.hasSuffix(".tgz") || name.hasSuffix(".tar.gz") {
            findings.append(.error(file: name, ScanError(.gzipInvalid, "not gzip data (no 1f 8b header); a chart archive must be a .tgz")))
        } else {
            let dir = parentPath(name)
            scanText(data, name: name, appVersion: appVersions[dir])
        }
    }

    // MARK: Archives

    private func scanArchive(_ data: Data, name: String, nesting: Int) {
        guard nesting < limits.maxArchiveNesting else {
            findings.append(.error(file: name, ScanError(.archiveLimit,
                "archive nested more than \(limits.maxArchiveNesting) levels deep; not opened")))
            return
        }
        let tar: Data
        do {
            tar = try Gunzip.inflate(data, maxOutput: limits.maxArchiveBytes, maxRatio: limits.maxDecompressionRatio)
        } catch let error as ScanError {
            findings.append(.error(file: name, error))
            return
        } catch {
            findings.append(.error(file: name, ScanError(.gzipInvalid, "\(error)")))
            return
        }
        let result: TarReader.Result
        do {
            result = try TarReader.read(tar, maxEntries: limits.maxArchiveEntries) { path in
                ManifestScanner.scannedExtensions.contains(where: { path.hasSuffix($0) })
            }
        } catch let error as ScanError {
            findings.append(.error(file: name, error))
            return
        } catch {
            findings.append(.error(file: name, ScanError(.tarInvalid, "\(error)")))
            return
        }
        for (path, error) in result.refused {
            findings.append(.error(file: name + "!" + path, error))
        }
        // Chart.yaml first (its appVersion is the default tag of the values next to it), then the rest in order.
        let ordered = result.files.filter { lastPathComponent($0.path) == "Chart.yaml" }
            + result.files.filter { lastPathComponent($0.path) != "Chart.yaml" }
        let saved = appVersions
        for file in result.files where ["values.yaml", "values.yml"].contains(lastPathComponent(file.path)) {
            archiveValues[name + "!" + file.path] = file.data
        }
        for file in ordered {
            scanBytes(file.data, name: name + "!" + file.path, nesting: nesting + 1)
        }
        appVersions = saved
    }

    // MARK: YAML

    private func scanText(_ data: Data, name: String, appVersion: String?) {
        guard var text = data.withUnsafeBytes({ String(validating: $0.bindMemory(to: UInt8.self), as: UTF8.self) }) else {
            findings.append(.error(file: name, ScanError(.notUTF8, "not UTF-8 text; save the file as UTF-8")))
            return
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        textBytes += data.count
        let baseName = lastPathComponent(name)
        if let line = YAMLSafety.aliasInKeyLine(text) {
            findings.append(.error(file: name, ScanError(.yamlAliasInKey,
                "an alias is used inside a mapping key (line \(line)); the parser would expand it without bound. "
                + "Write the key out instead of using an alias"), line: line))
            return
        }
        if name.contains("/templates/"), text.utf8.count < 1 << 20, containsTemplate(text) {
            // A chart template: Go template syntax, not YAML. Read its image lines directly.
            findings += TemplateScanner.scan(text, file: name)
            return
        }
        let isKustomization = ["kustomization.yaml", "kustomization.yml", "Kustomization"].contains(baseName)
        let isChart = baseName == "Chart.yaml"
        let parentValues = isChart || isKustomization ? nil : subchartOverrides(of: name)
        var fileFindings: [Finding] = []
        var visited = 0
        var document = 0
        do {
            let parser = try Parser(yaml: text, resolver: .basic, constructor: .default, encoding: .utf8)
            while let root = try parser.nextRoot() {
                var context = WalkContext(file: name)
                context.document = document
                context.chartAppVersion = appVersion
                context.isKustomization = isKustomization
                let walker = DocumentWalker(context: context, maxNodes: limits.maxNodes, maxDepth: limits.maxDepth,
                                            visited: visited)
                defer {
                    visited = walker.visited
                    fileFindings += walker.findings
                    document += 1
                }
                if isChart {
                    try walker.walkChartMetadata(root) { nested in
                        if YAMLSafety.aliasInKeyLine(nested) != nil { return nil }
                        return try Parser(yaml: nested, resolver: .basic, constructor: .default, encoding: .utf8).nextRoot()
                    }
                    if let app = walker.context.chartAppVersion {
                        appVersions[parentPath(name)] = app
                    }
                } else if document == 0, let parentValues {
                    // A subchart's values: classified as merged with what the parent chart's values give it.
                    try walker.walkDocument(root)
                    let merged = DocumentWalker(context: context, maxNodes: limits.maxNodes, maxDepth: limits.maxDepth,
                                                visited: walker.visited)
                    if let mergedRoot = SubchartValues.coalesce(root, over: parentValues.overrides) {
                        try merged.walkDocument(mergedRoot)
                    }
                    walker.findings = SubchartValues.join(own: walker.findings, merged: merged.findings,
                                                          parentFile: parentValues.file, subchart: parentValues.subchart)
                } else {
                    try walker.walkDocument(root)
                }
            }
            findings += fileFindings
        } catch let error as WalkAbort {
            findings += fileFindings
            switch error {
            case .nodeLimit(let mark):
                findings.append(.error(file: name, ScanError(.yamlNodeLimit,
                    "more than \(limits.maxNodes) YAML nodes after alias expansion (an alias bomb?); the rest of the file was not read"),
                    line: mark?.line ?? 0, column: mark?.column ?? 0))
            case .depthLimit(let mark):
                findings.append(.error(file: name, ScanError(.yamlDepthLimit,
                    "YAML nested deeper than \(limits.maxDepth) levels; the rest of the file was not read"),
                    line: mark?.line ?? 0, column: mark?.column ?? 0))
            }
        } catch {
            if containsTemplate(text) {
                // A Helm/Go template is not YAML: read its image lines instead.
                findings += TemplateScanner.scan(text, file: name)
                return
            }
            findings += fileFindings
            let (message, line, column) = YAMLSafety.describe(error)
            let code: ScanError.Code = message.contains("Maximum nesting level") ? .yamlDepthLimit : .yamlInvalid
            findings.append(.error(file: name, ScanError(code,
                "not valid YAML or JSON: \(message)" + (code == .yamlDepthLimit ? " (more than 1000 levels)" : "")),
                line: line, column: column))
        }
    }
}

extension ScanRun {
    /// For a subchart's values file: the parent chart's values file, the subchart's name and what the parent gives it
    /// (nil when the file is not a subchart's values, the parent has none, cannot be read or says nothing about it).
    func subchartOverrides(of name: String) -> (file: String, subchart: String, overrides: Node)? {
        guard let (file, subchart) = SubchartValues.parent(of: name) else { return nil }
        var data = archiveValues[file]
        if data == nil, !file.contains("!"),
           let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int, size <= limits.maxFileBytes {
            data = FileManager.default.contents(atPath: file)
        }
        guard let data, let text = String(data: data, encoding: .utf8), YAMLSafety.aliasInKeyLine(text) == nil,
              let root = try? Parser(yaml: text, resolver: .basic, constructor: .default, encoding: .utf8).nextRoot(),
              let overrides = SubchartValues.overrides(parentRoot: root, subchart: subchart) else { return nil }
        return (file, subchart, overrides)
    }
}

/// Runs `body` on a thread with a 64 MiB stack (the YAML parser and the walk recurse once per nesting level)
/// and waits for it.
func runOnLargeStack<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
    let box = ResultBox<T>()
    let thread = Thread {
        box.value = body()
        box.done.signal()
    }
    thread.stackSize = 64 << 20
    thread.start()
    box.done.wait()
    guard let value = box.value else { return body() }
    return value
}

private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
    let done = DispatchSemaphore(value: 0)
}

/// The part of `path` after the last `/` (Foundation's NSString path methods crash on some inputs such as `-`).
func lastPathComponent(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
}

/// The part of `path` before the last `/`, or "" when there is none.
func parentPath(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "" }
    return String(path[..<slash])
}

/// Whether `text` contains `{{` (a byte search; Foundation's `contains` converts to UTF-16).
func containsTemplate(_ text: String) -> Bool {
    var found = false
    var previous: UInt8 = 0
    for b in text.utf8 {
        if b == 123 && previous == 123 { found = true; break }
        previous = b
    }
    return found
}
