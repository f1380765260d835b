/// A stable string of the JSON contract — a reason code, a check name: compared, sorted, printed and encoded as its
/// bare raw string. Conforming types hold only `rawValue` and their named constants.
public protocol StableName: RawRepresentable, Hashable, Codable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible, Comparable where RawValue == String
{
    /// Wraps a raw string; prefer the named constants.
    init(rawValue: String)
}

extension StableName {
    /// Wraps a string given as a literal.
    public init(stringLiteral value: String) { self.init(rawValue: value) }

    /// The raw string.
    public var description: String { rawValue }

    /// Orders by the raw string.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
