import CryptoPrimitives
import Foundation
import GateVerdict
import Testing
@testable import SignatureVerification

/// Every byte of every signed field of the passing conformance bundles, flipped one bit at a time, turns pass into
/// fail: the message signature and digest, the DSSE payload and signature, the signing certificate, each log entry's
/// canonicalized body, SET, inclusion-proof hashes and root, the checkpoint (its signed note and the log's own
/// signature line) and every RFC 3161 token. Not a sample: each (bundle, field) pair walks all of its bytes, with
/// `bits` flips per byte (the tokens' every bit is also walked alone by `TimestampBitFlipTests`). Fields nothing signs
/// (the public-key hint, certificates after the leaf, witness cosignature lines) are left out by design.
///
/// Each mutated bundle is the bundle's JSON with the one field's value replaced in its text (serialized once), parsed
/// and verified by the one verifier (`EvidenceVerifier`), so a walk costs a parse and a verification per flip.
@Suite struct BundleEveryByteMutationTests {
    /// The passing conformance bundles walked, one per shape: Rekor v1 with SET and proof (v0.1 message signature
    /// with a certificate chain; v0.3 message signature; v0.3 DSSE), Rekor v2 with a timestamp as the only time (message
    /// signature and DSSE), and a key-signed bundle.
    static let bundles = ["happy-path-v0.1", "happy-path-v0.3", "happy-path-intoto-in-dsse-v3", "rekor2-happy-path",
                          "rekor2-dsse-happy-path", "managed-key-happy-path"]

    /// The bits flipped in each byte: bit 0 and bit 7 (a low bit keeps ASCII text ASCII; the high bit turns it into
    /// something else entirely, and moves a DER length or tag furthest). Every bit of every byte is walked for the
    /// RFC 3161 tokens by `TimestampBitFlipTests`. With `IV_EVERY_BIT=1` all eight bits of every byte are flipped
    /// (four times the work: about 13 CPU-minutes in a debug build, so not in every CI run).
    static let bits: [UInt8] = ProcessInfo.processInfo.environment["IV_EVERY_BIT"] == "1"
        ? [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80] : [0x01, 0x80]

    struct Field: Sendable, CustomTestStringConvertible {
        let bundle: String
        /// Keys and array indexes down to a base64 value, or to the checkpoint envelope (text).
        let path: [PathStep]
        var isCheckpoint: Bool { path.last == .key("envelope") }
        var isTimestamp: Bool { path.last == .key("signedTimestamp") }
        var testDescription: String { "\(bundle) \(path.map(\.description).joined(separator: "."))" }
    }

    enum PathStep: Sendable, Hashable, CustomStringConvertible {
        case key(String), index(Int)
        var any: Any { switch self { case .key(let key): key; case .index(let index): index } }
        var description: String { switch self { case .key(let key): key; case .index(let index): "\(index)" } }
    }

    /// Every signed field present in the bundles above.
    static let fields: [Field] = bundles.flatMap { name -> [Field] in
        guard let testCase = try? BundleMutationTests.Case(name) else { return [] }
        let object = testCase.object
        var paths: [[PathStep]] = []
        func add(_ path: [PathStep]) {
            if BundleMutationTests.get(object, path.map(\.any)) is String { paths.append(path) }
        }
        let material: [PathStep] = [.key("verificationMaterial")]
        add([.key("messageSignature"), .key("signature")])
        add([.key("messageSignature"), .key("messageDigest"), .key("digest")])
        add([.key("dsseEnvelope"), .key("payload")])
        add([.key("dsseEnvelope"), .key("signatures"), .index(0), .key("sig")])
        add(material + [.key("certificate"), .key("rawBytes")])
        add(material + [.key("x509CertificateChain"), .key("certificates"), .index(0), .key("rawBytes")])
        let entries = BundleMutationTests.get(object, ["verificationMaterial", "tlogEntries"]) as? [Any] ?? []
        for entry in entries.indices {
            let base = material + [.key("tlogEntries"), .index(entry)]
            add(base + [.key("canonicalizedBody")])
            add(base + [.key("inclusionPromise"), .key("signedEntryTimestamp")])
            add(base + [.key("inclusionProof"), .key("rootHash")])
            let hashes = BundleMutationTests.get(object, (base + [.key("inclusionProof"), .key("hashes")]).map(\.any)) as? [Any] ?? []
            for hash in hashes.indices { add(base + [.key("inclusionProof"), .key("hashes"), .index(hash)]) }
            add(base + [.key("inclusionProof"), .key("checkpoint"), .key("envelope")])
        }
        let timestamps = BundleMutationTests.get(object, ["verificationMaterial", "timestampVerificationData", "rfc3161Timestamps"]) as? [Any] ?? []
        for timestamp in timestamps.indices {
            add(material + [.key("timestampVerificationData"), .key("rfc3161Timestamps"), .index(timestamp), .key("signedTimestamp")])
        }
        return paths.map { Field(bundle: name, path: $0) }
    }

    @Test func theBundlesPassUnmodifiedAndEveryKindOfFieldIsWalked() throws {
        for name in Self.bundles {
            let testCase = try BundleMutationTests.Case(name)
            #expect(testCase.passes(testCase.object), "\(name) must pass unmodified")
        }
        let kinds = Set(Self.fields.map { $0.path.last?.description ?? "" })
        for kind in ["signature", "digest", "payload", "sig", "rawBytes", "canonicalizedBody", "signedEntryTimestamp",
                     "rootHash", "envelope", "signedTimestamp"] {
            #expect(kinds.contains(kind), "no field \(kind) walked")
        }
        #expect(Self.fields.contains { $0.path.contains(.key("hashes")) })
        #expect(Set(Self.fields.map(\.bundle)) == Set(Self.bundles))
    }

