/// The platform an image manifest runs on (`platform` of an index entry): OS, architecture and variant.
public struct Platform: Sendable, Hashable, Codable, CustomStringConvertible {
    /// CPU architecture in Go's `GOARCH` terms (`amd64`, `arm64`, `arm`, `ppc64le`, `s390x`).
    public var architecture: String
    /// Operating system in Go's `GOOS` terms (`linux`, `windows`).
    public var os: String
    /// CPU variant (`v7` for arm, `v8` for arm64).
    public var variant: String?
    /// Operating system version (`os.version`, e.g. Windows build numbers).
    public var osVersion: String?
    /// Required OS features (`os.features`).
    public var osFeatures: [String]?
    /// Reserved by the OCI specification (`features`).
    public var features: [String]?

    private enum CodingKeys: String, CodingKey {
        case architecture, os, variant, features
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    /// Creates a platform.
    public init(os: String, architecture: String, variant: String? = nil, osVersion: String? = nil,
                osFeatures: [String]? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
        self.osVersion = osVersion
        self.osFeatures = osFeatures
        self.features = nil
    }

    /// Parses `os/arch[/variant]` (as `--platform` takes it), normalizing common aliases the way containerd does
    /// (`x86_64` → `amd64`, `aarch64` → `arm64`, `armhf` → `arm/v7`, `armel` → `arm/v6`, `i386` → `386`).
    /// - Throws: ``OCIError/Code/invalidPlatform``.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }),
              parts.allSatisfy({ $0.utf8.allSatisfy { ASCII.isAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") } }) else {
            throw OCIError(.invalidPlatform,
                           "invalid platform \(quotedForDisplay(text)): expected os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8")
        }
        var arch = parts[1].lowercased()
        var variant = parts.count == 3 ? parts[2].lowercased() : nil
        switch arch {
        case "x86_64", "x86-64": arch = "amd64"
        case "aarch64": arch = "arm64"
        case "armhf": arch = "arm"; variant = variant ?? "v7"
        case "armel": arch = "arm"; variant = variant ?? "v6"
        case "i386": arch = "386"
        default: break
        }
        self.init(os: parts[0].lowercased(), architecture: arch, variant: variant)
    }

    /// `os/arch[/variant]`.
    public var description: String {
        var s = os + "/" + architecture
        if let variant, !variant.isEmpty { s += "/" + variant }
        return s
    }

    /// Whether this platform (of an index entry) satisfies `wanted`: same OS and architecture, and the same variant
    /// when `wanted` names one (`arm64` treats a missing variant as `v8`). `os.version`/`os.features` are ignored.
    public func matches(_ wanted: Platform) -> Bool {
        guard os == wanted.os, architecture == wanted.architecture else { return false }
        guard let want = wanted.variant, !want.isEmpty else { return true }
        let have = (variant?.isEmpty ?? true) ? nil : variant
        if architecture == "arm64" { return (have ?? "v8") == want }
        return have == want
    }
}
