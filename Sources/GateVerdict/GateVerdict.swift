// GateVerdict: see docs/ARCHITECTURE.md.
