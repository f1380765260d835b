import CryptoPrimitives
import Foundation
import TestSupport
import Testing
@testable import TUF

/// The client over testdata/tuf/e2e (scripts/make-tuf-fixtures.py, python-tuf): consistent snapshots, a root
/// rotation (state2's root v2 rotates the timestamp key from RSA-PSS to ECDSA), bounded downloads, stored bytes.
@Suite struct TUFClientTests {
    static let e2e = PackagePaths.testdata("tuf/e2e")
    static let base = "https://tuf.example/"

    static func files(_ state: String) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        let directory = e2e.appendingPathComponent(state)
        for name in try FileManager.default.subpathsOfDirectory(atPath: directory.path) {
            var isDirectory: ObjCBool = false
            let url = directory.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[base + name] = [UInt8](try Data(contentsOf: url))
            }
        }
        return files
    }

    static func client(_ files: [String: [UInt8]], limits: TUFLimits = TUFLimits()) throws -> (TUFClient, TUFMetadataStore, InMemoryFetcher) {
        let store = try SigstoreRepository.store(initialRoot: [UInt8](Data(contentsOf: e2e.appendingPathComponent("root.json"))))
        let fetcher = InMemoryFetcher(files: files)
        return (try TUFClient(store: store, metadataBaseURL: base, fetcher: fetcher, limits: limits), store, fetcher)
    }

    @Test func rotatesRootAndStoresExactlyTheBytesServed() async throws {
        let files = try Self.files("state2")
        let (client, store, fetcher) = try Self.client(files)
        try await client.refresh()
        #expect(await client.trustedRoot.envelope.version == 2)
        #expect(fetcher.requests == ["2.root.json", "3.root.json", "timestamp.json", "2.snapshot.json", "2.targets.json"]
            .map { Self.base + $0 })
        for (role, file) in [("root", "2.root.json"), ("timestamp", "timestamp.json"), ("snapshot", "2.snapshot.json"),
                             ("targets", "2.targets.json")] {
            #expect(store.read(role) == files[Self.base + file], "\(role)")
        }
        let target = try #require(try await client.targetInfo(for: "trusted_root.json"))
        #expect(try await client.download(target, targetBaseURL: Self.base + "targets/").count == target.length)
        #expect(try await client.targetInfo(for: "no-such-target.json") == nil)
    }

    @Test func downloadsAreBounded() async throws {
        var limits = TUFLimits()
        limits.timestampMaximumLength = 100
        let (client, _, _) = try Self.client(try Self.files("state1"), limits: limits)
        do {
            try await client.refresh()
            Issue.record("an oversized timestamp was accepted")
        } catch let error as TUFError {
            #expect(error.code == .downloadTooLarge)
        }
    }

    @Test func aTargetLongerThanItsMetadataSaysIsRefused() async throws {
        var files = try Self.files("state1")
        let key = try #require(files.keys.first { $0.hasSuffix(".trusted_root.json") })
        files[key]! += Array("\n".utf8)
        let (client, _, _) = try Self.client(files)
        let target = try #require(try await client.targetInfo(for: "trusted_root.json"))
        await #expect(throws: TUFError.self) { _ = try await client.download(target, targetBaseURL: Self.base + "targets/") }
    }

    @Test func aRootNotSignedByItsOwnNewKeysIsRefused() async throws {
        // state2's root v2 served as if it were the initial root's successor, but with v1's signatures only.
        var files = try Self.files("state2")
        var root2 = try JSONValue(parsing: files[Self.base + "2.root.json"]!).objectValue!
        let root1 = try JSONValue(parsing: files[Self.base + "1.root.json"]!).objectValue!
        root2["signatures"] = root1["signatures"]
        files[Self.base + "2.root.json"] = Array(try JSONSerialization.data(withJSONObject: jsonObject(.object(root2))))
        let (client, _, _) = try Self.client(files)
        do {
            try await client.refresh()
            Issue.record("root v2 with v1's signatures was accepted")
        } catch let error as TUFError {
            #expect(error.code == .thresholdNotMet)
        }
    }

    private func jsonObject(_ value: JSONValue) -> Any {
        switch value {
        case .object(let members): return members.mapValues(jsonObject)
        case .array(let elements): return elements.map(jsonObject)
        case .string(let text): return text
        case .integer(let number): return number
        case .number(let text): return Double(text) ?? 0
        case .bool(let flag): return flag
        case .null: return NSNull()
        }
    }
}
