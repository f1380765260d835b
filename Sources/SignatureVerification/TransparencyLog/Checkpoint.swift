// C2SP signed-note checkpoints (tlog-checkpoint, signed-note).
import Foundation

/// One signature line of a signed note: `— <name> <base64(key hint ‖ signature)>`.
public struct NoteSignature: Sendable, Hashable {
    /// The signer's name (for a log: its origin / host name).
    public let name: String
    /// The 4-byte key hint (big-endian key id prefix).
    public let keyHint: [UInt8]
    /// The signature bytes after the key hint (for witness cosignatures this includes their timestamp).
    public let signature: [UInt8]

    /// Creates a signature line.
    public init(name: String, keyHint: [UInt8], signature: [UInt8]) {
        self.name = name
        self.keyHint = keyHint
        self.signature = signature
    }
}

/// A C2SP checkpoint (a transparency log's signed tree head) in signed-note form:
/// ```
/// <origin>\n<tree size>\n<base64 root hash>\n[<extension line>\n]*\n— <name> <base64(key hint ‖ sig)>\n…
/// ```
/// The signed message is the note text up to and including the newline before the blank line.
public struct Checkpoint: Sendable, Hashable {
    /// The largest envelope accepted, in bytes.
    public static let maxEnvelopeSize = 256 << 10
    /// The most signature lines accepted.
    public static let maxSignatures = 100

    /// The log's origin line (Rekor v1: `<host> - <tree id>`; Rekor v2 / C2SP: the log's host name).
    public let origin: String
    /// The tree size.
    public let treeSize: UInt64
    /// The tree's root hash (32 bytes).
    public let rootHash: [UInt8]
    /// Extension lines after the root hash (e.g. Rekor v1's `Timestamp: <ns>`), without their newlines.
    public let otherContent: [String]
    /// The exact signed bytes: the note text including its final newline.
    public let signedText: [UInt8]
    /// Every signature line, in order (the log's own and any witnesses').
    public let signatures: [NoteSignature]

    /// True when the origin has Rekor v1's form `<name> - <decimal tree id>`.
    public var isRekorV1: Bool { Checkpoint.rekorV1Name(origin) != nil }

    /// For a Rekor v1 origin `<name> - <tree id>`, the name part; nil otherwise. Rekor prints the Trillian tree id
    /// (a positive 64-bit integer) in decimal, so a tree id with a leading zero or beyond `Int64.max` is not its form.
    static func rekorV1Name(_ origin: String) -> Substring? {
        guard let range = origin.range(of: " - ", options: .backwards) else { return nil }
        let treeID = origin[range.upperBound...]
        guard !treeID.isEmpty, treeID.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              treeID.first != "0", Int64(treeID) != nil else { return nil }
        let name = origin[..<range.lowerBound]
        return name.isEmpty ? nil : name
    }

    /// Parses a checkpoint envelope without checking any signature.
    /// - Throws: `TransparencyLogError` `checkpoint_invalid` naming what is malformed.
    public static func parse(envelope: String) throws -> Checkpoint {
        func fail(_ message: String) -> TransparencyLogError {
            TransparencyLogError(.checkpointInvalid, "malformed checkpoint: \(message)")
        }
        let bytes = Array(envelope.utf8)
        guard bytes.count <= maxEnvelopeSize else { throw fail("it is \(bytes.count) bytes, more than \(maxEnvelopeSize)") }
        // Split at the last blank line: text (ending in "\n") + "\n" + signature block.
        var split: Int?
        var position = bytes.count - 2
        while position >= 0 {
            if bytes[position] == 0x0A && bytes[position + 1] == 0x0A { split = position; break }
            position -= 1
        }
        guard let split else { throw fail("no blank line separates the note text from its signatures") }
        let text = Array(bytes[..<(split + 1)])
        let block = bytes[(split + 2)...]
        guard !block.isEmpty else { throw fail("there are no signature lines") }
        guard block.last == 0x0A else { throw fail("the signature block does not end with a newline") }

        // Note text lines.
        let textLines = text.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        guard textLines.count >= 3 else { throw fail("the note text needs an origin, a tree size and a root hash line") }
        let origin = textLines[0]
        guard !origin.isEmpty else { throw fail("the origin line is empty") }
        let sizeLine = textLines[1]
        guard !sizeLine.isEmpty, sizeLine.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              sizeLine == "0" || !sizeLine.hasPrefix("0"), let treeSize = UInt64(sizeLine) else {
            throw fail("the tree size line \"\(sizeLine.prefix(40))\" is not a decimal number")
        }
        guard let rootHash = TLogCoding.base64Decode(textLines[2]), rootHash.count == MerkleTree.hashSize else {
            throw fail("the root hash line is not base64 of \(MerkleTree.hashSize) bytes")
        }
        let otherContent = Array(textLines[3...])
        if otherContent.contains(where: \.isEmpty) { throw fail("the note text contains an empty line") }

        // Signature lines.
        let dash = "\u{2014} "
        var signatures = [NoteSignature]()
        for rawLine in block.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false) {
            guard signatures.count < maxSignatures else { throw fail("more than \(maxSignatures) signature lines") }
            let line = String(decoding: rawLine, as: UTF8.self)
            guard line.hasPrefix(dash) else { throw fail("signature line \"\(line.prefix(40))\" does not start with \"— \"") }
            let fields = line.dropFirst(dash.count).split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2, !fields[0].isEmpty else {
                throw fail("signature line \"\(line.prefix(60))\" is not \"— <name> <signature>\"")
            }
            guard let decoded = TLogCoding.base64Decode(fields[1]), decoded.count >= 5 else {
                throw fail("the signature of \(fields[0]) is not base64 of a key hint and a signature")
            }
            signatures.append(NoteSignature(name: String(fields[0]), keyHint: Array(decoded[0..<4]),
                                            signature: Array(decoded[4...])))
        }
        return Checkpoint(origin: origin, treeSize: treeSize, rootHash: rootHash, otherContent: otherContent,
                          signedText: text, signatures: signatures)
    }
}
