import CryptoPrimitives
import Foundation
import TestSupport
import Testing
@testable import TUF

/// Serves an in-memory repository: URL → bytes; anything else is HTTP 404. Records the URLs asked for.
final class InMemoryFetcher: TUFFetcher, @unchecked Sendable {
    private let lock = NSLock()
    private var files: [String: [UInt8]]
    private(set) var requests: [String] = []

    init(files: [String: [UInt8]]) { self.files = files }

    func fetch(_ url: String, maximumLength: Int) async throws -> [UInt8] {
        let bytes: [UInt8]? = lock.withLock {
            requests.append(url)
            return files[url]
        }
        guard let bytes else { throw TUFError(.downloadFailed, "\(url): HTTP 404", httpStatus: 404) }
        guard bytes.count <= maximumLength else { throw TUFError(.downloadTooLarge, "\(url) too large") }
        return bytes
    }
}

/// The Sigstore public-good TUF repository as the tuf-conformance suite stores it
/// (testdata/tuf/tuf-conformance/tuf_conformance/static_data/sigstore-root-signing: root versions 1–12, timestamp,
/// snapshot v159, targets v11 and the trusted_root.json target), fetched from tuf-repo-cdn.sigstore.dev on 2025-02-09.
enum SigstoreRepository {
    static let folder = PackagePaths.testdata("tuf/tuf-conformance/tuf_conformance/static_data/sigstore-root-signing")
    static let metadataURL = "https://tuf.example/metadata/"
    static let targetsURL = "https://tuf.example/targets/"
    /// The `faketime` of the snapshot: 2025-02-09T12:02:08Z.
    static let referenceTime = Date(timeIntervalSince1970: 1_739_102_528)

    static func files() throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for folderName in ["metadata", "targets"] {
            let directory = folder.appendingPathComponent(folderName)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
                let base = folderName == "metadata" ? metadataURL : targetsURL
                files[base + name] = [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
            }
        }
        return files
    }

    static func root(_ version: Int) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: folder.appendingPathComponent("metadata/\(version).root.json")))
    }

    /// A fresh metadata directory holding `initialRoot`.
    static func store(initialRoot: [UInt8]) throws -> TUFMetadataStore {
        let store = TUFMetadataStore(directory: FileManager.default.temporaryDirectory
            .appendingPathComponent("tuf-test-\(UUID().uuidString)"))
        try store.write("root", initialRoot)
        return store
    }
}

@Suite struct SigstoreHistoryTests {
    @Test func walksRootsOneToTwelveAndDownloadsTodaysTrustedRoot() async throws {
        let files = try SigstoreRepository.files()
        let fetcher = InMemoryFetcher(files: files)
        let store = try SigstoreRepository.store(initialRoot: SigstoreRepository.root(1))
        let client = try TUFClient(store: store, metadataBaseURL: SigstoreRepository.metadataURL, fetcher: fetcher,
                                   referenceTime: SigstoreRepository.referenceTime)
        try await client.refresh()
        #expect(await client.trustedRoot.envelope.version == 12)
        // Every root version was fetched, one at a time, and v13 was asked for (404: v12 is the newest).
        let rootRequests = fetcher.requests.filter { $0.hasSuffix(".root.json") }
        #expect(rootRequests == (2...13).map { "\(SigstoreRepository.metadataURL)\($0).root.json" })
        #expect(store.read("root") == (try SigstoreRepository.root(12)))

        let target = try #require(try await client.targetInfo(for: "trusted_root.json"))
        let bytes = try await client.download(target, targetBaseURL: SigstoreRepository.targetsURL)
        #expect(HashAlgorithm.sha256.hash(bytes).hexString == "f44a1b88128e55ebfb62189becbc0fa48d4ec9915c65ac54ba0e46a008b12d5b")
        #expect(String(decoding: bytes, as: UTF8.self).contains("rekor.sigstore.dev"))
    }

    @Test func anExpiredRepositoryIsRefused() async throws {
        let fetcher = InMemoryFetcher(files: try SigstoreRepository.files())
        let store = try SigstoreRepository.store(initialRoot: SigstoreRepository.root(12))
        let client = try TUFClient(store: store, metadataBaseURL: SigstoreRepository.metadataURL, fetcher: fetcher,
                                   referenceTime: SigstoreRepository.referenceTime.addingTimeInterval(365 * 86_400))
        await #expect(throws: TUFError.self) { try await client.refresh() }
    }

    /// Every metadata file and the target: one changed character in signed content (or in the target) is refused.
    @Test(arguments: ["2.root.json", "5.root.json", "9.root.json", "11.root.json", "12.root.json", "timestamp.json",
                      "159.snapshot.json", "11.targets.json", "targets/f44a1b88128e55ebfb62189becbc0fa48d4ec9915c65ac54ba0e46a008b12d5b.trusted_root.json"])
    func tamperingWithAnyFileIsRefused(_ name: String) async throws {
        var files = try SigstoreRepository.files()
        let url = name.hasPrefix("targets/") ? SigstoreRepository.targetsURL + name.dropFirst("targets/".count)
            : SigstoreRepository.metadataURL + name
        var bytes = try #require(files[url])
        // Change one digit of the first "expires" value (metadata) or of the first digit anywhere (target).
        let marker = Array(#""expires""#.utf8)
        var position = 0
        if let start = bytes.firstRange(of: marker)?.upperBound { position = start }
        while !(UInt8(ascii: "0")...UInt8(ascii: "8")).contains(bytes[position]) { position += 1 }
        bytes[position] += 1
        files[url] = bytes

        let store = try SigstoreRepository.store(initialRoot: SigstoreRepository.root(1))
        let client = try TUFClient(store: store, metadataBaseURL: SigstoreRepository.metadataURL,
                                   fetcher: InMemoryFetcher(files: files), referenceTime: SigstoreRepository.referenceTime)
        await #expect(throws: TUFError.self) {
            try await client.refresh()
            let target = try #require(try await client.targetInfo(for: "trusted_root.json"))
            _ = try await client.download(target, targetBaseURL: SigstoreRepository.targetsURL)
        }
    }
}
