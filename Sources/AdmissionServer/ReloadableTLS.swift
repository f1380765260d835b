import AdmissionFormats
import CryptoPrimitives
import Foundation
import NIOCore
import NIOSSL
import Synchronization

/// The server's TLS certificate and key, read from files and re-read when they change (cert-manager rotates them
/// in place). Every new connection uses the newest pair that parsed and matched; a half-written or mismatched
/// pair is refused and the previous one kept. With a client CA, clients must present a certificate it issued (mutual
/// TLS, as Gatekeeper does for external-data providers).
public final class ReloadableTLS: Sendable {
    /// The PEM certificate chain file (leaf first).
    public let certificatePath: String
    /// The PEM private key file.
    public let keyPath: String
    /// A PEM CA bundle that client certificates must chain to; nil accepts clients without certificates.
    public let clientCAPath: String?

    private struct Material: Sendable {
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
        var fingerprint: String
    }

    private let material: Mutex<Material>
    private let clientCA: [NIOSSLCertificate]?

    /// Reads and checks the certificate and key.
    ///
    /// - Throws: `AdmissionError` `tls_material_invalid` naming the file and the problem.
    public init(certificatePath: String, keyPath: String, clientCAPath: String? = nil) throws {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.clientCAPath = clientCAPath
        material = Mutex(try Self.load(certificatePath: certificatePath, keyPath: keyPath))
        if let clientCAPath {
            do {
                clientCA = try NIOSSLCertificate.fromPEMFile(clientCAPath)
            } catch {
                throw AdmissionError(.tlsMaterialInvalid, "--tls-client-ca \(clientCAPath): not a readable PEM certificate bundle (\(error))")
            }
            if clientCA?.isEmpty ?? true {
                throw AdmissionError(.tlsMaterialInvalid, "--tls-client-ca \(clientCAPath): holds no certificate")
            }
        } else {
            clientCA = nil
        }
    }

    private static func load(certificatePath: String, keyPath: String) throws -> Material {
        guard let certificateBytes = FileManager.default.contents(atPath: certificatePath) else {
            throw AdmissionError(.tlsMaterialInvalid, "--tls-cert \(certificatePath): no such readable file")
        }
        guard let keyBytes = FileManager.default.contents(atPath: keyPath) else {
            throw AdmissionError(.tlsMaterialInvalid, "--tls-key \(keyPath): no such readable file")
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(Array(certificateBytes))
        } catch {
            throw AdmissionError(.tlsMaterialInvalid, "--tls-cert \(certificatePath): not a PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else { throw AdmissionError(.tlsMaterialInvalid, "--tls-cert \(certificatePath): holds no certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: Array(keyBytes), format: .pem)
        } catch {
            throw AdmissionError(.tlsMaterialInvalid, "--tls-key \(keyPath): not an unencrypted PEM private key (\(error))")
        }
        // A context checks that the key belongs to the leaf certificate.
        do {
            _ = try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                           privateKey: .privateKey(key)))
        } catch {
            throw AdmissionError(.tlsMaterialInvalid, "--tls-key \(keyPath) does not belong to the certificate in \(certificatePath) (\(error))")
        }
        let fingerprint = HashAlgorithm.sha256.hash(Array(certificateBytes) + Array(keyBytes)).hexString
        return Material(chain: chain, key: key, fingerprint: fingerprint)
    }

    /// The SHA-256 of the certificate and key files in use.
    public var fingerprint: String { material.withLock { $0.fingerprint } }

    /// Re-reads the files; true when a new pair is now in use, false when nothing changed.
    ///
    /// - Throws: the problem with the new files (the previous pair stays in use).
    @discardableResult
    public func reloadIfChanged() throws -> Bool {
        let current = fingerprint
        guard let certificateBytes = FileManager.default.contents(atPath: certificatePath),
              let keyBytes = FileManager.default.contents(atPath: keyPath) else {
            throw AdmissionError(.tlsMaterialInvalid, "\(certificatePath) or \(keyPath) is not readable; keeping the certificate in use")
        }
        guard HashAlgorithm.sha256.hash(Array(certificateBytes) + Array(keyBytes)).hexString != current else { return false }
        let loaded = try Self.load(certificatePath: certificatePath, keyPath: keyPath)
        material.withLock { $0 = loaded }
        return true
    }

    /// The server TLS configuration: TLS 1.2 or later, the current pair chosen per handshake.
    public func serverConfiguration() -> TLSConfiguration {
        let (chain, key) = material.withLock { ($0.chain, $0.key) }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                     privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        if let clientCA {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(clientCA)
            configuration.sendCANameList = true
        }
        configuration.sslContextCallback = { [self] _, promise in
            let (chain, key) = material.withLock { ($0.chain, $0.key) }
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = chain.map { .certificate($0) }
            override.privateKey = .privateKey(key)
            promise.succeed(override)
        }
        return configuration
    }
}
