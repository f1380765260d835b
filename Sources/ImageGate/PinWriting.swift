import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a file's bytes atomically: a temporary file in the same folder, written and flushed, given the original's
/// mode and ownership, then renamed over it — a reader (or an interrupted run) sees the old file or the new one,
/// never half of either. A file that no longer holds the bytes the edit was computed from is left alone.
enum AtomicFileReplacement {
    /// Why a file was not replaced.
    struct Failure: Error {
        /// `changed_on_disk` or `write_failed`.
        let code: String
        let message: String
    }

    /// Writes `updated` over `path` when the file still holds `original`. Symbolic links are followed: the file they
    /// name is replaced, the link stays.
    static func replace(_ path: String, original: [UInt8], updated: [UInt8]) throws {
        guard let resolved = realpath(path, nil) else {
            throw Failure(code: "write_failed", message: "\(path): \(String(cString: strerror(errno)))")
        }
        let target = String(cString: resolved)
        free(resolved)
        var info = stat()
        guard stat(target, &info) == 0 else {
            throw Failure(code: "write_failed", message: "\(path): \(String(cString: strerror(errno)))")
        }
        guard let current = FileManager.default.contents(atPath: target), current.elementsEqual(original) else {
            throw Failure(code: "changed_on_disk",
                          message: "\(path) changed on disk since it was read; not written (run pin again)")
        }
        let folder = target.lastIndex(of: "/").map { String(target[..<$0]) } ?? "."
        let name = target.lastIndex(of: "/").map { String(target[target.index(after: $0)...]) } ?? target
        var template = Array("\(folder)/.\(name).pin-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw Failure(code: "write_failed", message: "\(path): cannot create a temporary file in \(folder): \(String(cString: strerror(errno)))")
        }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        func fail(_ what: String) -> Failure {
            let reason = String(cString: strerror(errno))
            close(fd)
            unlink(temporary)
            return Failure(code: "write_failed", message: "\(path): \(what): \(reason); the file was not changed")
        }
        var written = 0
        while written < updated.count {
            let n = updated.withUnsafeBytes { write(fd, $0.baseAddress! + written, updated.count - written) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw fail("write") }
            written += n
        }
        guard fchmod(fd, info.st_mode & 0o7777) == 0 else { throw fail("keeping the mode") }
        if info.st_uid != geteuid() || info.st_gid != getegid() {
            guard fchown(fd, info.st_uid, info.st_gid) == 0 else { throw fail("keeping the owner") }
        }
        guard fsync(fd) == 0 else { throw fail("fsync") }
        close(fd)
        guard rename(temporary, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw Failure(code: "write_failed", message: "\(path): rename: \(reason); the file was not changed")
        }
    }
}

/// A unified diff (`diff -u` format, 3 lines of context) of two versions of a text file.
enum UnifiedDiff {
    static func render(path: String, old: [UInt8], new: [UInt8]) -> String {
        let a = lines(old), b = lines(new)
        // Pin edits change lines in place or insert whole lines, so a greedy walk pairs the lines up.
        enum Op { case same(Int, Int), change(Int, Int), insert(Int) }
        var ops: [Op] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                ops.append(.same(i, j)); i += 1; j += 1
            } else if j + 1 < b.count, i < a.count, b[j + 1] == a[i] {
                ops.append(.insert(j)); j += 1
            } else if i < a.count, j < b.count {
                ops.append(.change(i, j)); i += 1; j += 1
            } else if j < b.count {
                ops.append(.insert(j)); j += 1
            } else {
                i += 1
            }
        }
        var out = "--- a/\(path)\n+++ b/\(path)\n"
        let changed = ops.indices.filter { if case .same = ops[$0] { return false }; return true }
        var k = 0
        while k < changed.count {
            let first = max(0, changed[k] - 3)
            var last = min(ops.count - 1, changed[k] + 3)
            while k + 1 < changed.count, changed[k + 1] - 3 <= last + 1 {
                k += 1
                last = min(ops.count - 1, changed[k] + 3)
            }
            var body = "", oldStart = -1, newStart = -1, oldCount = 0, newCount = 0
            for op in ops[first...last] {
                switch op {
                case .same(let x, let y):
                    if oldStart < 0 { oldStart = x; newStart = y }
                    body += " " + a[x] + "\n"; oldCount += 1; newCount += 1
                case .change(let x, let y):
                    if oldStart < 0 { oldStart = x; newStart = y }
                    body += "-" + a[x] + "\n+" + b[y] + "\n"; oldCount += 1; newCount += 1
                case .insert(let y):
                    if oldStart < 0 { newStart = y; oldStart = y - (newCount - oldCount) }
                    body += "+" + b[y] + "\n"; newCount += 1
                }
            }
            out += "@@ -\(oldStart + 1),\(oldCount) +\(newStart + 1),\(newCount) @@\n" + body
            k += 1
        }
        return out
    }

    private static func lines(_ bytes: [UInt8]) -> [String] {
        var result: [String] = []
        var start = 0
        for (i, b) in bytes.enumerated() where b == 10 {
            var end = i
            if end > start, bytes[end - 1] == 13 { end -= 1 }
            result.append(String(decoding: bytes[start..<end], as: UTF8.self))
            start = i + 1
        }
        if start < bytes.count { result.append(String(decoding: bytes[start...], as: UTF8.self)) }
        return result
    }
}
