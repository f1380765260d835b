// CryptoPrimitives: see docs/ARCHITECTURE.md.
