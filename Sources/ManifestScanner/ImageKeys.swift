extension ManifestScanner {
    /// Whether a mapping key names one image: `image`, `initImage`, `thanosImage`, `configReloaderImage`,
    /// `base_image`, … (not `imagePullPolicy`). The one rule for "this field holds an image", shared by the scanner
    /// and the admission server.
    public static func isImageKey(_ key: String) -> Bool {
        key == "image" || (key.count > 5 && key.hasSuffix("Image")) || key.hasSuffix("_image")
    }
}
