/// Where a scalar starts in its file, and the value it holds, so that a later edit can find the exact bytes again.
public struct ScalarPosition: Sendable, Hashable {
    /// 1-based line.
    public var line: Int
    /// 1-based column, counted in Unicode scalars (libyaml's count).
    public var column: Int
    /// The value as parsed (without quotes).
    public var value: String

    /// Creates a position.
    public init(line: Int, column: Int, value: String) {
        self.line = line
        self.column = column
        self.value = value
    }
}

/// How a finding that is pinned by tag can be pinned by digest with a minimal edit of its file: which scalar
/// receives the digest, following the convention of the file (recorded by the scanner while it parses).
public enum PinSite: Sendable, Hashable {
    /// The scalar holds the reference or ends with it (`image: repo:tag`, `--flag=repo:tag`): `@<digest>` is
    /// appended to its value. With `quotePlain`, a plain scalar is also put in double quotes (Helm `tag: "v1@…"`).
    case appendToScalar(ScalarPosition, quotePlain: Bool)
    /// An existing, empty key of an image map receives the digest (`digest: ""` → `digest: "sha256:…"`); `bareHex`
    /// for keys whose template adds `sha256:` itself (kube-prometheus-stack's `sha`). The position is the key's.
    case fillEmptyKey(ScalarPosition, bareHex: Bool)
    /// A Kustomize `images:` entry gets a `digest:` key after the scalar at the position (its `newTag` value);
    /// `keyColumn` is the column of the `newTag` key (the new key's indentation), `flow` for `{…}` entries.
    case addDigestKey(after: ScalarPosition, keyColumn: Int, flow: Bool)
}
