/// Typed access to the members of one JSON object, for readers of fixed formats (protojson messages such as Sigstore
/// bundles and trusted roots). Every accessor names the member's path in its error.
///
/// The protojson rules apply: an absent member and `null` both read as nil; an `int64` member may be a decimal
/// string (protojson's canonical form) or a JSON integer. A member of any other type than the one asked for throws
/// ``JSONShapeError``; members nobody asks for are ignored.
public struct JSONFields: Sendable {
    /// Where this object is in the document (`verificationMaterial.tlogEntries[0]`; empty for the document).
    public let path: String
    /// The object's members.
    public let members: [String: JSONValue]

    /// The object `value`, found at `path`.
    /// - Throws: ``JSONShapeError`` when `value` is not an object.
    public init(_ value: JSONValue, path: String) throws {
        guard case .object(let members) = value else {
            throw JSONShapeError(path: path.isEmpty ? "the document" : path, problem: "is \(value.kindName), expected an object")
        }
        self.path = path
        self.members = members
    }

    /// Parses a document that must be a JSON object.
    /// - Throws: ``JSONSyntaxError`` for bytes that are not one JSON document, ``JSONShapeError`` for another value.
    public init(parsing bytes: [UInt8]) throws {
        try self.init(try JSONValue(parsing: bytes), path: "")
    }

    /// Whether `name` is present with a value other than `null`.
    public func has(_ name: String) -> Bool {
        if let value = members[name], value != .null { true } else { false }
    }

    /// The path of member `name`.
    public func path(of name: String) -> String { path.isEmpty ? name : path + "." + name }

    /// Member `name` as a string; nil when absent or null.
    public func string(_ name: String) throws -> String? {
        guard let value = present(name) else { return nil }
        guard case .string(let text) = value else { throw mismatch(name, value, expected: "a string") }
        return text
    }

    /// Member `name` as a boolean; nil when absent or null.
    public func bool(_ name: String) throws -> Bool? {
        guard let value = present(name) else { return nil }
        guard case .bool(let flag) = value else { throw mismatch(name, value, expected: "a boolean") }
        return flag
    }

    /// Member `name` as a protojson `int64`: a decimal string or a JSON integer; nil when absent or null.
    public func int64(_ name: String) throws -> Int64? {
        guard let value = present(name) else { return nil }
        switch value {
        case .integer(let number): return number
        case .string(let text):
            guard let number = Int64(text) else {
                throw JSONShapeError(path: path(of: name), problem: "\"\(text.prefix(40))\" is not a 64-bit integer")
            }
            return number
        default: throw mismatch(name, value, expected: "a 64-bit integer")
        }
    }

    /// Member `name` as an object; nil when absent or null.
    public func object(_ name: String) throws -> JSONFields? {
        guard let value = present(name) else { return nil }
        return try JSONFields(value, path: path(of: name))
    }

    /// Member `name` as an array; nil when absent or null.
    public func array(_ name: String) throws -> [JSONValue]? {
        guard let value = present(name) else { return nil }
        guard case .array(let elements) = value else { throw mismatch(name, value, expected: "an array") }
        return elements
    }

    /// Member `name` as an array of objects, each with its indexed path; nil when absent or null.
    public func objects(_ name: String) throws -> [JSONFields]? {
        try array(name)?.enumerated().map { index, element in
            try JSONFields(element, path: "\(path(of: name))[\(index)]")
        }
    }

    /// Member `name` as an array of strings; nil when absent or null.
    public func strings(_ name: String) throws -> [String]? {
        try array(name)?.enumerated().map { index, element in
            guard case .string(let text) = element else {
                throw JSONShapeError(path: "\(path(of: name))[\(index)]", problem: "is \(element.kindName), expected a string")
            }
            return text
        }
    }

    /// Member `name` as an object whose members are all strings; nil when absent or null.
    public func stringMap(_ name: String) throws -> [String: String]? {
        guard let object = try object(name) else { return nil }
        return try object.members.mapValues { value in
            guard case .string(let text) = value else {
                throw JSONShapeError(path: object.path, problem: "has \(value.kindName) member, expected only strings")
            }
            return text
        }
    }

    private func present(_ name: String) -> JSONValue? {
        guard let value = members[name], value != .null else { return nil }
        return value
    }

    private func mismatch(_ name: String, _ value: JSONValue, expected: String) -> JSONShapeError {
        JSONShapeError(path: path(of: name), problem: "is \(value.kindName), expected \(expected)")
    }
}

/// A JSON document that parsed but does not have the shape its format requires, and where.
public struct JSONShapeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The member's path (`verificationMaterial.certificate.rawBytes`).
    public let path: String
    /// What is wrong with it (`is a number, expected a string`).
    public let problem: String

    /// Creates a shape error.
    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    /// `path problem`.
    public var description: String { "\(path) \(problem)" }
}

extension JSONValue {
    /// `an object`, `a string`, … for messages.
    public var kindName: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .integer, .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }
}
