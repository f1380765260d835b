/// The version of image-verifier (library and CLI), printed by `verify-image --version` and recorded in evidence
/// packages. The one place it is written.
public enum ImageGateVersion {
    /// Semantic version.
    public static let current = "0.9.0"
}
