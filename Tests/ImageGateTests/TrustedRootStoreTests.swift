import Foundation
import TestSupport
import Testing
@testable import ImageGate

/// `TrustedRootStore` over the file:// TUF repository in testdata/tuf/e2e (scripts/make-tuf-fixtures.py).
@Suite struct TrustedRootStoreTests {
    static let e2e = PackagePaths.testdata("tuf/e2e")
    static let initialRoot = [UInt8](try! Data(contentsOf: e2e.appendingPathComponent("root.json")))
    static let now = Date(timeIntervalSince1970: 1_764_547_200)  // 2025-12-01

    func freshStore(maximumAge: TimeInterval = 3600) -> TrustedRootStore {
        TrustedRootStore(directory: FileManager.default.temporaryDirectory.appendingPathComponent("trust-\(UUID().uuidString)"),
                         maximumAge: maximumAge)
    }

    func repository(_ state: String) -> String { Self.e2e.appendingPathComponent(state).absoluteString }

    @Test func embeddedTUFRootIsTheFileInKeys() throws {
        let file = try Data(contentsOf: PackagePaths.url("keys/sigstore-tuf-root.json"))
        #expect(Data(EmbeddedTUFRoot.publicGood) == file)
        #expect(try RootMetadata(initialRootBytes: EmbeddedTUFRoot.publicGood).envelope.version == 12)
    }

    @Test func nothingFetchedMeansTheEmbeddedRootWithANotice() async throws {
        let resolution = try await freshStore().resolve(now: Self.now)
        #expect(resolution.source == .embedded)
        #expect(resolution.notice?.contains("trust update") == true)
        #expect(resolution.root.transparencyLogs.contains { $0.baseURL == "https://rekor.sigstore.dev" })
    }

    @Test func updateCachesTheVerifiedTrustedRoot() async throws {
        let store = freshStore()
        let status = try await store.update(repository: repository("state1"), initialRoot: Self.initialRoot, now: Self.now)
        #expect(status.rootVersion == 1)
        #expect(store.status() == status)
        let cached = try await store.resolve(now: Self.now.addingTimeInterval(60))
        #expect(cached.source == .cache)
        #expect(!cached.root.transparencyLogs.contains { $0.baseURL == "https://rekor.sigstore.dev" })

        // The next version of the repository (root v2, new targets) is picked up by a plain update.
        let second = try await store.update(repository: repository("state2"), initialRoot: Self.initialRoot, now: Self.now)
        #expect(second.rootVersion == 2)
        #expect(try await store.resolve(now: Self.now).root.transparencyLogs.contains { $0.baseURL == "https://rekor.sigstore.dev" })
    }

    @Test func staleCacheIsRefreshedAndOfflineUseKeepsWorkingUntilExpiry() async throws {
        let store = freshStore(maximumAge: 60)
        let work = store.directory.deletingLastPathComponent().appendingPathComponent("repo-\(UUID().uuidString)")
        try FileManager.default.createSymbolicLink(at: work, withDestinationURL: Self.e2e.appendingPathComponent("state2"))
        defer { try? FileManager.default.removeItem(at: work) }
        try await store.update(repository: work.absoluteString, initialRoot: Self.initialRoot, now: Self.now)

        let later = Self.now.addingTimeInterval(3600)
        let refreshed = try await store.resolve(now: later)
        #expect(refreshed.source == .refreshed)
        #expect(store.status()?.fetchedAt == later)

        // The repository disappears: the cache is still used (its metadata expires in 2099), with a notice.
        try FileManager.default.removeItem(at: work)
        let offline = try await store.resolve(now: later.addingTimeInterval(3600))
        #expect(offline.source == .staleCache)
        #expect(offline.notice?.contains("could not refresh") == true)

        // Past the metadata's expiry nothing is trusted: an error that verification turns into indeterminate.
        await #expect(throws: ImageGateError.self) {
            _ = try await store.resolve(now: Date(timeIntervalSince1970: 4_102_444_800 + 86_400))
        }
        do {
            _ = try await store.resolve(now: Date(timeIntervalSince1970: 4_102_444_800 + 86_400))
        } catch let error as ImageGateError {
            #expect(error.code == .trustedRootExpired)
            #expect(ReasonCode.trustedRootExpired.decision == .indeterminate)
        }
    }

    @Test func aRepositoryThatFailsVerificationLeavesTheCacheAlone() async throws {
        let store = freshStore()
        try await store.update(repository: repository("state1"), initialRoot: Self.initialRoot, now: Self.now)
        let before = store.cachedTrustedRootBytes()
        // A different initial root (Sigstore's) does not sign this repository's metadata.
        await #expect(throws: ImageGateError.self) {
            try await store.update(repository: repository("state2"), initialRoot: EmbeddedTUFRoot.publicGood, now: Self.now)
        }
        #expect(store.cachedTrustedRootBytes() == before)
    }

    @Test func aPrivateRepositoryNeedsItsInitialRoot() async throws {
        await #expect(throws: ImageGateError.self) {
            try await freshStore().update(repository: repository("state1"), now: Self.now)
        }
    }
}
