import Foundation
import TestSupport
@testable import CryptoPrimitives

/// Locates fixtures under testdata/crypto.
enum Fixtures {
    static let root: URL = PackagePaths.testdata("crypto")

    static func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    static func data(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(name)))
    }

    static func text(_ name: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8)
    }
}

extension Fixtures {
    /// Parses a JSON fixture.
    static func json(_ name: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent(name)))
    }

    /// Follows a path of keys / indexes through decoded JSON.
    static func value(_ json: Any, _ path: [Any]) -> Any? {
        var current: Any? = json
        for step in path {
            if let key = step as? String { current = (current as? [String: Any])?[key] }
            else if let index = step as? Int {
                guard let array = current as? [Any], array.indices.contains(index) else { return nil }
                current = array[index]
            }
        }
        return current
    }

    /// Base64-decodes the string at `path` in a JSON fixture.
    static func base64(_ name: String, _ path: [Any]) throws -> [UInt8] {
        guard let text = value(try json(name), path) as? String, let data = Data(base64Encoded: text) else {
            throw FixtureError("no base64 string at \(path) in \(name)")
        }
        return [UInt8](data)
    }

    /// The certificates of a trusted root's certificate authority (index `authority`), as in the JSON (leaf first).
    static func trustedRootChain(_ name: String, authority: Int, kind: String = "certificateAuthorities") throws -> [Certificate] {
        guard let certificates = value(try json(name), [kind, authority, "certChain", "certificates"]) as? [[String: Any]] else {
            throw FixtureError("no \(kind)[\(authority)] in \(name)")
        }
        return try certificates.map { entry in
            guard let raw = entry["rawBytes"] as? String, let data = Data(base64Encoded: raw) else {
                throw FixtureError("bad rawBytes in \(name)")
            }
            return try Certificate(der: [UInt8](data))
        }
    }

    /// The leaf certificate of a Sigstore bundle (v0.3 `certificate` or v0.1/0.2 `x509CertificateChain`).
    static func bundleLeaf(_ name: String) throws -> Certificate {
        let json = try json(name)
        let raw = value(json, ["verificationMaterial", "certificate", "rawBytes"])
            ?? value(json, ["verificationMaterial", "x509CertificateChain", "certificates", 0, "rawBytes"])
        guard let text = raw as? String, let data = Data(base64Encoded: text) else {
            throw FixtureError("no leaf certificate in \(name)")
        }
        return try Certificate(der: [UInt8](data))
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `2024-03-19T22:45:00Z` → Date.
func utc(_ text: String) -> Date {
    ISO8601DateFormatter().date(from: text) ?? Date.distantPast
}