    @Test(arguments: fields)
    func everyByteOfASignedFieldIsRejected(_ field: Field) async throws {
        let testCase = try BundleMutationTests.Case(field.bundle)
        let value = try #require(BundleMutationTests.get(testCase.object, field.path.map(\.any)) as? String)
        // The bundle's JSON, serialized once; each flip replaces the field's one literal in it.
        let text = try Self.jsonLiteral(testCase.object)
        let literal = try Self.jsonLiteral(value)
        let ranges = text.ranges(of: literal)
        try #require(ranges.count == 1, "\(field.testDescription): the value must occur once in the bundle's JSON")
        let prefix = Data(text[..<ranges[0].lowerBound].utf8)
        let suffix = Data(text[ranges[0].upperBound...].utf8)
        let unchanged = try SigstoreBundle(json: prefix + Data(literal.utf8) + suffix)
        #expect(Self.accepts(testCase, unchanged, timestamp: field.isTimestamp), "\(field.testDescription): unmodified must pass")

        // The checkpoint is text: only the signed note and the log's own signature lines count (a witness's
        // cosignature line is not the log's and may be ignored).
        let bytes = field.isCheckpoint ? Array(value.utf8) : try #require(protoBase64Decode(value))
        let positions = field.isCheckpoint ? Self.checkpointSignedPositions(value) : Array(bytes.indices)
        #expect(!positions.isEmpty)
        var survivors: [String] = []
        var flips = 0
        for position in positions {
            for bit in Self.bits {
                var mutated = bytes
                mutated[position] ^= bit
                let mutatedValue = field.isCheckpoint ? String(decoding: mutated, as: UTF8.self) : base64Encode(mutated)
                let json = prefix + Data(try Self.jsonLiteral(mutatedValue).utf8) + suffix
                if let bundle = try? SigstoreBundle(json: json), Self.accepts(testCase, bundle, timestamp: field.isTimestamp) {
                    survivors.append("\(position)^\(bit)")
                }
                flips += 1
            }
            if position % 8 == 0 { await Task.yield() }
        }
        Self.tally.record(flips: flips, bytes: positions.count, survivors: survivors.count)
        #expect(survivors.isEmpty, "\(field.testDescription): flips \(survivors.prefix(40)) of \(flips) still pass")
    }

    /// True when the mutated bundle still passes on the strength of the mutated field. A timestamp is an exception
    /// kept from sigstore-go and sigstore-python: a token no trusted TSA verifies is reported and adds no time, so a
    /// bundle that also has an integrated time from a SET still passes; the flipped token must then not be among the
    /// verified times (it is rejected, not used). Where the token is the only time (Rekor v2) the bundle fails.
    static func accepts(_ testCase: BundleMutationTests.Case, _ bundle: SigstoreBundle, timestamp: Bool) -> Bool {
        guard let report = try? testCase.verifier.verify(bundle: bundle, artifact: .bytes(testCase.artifact)) else {
            return false
        }
        return !timestamp || !(report.timestamps ?? []).isEmpty
    }

    /// A JSON value's text as JSONSerialization writes it (sorted keys), so literals found in one are found in the other.
    static func jsonLiteral(_ value: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }

    /// The byte offsets of a checkpoint envelope that matter: the note (everything up to and including the blank
    /// line) and the signature lines of the log itself, i.e. not those of the witnesses that merely cosign.
    static func checkpointSignedPositions(_ envelope: String) -> [Int] {
        let bytes = Array(envelope.utf8)
        guard let noteEnd = (0..<max(bytes.count - 1, 0)).first(where: { bytes[$0] == 0x0a && bytes[$0 + 1] == 0x0a }) else {
            return Array(bytes.indices)
        }
        let note = Array(0...(noteEnd + 1))
        let origin = String(decoding: bytes.prefix { $0 != 0x0a }, as: UTF8.self)
        let logName = Checkpoint.rekorV1Name(origin).map(String.init) ?? origin
        var positions = note
        var lineStart = noteEnd + 2
        while lineStart < bytes.count {
            let lineEnd = bytes[lineStart...].firstIndex(of: 0x0a) ?? bytes.count
            let line = String(decoding: bytes[lineStart..<lineEnd], as: UTF8.self)
            if line.hasPrefix("\u{2014} \(logName) ") { positions += Array(lineStart..<lineEnd) }
            lineStart = lineEnd + 1
        }
        return positions
    }

    /// The figures of a run, printed once every field is walked (the report's "bytes × bits walked, rejected").
    static let tally = Tally(expectedFields: fields.count)

    final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private let expectedFields: Int
        private var fields = 0, bytes = 0, flips = 0, survivors = 0

        init(expectedFields: Int) { self.expectedFields = expectedFields }

        func record(flips: Int, bytes: Int, survivors: Int) {
            lock.lock()
            defer { lock.unlock() }
            self.fields += 1
            self.bytes += bytes
            self.flips += flips
            self.survivors += survivors
            if self.fields == expectedFields {
                print("BundleEveryByteMutationTests: \(self.fields) signed fields of \(BundleEveryByteMutationTests.bundles.count) bundles, \(self.bytes) bytes × \(BundleEveryByteMutationTests.bits.count) bits = \(self.flips) flips, \(self.flips - self.survivors) rejected, \(self.survivors) accepted")
            }
        }
    }
}
