import Foundation
import TestSupport

/// Locates fixtures under the package's `testdata/` folder.
enum Fixtures {
    static let packageRoot: URL = PackagePaths.root

    static func url(_ relative: String) -> URL { PackagePaths.testdata(relative) }

    static func data(_ relative: String) throws -> Data { try Data(contentsOf: url(relative)) }
}

/// A JSON value that is Sendable, for table-driven tests.
enum JSONValue: Sendable, Hashable, Decodable {
    case string(String), number(Double), bool(Bool), array([JSONValue]), object([String: JSONValue]), null

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    var string: String? { if case .string(let s) = self { s } else { nil } }
    var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    var object: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }
    subscript(_ key: String) -> JSONValue? { object?[key] }
}
