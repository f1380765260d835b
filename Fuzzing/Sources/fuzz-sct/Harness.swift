// SCT lists (RFC 6962 §3.3, the X.509 extension value: an OCTET STRING holding the TLS-encoded list) through
// CryptoPrimitives. Their verification inside real certificates is fuzzed by fuzz-certificate.
import CryptoPrimitives
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSCT(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        guard let list = try? SignedCertificateTimestamp.parseList(extensionValue: bytes) else { return }
        invariant(!list.isEmpty, "an empty SCT list was accepted (RFC 6962: sct_list<1..2^16-1>)")
        for sct in list {
            invariant(sct.logID.count == 32, "SCT log id of \(sct.logID.count) bytes accepted")
            _ = sct.timestamp
        }
    }
}
