// RegistryAccess: see docs/ARCHITECTURE.md.
