// OCIImage: value types for image references, digests and OCI content (see docs/ARCHITECTURE.md).
//
// Layer 1, Foundation only. Everything here is pure parsing and validation: no I/O, no hashing (digests of
// content are computed by RegistryAccess with CryptoPrimitives and compared here as values).
