/// Why the admission server refused a request or could not start: one error type for the module, with stable codes.
public struct AdmissionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, snake_case code.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The body is not JSON, or not the document the endpoint expects.
        public static let malformedBody = Code(rawValue: "malformed_body")
        /// The body is larger than the server accepts.
        public static let bodyTooLarge = Code(rawValue: "body_too_large")
        /// `apiVersion` / `kind` of the envelope is not one the endpoint speaks.
        public static let unsupportedAPIVersion = Code(rawValue: "unsupported_api_version")
        /// The admitted object is of a kind the server does not know where images live in.
        public static let unsupportedKind = Code(rawValue: "unsupported_kind")
        /// A TLS certificate or key file could not be read or parsed.
        public static let tlsMaterialInvalid = Code(rawValue: "tls_material_invalid")
        /// A policy file could not be loaded.
        public static let policyInvalid = Code(rawValue: "policy_invalid")
        /// The listen address is not HOST:PORT.
        public static let listenAddressInvalid = Code(rawValue: "listen_address_invalid")
    }

    /// The stable code.
    public var code: Code
    /// One sentence naming the problem and the fix.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
