// OCIImage: see docs/ARCHITECTURE.md.
