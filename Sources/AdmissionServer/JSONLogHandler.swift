import Foundation
import ImageGate
import Logging
import Synchronization

/// A swift-log handler writing one JSON object per line (`time`, `level`, `logger`, `message`, then the metadata),
/// the shape log collectors in a cluster parse without configuration.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let output: LogOutput

    /// A handler for `label` writing to standard error (or to `output`, for tests).
    public init(label: String, output: LogOutput = .standardError) {
        self.label = label
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata { fields[key] = "\(value)" }
        for (key, value) in event.metadata ?? [:] { fields[key] = "\(value)" }
        var line = "{\"time\":\(Self.quote(Self.timestamp()))"
        line += ",\"level\":\(Self.quote(event.level.rawValue)),\"logger\":\(Self.quote(label))"
        line += ",\"message\":\(Self.quote("\(event.message)"))"
        for key in fields.keys.sorted() where !["time", "level", "logger", "message"].contains(key) {
            line += ",\(Self.quote(key)):\(Self.quote(fields[key]!))"
        }
        line += "}\n"
        output.write(line)
    }

    static func timestamp() -> String {
        Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    static func quote(_ text: String) -> String { jsonString(text) }
}

/// Where JSON log lines go.
public final class LogOutput: Sendable {
    private let sink: Mutex<(String) -> Void>

    /// Lines written through `write`.
    public init(_ write: @escaping @Sendable (String) -> Void) { sink = Mutex(write) }

    /// Standard error, a line at a time.
    public static let standardError = LogOutput { line in
        FileHandle.standardError.write(Data(line.utf8))
    }

    func write(_ line: String) { sink.withLock { $0(line) } }
}
