import Foundation

/// One PEM block: its label (e.g. "PUBLIC KEY", "CERTIFICATE") and the DER bytes it encodes.
public struct PEMBlock: Sendable, Hashable {
    /// The label between `-----BEGIN ` and `-----`.
    public let label: String
    /// The decoded DER bytes.
    public let der: [UInt8]

    /// The largest PEM text accepted (16 MiB); bigger inputs are rejected before decoding.
    public static let maximumTextSize = 16 << 20

    /// Parses every PEM block in `text`, in order. Text outside blocks is ignored (as OpenSSL does).
    /// - Throws: `CryptoError` with `errorCode` if a block is unterminated, has mismatched labels, invalid base64,
    ///   encryption headers, or if the text is larger than `maximumTextSize`.
    public static func parseAll(_ text: String, errorCode: CryptoError.Code) throws -> [PEMBlock] {
        guard text.utf8.count <= maximumTextSize else {
            throw CryptoError(errorCode, "PEM text is \(text.utf8.count) bytes, more than the \(maximumTextSize) accepted")
        }
        var blocks: [PEMBlock] = []
        var currentLabel: String?
        var body = ""
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if let label = currentLabel {
                if line.hasPrefix("-----END ") {
                    guard line == "-----END \(label)-----" else {
                        throw CryptoError(errorCode, "PEM block \"\(label)\" ends with a different label on line \(lineNumber): \(line)")
                    }
                    guard let data = Data(base64Encoded: body), !data.isEmpty else {
                        throw CryptoError(errorCode, "PEM block \"\(label)\" ending on line \(lineNumber) is not valid base64")
                    }
                    blocks.append(PEMBlock(label: label, der: [UInt8](data)))
                    currentLabel = nil
                    body = ""
                } else if line.contains(":") {
                    throw CryptoError(errorCode, "PEM block \"\(label)\" has a header (line \(lineNumber)); encrypted or annotated PEM is not supported")
                } else {
                    body += line
                }
            } else if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----"), line.count > 16 {
                currentLabel = String(line.dropFirst(11).dropLast(5))
            }
        }
        if let label = currentLabel {
            throw CryptoError(errorCode, "PEM block \"\(label)\" has no END line (truncated PEM?)")
        }
        return blocks
    }
}
