// SignatureVerification: see docs/ARCHITECTURE.md.
