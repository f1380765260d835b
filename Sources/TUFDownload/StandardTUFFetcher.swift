// TUFDownload: the network side of the TUF client, kept out of the `TUF` module so that metadata parsing and
// verification build without an HTTP stack (the fuzz harnesses link `TUF` alone). Its errors are `TUFError`s: the
// fetcher is part of the TUF client, and the client's callers see one error type.
import AsyncHTTPClient
import Foundation
import NIOCore
@_exported import TUF

/// Fetches `http://`, `https://` (AsyncHTTPClient; redirects followed, 30 s read timeout) and `file://` URLs.
public struct StandardTUFFetcher: TUFFetcher {
    private static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .follow(max: 5, allowCycles: false)
        configuration.decompression = .disabled
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(30))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// The overall time allowed for one file.
    public let timeout: TimeAmount

    /// Creates a fetcher; `timeoutSeconds` bounds each download.
    public init(timeoutSeconds: Int64 = 60) { timeout = .seconds(timeoutSeconds) }

    /// Fetches one file, bounded by `maximumLength`.
    public func fetch(_ url: String, maximumLength: Int) async throws -> [UInt8] {
        if url.hasPrefix("file://") { return try readFile(url, maximumLength: maximumLength) }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw TUFError(.usage, "unsupported URL \(url); use http://, https:// or file://")
        }
        let response: HTTPClientResponse
        do {
            response = try await Self.client.execute(HTTPClientRequest(url: url), timeout: timeout)
        } catch {
            throw TUFError(.downloadFailed, "cannot fetch \(url): \(error)")
        }
        guard response.status.code == 200 else {
            throw TUFError(.downloadFailed, "\(url) answered HTTP \(response.status.code)", httpStatus: Int(response.status.code))
        }
        do {
            let buffer = try await response.body.collect(upTo: maximumLength)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw TUFError(.downloadTooLarge, "\(url) is larger than the \(maximumLength) bytes allowed")
        } catch {
            throw TUFError(.downloadFailed, "cannot read \(url): \(error)")
        }
    }

    private func readFile(_ url: String, maximumLength: Int) throws -> [UInt8] {
        guard let path = URL(string: url)?.path else { throw TUFError(.usage, "malformed file URL \(url)") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw TUFError(.downloadFailed, "cannot open \(path)", httpStatus: 404)
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: maximumLength + 1)) ?? Data()
        guard data.count <= maximumLength else {
            throw TUFError(.downloadTooLarge, "\(path) is larger than the \(maximumLength) bytes allowed")
        }
        return [UInt8](data)
    }
}
