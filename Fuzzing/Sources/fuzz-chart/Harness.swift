// Chart archives: gzip (Gunzip, zlib underneath) and tar (TarReader) as the scanner reads them, then the whole
// archive scan (nested charts included) with small limits.
//
// Invariants: inflating never returns more than the output limit; the tar reader never returns more entries than
// its limit, nor a path it would refuse (absolute, `..`); scanning an archive only reports files inside it.
import Foundation
import FuzzSupport
@testable import ManifestScanner

let scanner: ManifestScanner = {
    var limits = ScanLimits()
    limits.maxArchiveBytes = 4 << 20
    limits.maxArchiveEntries = 256
    limits.maxNodes = 20_000
    return ManifestScanner(limits: limits)
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChart(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        let limits = scanner.limits
        // The input as a gzip stream, and (for tar-level coverage without having to get past the CRC) as a tar.
        var tars = [Data(bytes)]
        if let inflated = try? Gunzip.inflate(Data(bytes), maxOutput: limits.maxArchiveBytes, maxRatio: limits.maxDecompressionRatio) {
            invariant(inflated.count <= limits.maxArchiveBytes, "inflated \(inflated.count) bytes past the \(limits.maxArchiveBytes) limit")
            tars.append(inflated)
        }
        for tar in tars {
            guard let result = try? TarReader.read(tar, maxEntries: limits.maxArchiveEntries, wanted: { _ in true }) else { continue }
            invariant(result.files.count + result.refused.count <= limits.maxArchiveEntries, "more entries than the limit")
            for file in result.files {
                invariant(TarReader.unsafeReason(file.path) == nil, "the tar reader returned unsafe path \(file.path.debugDescription)")
                invariant(file.data.count <= tar.count, "a \(file.data.count)-byte file from a \(tar.count)-byte archive")
            }
        }
        for finding in scanner.scan(data: Data(bytes), name: "chart.tgz") {
            invariant(finding.file.hasPrefix("chart.tgz"), "finding in \(finding.file), outside the archive")
        }
    }
}
