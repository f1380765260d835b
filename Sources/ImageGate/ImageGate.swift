// ImageGate: the library product. Re-exports the modules a gate needs.
@_exported import GateVerdict
@_exported import OCIImage
