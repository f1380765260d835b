/// Errors of the GateVerdict module (rendering only; verdicts themselves never throw).
public struct GateVerdictError: Error, CustomStringConvertible, Sendable {
    /// Stable code.
    public let code: String
    /// What went wrong.
    public let message: String

    /// Creates an error.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
