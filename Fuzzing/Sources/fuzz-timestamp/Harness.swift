// RFC 3161 timestamps (TimeStampResp or bare token) through CryptoPrimitives, verified over a fixed message with the
// fixture TSA's root.
//
// Invariant (differential): a token that verifies is the known-good token's signed content (same imprint, time and
// serial); anything else that verifies would be a forged timestamp.
import CryptoPrimitives
import Foundation
import FuzzSupport

let message = FuzzFixtures.bytes("crypto/generated/message.txt")
let roots: [Certificate] = {
    guard let root = try? Certificate.parsePEM(FuzzFixtures.text("crypto/generated/root.pem")),
          let intermediate = try? Certificate.parsePEM(FuzzFixtures.text("crypto/generated/intermediate.pem")),
          let tsa = try? Certificate.parsePEM(FuzzFixtures.text("crypto/generated/tsa.pem")) else {
        fatalError("harness set-up: fixture PKI")
    }
    return root + intermediate + tsa
}()

struct SignedTime: Hashable {
    let imprint: [UInt8]
    let time: Date
    let serial: String
}

func verify(_ token: TimestampToken) -> SignedTime? {
    guard let time = try? token.verify(message: message, roots: [roots[0]], intermediates: [roots[1]], leaf: roots[2])
    else { return nil }
    return SignedTime(imprint: token.messageImprint, time: time, serial: token.serialNumberHex)
}

let knownGood: Set<SignedTime> = {
    let good = Set(["crypto/generated/message.tsr", "crypto/generated/message.tst"].compactMap { path in
        (try? TimestampToken(der: FuzzFixtures.bytes(path))).flatMap(verify)
    })
    invariant(!good.isEmpty, "harness set-up: the fixture timestamp does not verify")
    return good
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTimestamp(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        guard let token = try? TimestampToken(der: bytes) else { return }
        _ = (token.generationTime, token.hashAlgorithm, token.policyOID)
        if let signed = verify(token) {
            invariant(knownGood.contains(signed), "a timestamp that is not the known-good one verified")
        }
        // A different message never verifies.
        invariant((try? token.verify(message: message + [0x0a], roots: [roots[0]], intermediates: [roots[1]], leaf: nil)) == nil,
                  "a timestamp verified over a message it does not cover")
    }
}

/// Loads the fixed trust material and verifies the known-good inputs before fuzzing starts (outside the per-input
/// timeout).
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: FuzzerArguments) -> CInt {
    _ = knownGood
    return 0
}
