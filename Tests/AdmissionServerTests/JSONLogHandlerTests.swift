import Foundation
import Logging
import Synchronization
import Testing
@testable import AdmissionServer

/// JSON log lines: one object per line, metadata as fields, hostile text escaped.
struct JSONLogHandlerTests {
    @Test func aLineIsOneJSONObjectWithItsMetadata() throws {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "serve-test") { label in
            JSONLogHandler(label: label, output: LogOutput { line in lines.withLock { $0.append(line) } })
        }
        logger[metadataKey: "pod"] = "web"
        logger.info("denied \"quoted\"\nnext", metadata: ["image": "nginx:latest", "reasons": "not_digest_pinned"])
        let line = try #require(lines.withLock { $0 }.first)
        #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["message"] == "denied \"quoted\"\nnext")
        #expect(object["level"] == "info" && object["logger"] == "serve-test")
        #expect(object["image"] == "nginx:latest" && object["pod"] == "web" && object["reasons"] == "not_digest_pinned")
        #expect(object["time"]?.hasSuffix("Z") == true)
    }
}
