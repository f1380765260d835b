import Foundation
import OCIImage
import Testing
@testable import RegistryAccess
#if canImport(Glibc)
import Glibc
#endif

/// A registry on 127.0.0.1 that accepts TCP connections and then never answers (`silent`), or answers a request's
/// head and never sends the promised body (`stallBody`). It counts the connections it accepted: each one is an
/// attempt of the client.
final class Tarpit: @unchecked Sendable {
    enum Mode { case silent, stallBody }

    let port: Int
    let mode: Mode
    private let listener: Int32
    private let lock = NSLock()
    private var accepted: [Int32] = []

    /// Connections accepted so far.
    var connections: Int { lock.lock(); defer { lock.unlock() }; return accepted.count }

    /// The connections accepted once the accept thread has caught up with `expected` of them (at most 5 s): the kernel
    /// completes a handshake before `accept` returns here, so a client can time out on a connection not counted yet —
    /// seen under AddressSanitizer, where this thread runs late (`scripts/sanitize.sh address`).
    func connections(caughtUpTo expected: Int) async -> Int {
        let deadline = ContinuousClock.now + .seconds(5)
        while connections < expected, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return connections
    }

    init(_ mode: Mode) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TarpitError() }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { close(fd); throw TarpitError() }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        self.mode = mode
        port = Int(UInt16(bigEndian: address.sin_port))
        // Each file descriptor is closed by the one thread that uses it, after it is done (a number closed under
        // a blocked read or accept could be reused by the HTTP client's own sockets meanwhile).
        Thread.detachNewThread { [weak self] in
            while true {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { close(fd); return }
                guard let self else { close(connection); continue }
                self.record(connection)
                if mode == .stallBody { Thread.detachNewThread { Self.answerHeadOnly(connection) } }
            }
        }
    }

    private func record(_ connection: Int32) {
        lock.lock()
        accepted.append(connection)
        lock.unlock()
    }

    /// Reads one request head, sends a response head promising a body that never comes, then waits for the end of
    /// the connection (a TLS ClientHello gets no answer at all).
    static func answerHeadOnly(_ connection: Int32) {
        var seen: [UInt8] = []
        var byte: UInt8 = 0
        while read(connection, &byte, 1) == 1 {
            seen.append(byte)
            if seen.count == 1, byte == 0x16 { break }
            if seen.suffix(4) == [13, 10, 13, 10] {
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
                _ = head.utf8CString.withUnsafeBufferPointer { write(connection, $0.baseAddress, $0.count - 1) }
                break
            }
        }
        while read(connection, &byte, 1) == 1 {}
        close(connection)
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        lock.lock()
        for connection in accepted {
            shutdown(connection, Int32(SHUT_RDWR))
            if mode == .silent { close(connection) }  // no other thread touches these
        }
        lock.unlock()
    }

    struct TarpitError: Error {}
}

/// A registry that accepts connections and never answers costs at most the per-request timeout per attempt and
/// never more than the overall timeout; the error names the attempts really made. Assertions are on reason codes
/// and attempt counts (connections the tarpit accepted), never on wall time.
@Suite struct SlowRegistryTests {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    func reference(_ tarpit: Tarpit, _ n: Int = 0) throws -> ImageReference {
        try ImageReference(normalizing: "127.0.0.1:\(tarpit.port)/demo/app\(n)@\(Self.digest)")
    }

    func options(_ configure: (inout RemoteRegistry.Options) -> Void) -> RemoteRegistry.Options {
        var options = RemoteRegistry.Options()
        options.certsDirectories = []
        options.retryBaseDelay = 0.05
        configure(&options)
        return options
    }

    func failure(_ body: () async throws -> Void) async -> RegistryError? {
        do { try await body() } catch let error as RegistryError { return error } catch { Issue.record("\(error)") }
        return nil
    }

    /// The reason codes of resolving images `numbers` of `tarpit`, all at once.
    func resolveConcurrently(_ source: RemoteRegistry, _ tarpit: Tarpit, _ numbers: ClosedRange<Int>) async -> [RegistryError.Code?] {
        await withTaskGroup(of: RegistryError.Code?.self) { group in
            for n in numbers {
                group.addTask { await self.failure { _ = try await source.resolve(try self.reference(tarpit, n)) }?.code }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func aSilentRegistryCostsOneTimeoutPerSchemeAndIsNotAskedAgain() async throws {
        let tarpit = try Tarpit(.silent)
        let source = try RemoteRegistry(options: options {
            $0.probeTimeout = 0.3
            $0.requestTimeout = 0.5
            $0.maximumRetries = 3
            $0.timeout = 60
        })
        let error = await failure { _ = try await source.resolve(try reference(tarpit)) }
        #expect(error?.code == .unreachable)
        #expect(error?.isIndeterminate == true)
        let message = error?.message ?? ""
        // A loopback host: plain HTTP (the probe) once, then HTTPS once; retries are for refused connections and 5xx.
        #expect(message.contains("plain HTTP: the API root of 127.0.0.1:\(tarpit.port): http://127.0.0.1:\(tarpit.port)/v2/ did not answer within 0.3 s (1 attempt"))
        #expect(message.contains("HTTPS: the API root of 127.0.0.1:\(tarpit.port): https://127.0.0.1:\(tarpit.port)/v2/ did not answer within 0.5 s (1 attempt"))
        #expect(await tarpit.connections(caughtUpTo: 2) == 2)
        // Every image of the run on that registry gets the answer already known.
        #expect(await resolveConcurrently(source, tarpit, 1...8) == Array(repeating: .unreachable, count: 8))
        #expect(await tarpit.connections(caughtUpTo: 2) == 2)
    }

    @Test func concurrentFirstRequestsShareOneProbe() async throws {
        let tarpit = try Tarpit(.silent)
        let source = try RemoteRegistry(options: options {
            $0.probeTimeout = 0.3
            $0.requestTimeout = 0.3
            $0.timeout = 60
        })
        #expect(await resolveConcurrently(source, tarpit, 0...7) == Array(repeating: .unreachable, count: 8))
        #expect(await tarpit.connections(caughtUpTo: 2) == 2)
    }

    @Test func theOverallTimeoutBoundsASilentRegistry() async throws {
        let tarpit = try Tarpit(.silent)
        // The per-request limits are longer than the overall one: the overall one must win.
        let source = try RemoteRegistry(options: options {
            $0.probeTimeout = 30
            $0.requestTimeout = 30
            $0.timeout = 0.5
        })
        let error = await failure { _ = try await source.resolve(try reference(tarpit)) }
        #expect(error?.code == .timeout)
        #expect(error?.isIndeterminate == true)
        #expect(error?.message.contains("overall timeout (0.5 s)") == true)
        #expect(tarpit.connections <= 1)
    }

    @Test func aBodyThatNeverComesCostsThePerRequestTimeout() async throws {
        let tarpit = try Tarpit(.stallBody)
        // Plain HTTP is asked first on loopback: the probe's limit is the per-request one here.
        let source = try RemoteRegistry(options: options {
            $0.probeTimeout = 0.5
            $0.requestTimeout = 0.5
            $0.timeout = 60
        })
        let error = await failure { _ = try await source.resolve(try reference(tarpit)) }
        #expect(error?.code == .unreachable)
        #expect(error?.message.contains("http://127.0.0.1:\(tarpit.port)/v2/ did not answer within 0.5 s (1 attempt") == true)
        #expect(await tarpit.connections(caughtUpTo: 2) == 2)
    }
}
