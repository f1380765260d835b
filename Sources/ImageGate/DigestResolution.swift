import Foundation
import ManifestScanner
import OCIImage
import RegistryAccess

/// What a content source said about one image reference.
public enum DigestLookup: Sendable, Hashable {
    /// The manifest the reference names (for a multi-platform tag: the index).
    case found(Descriptor)
    /// The source answered that the tag or digest does not exist in that repository.
    case notFound(String)
    /// The source answered, but with something unusable (wrong digest, invalid manifest, too large).
    case invalid(String)
    /// The source could not answer (unreachable, unauthorized, rate-limited, deadline): nothing can be decided.
    case undecided(String)

    /// The digest, when found.
    public var digest: Digest? {
        if case .found(let descriptor) = self { return descriptor.digest }
        return nil
    }
}

/// Registries reached through another host: `docker.io=mirror.example/dockerhub` asks
/// `mirror.example/dockerhub/library/nginx` for `docker.io/library/nginx` (a pull-through cache, an air-gapped copy).
/// A digest names the same bytes in every registry, so a pin found through a faithful mirror is the upstream pin.
public struct RegistryMirrors: Sendable, Hashable {
    /// Domain (`docker.io`, `quay.io`) → host and optional path prefix.
    public private(set) var routes: [String: String] = [:]

    /// No mirrors.
    public init() {}

    /// Parses `DOMAIN=HOST[/PREFIX]` entries.
    /// - Throws: ``ImageGateError`` `registry_mirror_invalid` when an entry has no `=`, or either side is not a
    ///   registry name.
    public init(parsing entries: [String]) throws {
        for entry in entries {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !parts[0].contains("/"),
                  (try? ImageReference(normalizing: parts[1] + "/probe")) != nil else {
                throw ImageGateError(.registryMirrorInvalid,
                    "--registry-mirror \(entry): expected DOMAIN=HOST[/PREFIX], e.g. docker.io=127.0.0.1:5000/dockerhub")
            }
            let host = parts[1].hasSuffix("/") ? String(parts[1].dropLast()) : parts[1]
            routes[parts[0] == "index.docker.io" ? "docker.io" : parts[0]] = host
        }
    }

    /// The reference to ask for `reference`: the same path, tag and digest under the mirror of its domain.
    public func route(_ reference: ImageReference) -> ImageReference {
        guard let mirror = routes[reference.domain] else { return reference }
        var text = mirror + "/" + reference.path
        if let tag = reference.tag { text += ":" + tag }
        if let digest = reference.digest { text += "@" + digest.string }
        return (try? ImageReference(normalizing: text)) ?? reference
    }
}

/// Looks up many image references at once: each distinct reference once, up to `maximumConcurrency` at a time,
/// through ``RegistryMirrors`` when given. Tags resolve to the digest of what they name now (the index digest for
/// a multi-platform tag, as `crane digest` and `skopeo inspect` report it); digests are checked to exist in their
/// repository (a registry answers a digest from another repository with 404).
public struct DigestResolver: Sendable {
    /// Where manifests are looked up.
    public let source: any ContentSource
    /// Domains reached through other hosts.
    public let mirrors: RegistryMirrors
    /// Lookups in flight at once.
    public let maximumConcurrency: Int

    /// Creates a resolver.
    public init(source: any ContentSource, mirrors: RegistryMirrors = RegistryMirrors(), maximumConcurrency: Int = 16) {
        self.source = source
        self.mirrors = mirrors
        self.maximumConcurrency = max(1, maximumConcurrency)
    }

    /// Looks up every reference (normalized strings such as `docker.io/library/nginx:1.27` or `name@sha256:…`).
    public func lookUp(_ references: [String]) async -> [String: DigestLookup] {
        let distinct = Array(Set(references)).sorted()
        var results: [String: DigestLookup] = [:]
        await withTaskGroup(of: (String, DigestLookup).self) { group in
            var next = 0
            func add() {
                let reference = distinct[next]
                next += 1
                group.addTask { (reference, await self.lookUp(reference)) }
            }
            while next < distinct.count && next < maximumConcurrency { add() }
            while let (reference, lookup) = await group.next() {
                results[reference] = lookup
                if next < distinct.count { add() }
            }
        }
        return results
    }

    /// Looks up one reference.
    public func lookUp(_ reference: String) async -> DigestLookup {
        let parsed: ImageReference
        do {
            parsed = try ImageReference(normalizing: reference)
        } catch {
            return .invalid("`\(reference)` is not an image reference: \(error)")
        }
        let asked = mirrors.route(parsed)
        let via = asked == parsed ? "" : " (asked \(asked.name))"
        do {
            return .found(try await source.resolve(asked))
        } catch let error as RegistryError {
            let message = error.message + via
            switch error.category {
            case .notFound: return .notFound(message)
            case .integrity, .invalid: return .invalid(message)
            case .indeterminate: return .undecided(message)
            }
        } catch {
            return .undecided("\(error)\(via)")
        }
    }
}

extension DigestResolver {
    /// `scan --resolve`: every finding with a well-formed digest (`pinned`, `placeholder-digest`) is checked against
    /// the source; one the source does not have becomes `digest-not-found`. A source that could not answer leaves the
    /// finding as it was and counts it in `undecided`.
    public func resolve(findings: [Finding]) async -> (findings: [Finding], undecided: Int) {
        let checked: Set<PinStatus> = [.pinned, .placeholderDigest]
        let references = findings.compactMap { checked.contains($0.status) ? $0.reference : nil }
        let lookups = await lookUp(references)
        var undecided = 0
        let resolved = findings.map { finding -> Finding in
            guard checked.contains(finding.status), let reference = finding.reference,
                  let lookup = lookups[reference] else { return finding }
            var updated = finding
            switch lookup {
            case .found:
                return finding
            case .notFound(let message), .invalid(let message):
                updated.status = .digestNotFound
                updated.note = ["\(source.sourceDescription) does not have this digest in \(reference.split(separator: "@")[0]): \(message)",
                                finding.note].compactMap { $0 }.joined(separator: "; ")
            case .undecided(let message):
                undecided += 1
                updated.note = [finding.note, "digest not checked: \(message)"].compactMap { $0 }.joined(separator: "; ")
            }
            return updated
        }
        return (resolved, undecided)
    }
}
