// ManifestScanner: see docs/ARCHITECTURE.md.
