// ImageGate: the library product. A deploy pipeline imports only this module; it re-exports the types a gate needs.
@_exported import CryptoPrimitives
@_exported import GateVerdict
@_exported import ManifestScanner
@_exported import OCIImage
@_exported import PolicyFiles
@_exported import RegistryAccess
@_exported import SignatureVerification
@_exported import TUF
@_exported import TUFDownload
