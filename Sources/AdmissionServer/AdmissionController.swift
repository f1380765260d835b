import AdmissionFormats
import Foundation
import ImageGate
import Logging
import Synchronization

/// An answer to one HTTP request: status and JSON body.
public struct HTTPAnswer: Sendable {
    /// The HTTP status.
    public var status: Int
    /// The JSON body.
    public var body: [UInt8]
}

/// How the admission endpoints decide; everything here is independent of HTTP (the server adds transport).
public struct AdmissionSettings: Sendable {
    /// Every request is answered within this time (Kubernetes gives webhooks 10 s by default); images not decided by
    /// then are `deadline_exceeded` — denied unless their policy only warns.
    public var deadline: Duration = .seconds(8)
    /// How long a verdict is reused.
    public var cacheTimeToLive: Duration = .seconds(300)
    /// Most verdicts kept.
    public var cacheCapacity = 10_000
    /// Largest request body accepted (Kubernetes objects are at most ~1.5 MiB; the review holds old and new).
    public var maxBodyBytes = 4 << 20

    /// The default settings.
    public init() {}
}

/// The webhooks' logic: parses AdmissionReview and ProviderRequest bodies, finds images with the scanner's rules, decides
/// each distinct image once through the cache, and writes the answer. Fail closed: a deadline, a registry fault or an
/// internal error denies with its reason, except where the matching policy only warns.
public final class AdmissionController: Sendable {
    /// The settings.
    public let settings: AdmissionSettings
    /// The metrics every answer is counted in.
    public let metrics: AdmissionMetrics
    let cache: VerdictCache
    private let deciderBox: Mutex<any ImageDecider>
    private let logger: Logger
    private let now: @Sendable () -> Date

    /// Creates a controller deciding with `decider` (replace it with `replaceDecider` on policy reload).
    public init(decider: any ImageDecider, settings: AdmissionSettings = AdmissionSettings(),
                metrics: AdmissionMetrics = AdmissionMetrics(), logger: Logger = Logger(label: "verify-image.serve"),
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.settings = settings
        self.metrics = metrics
        self.cache = VerdictCache(timeToLive: settings.cacheTimeToLive, capacity: settings.cacheCapacity)
        self.deciderBox = Mutex(decider)
        self.logger = logger
        self.now = now
    }

    /// The decider in force.
    public var decider: any ImageDecider { deciderBox.withLock { $0 } }

    /// Puts new policies in force; verdicts made under the old ones are dropped.
    public func replaceDecider(_ decider: any ImageDecider) {
        deciderBox.withLock { $0 = decider }
        cache.removeAll()
    }

    // MARK: - Deciding images

    /// The outcome for one image of a request.
    struct ImageOutcome: Sendable {
        var image: WorkloadImage
        var decision: ImageDecision
        var cache: CacheOutcome?
    }

    /// Decides one image: unpinned images fail without asking the registry; pinned ones go through the cache.
    func decide(_ image: WorkloadImage, kind: String?, decider: any ImageDecider, deadline: Duration) async -> ImageDecision {
        let enforcement = decider.enforcement(for: image.reference ?? image.image)
        switch image.status {
        case .pinned:
            break
        case .tag, .implicitLatest:
            return ImageDecision(decision: .fail, reasons: [.notDigestPinned],
                                 message: "\(image.image) is not pinned by digest; deploy it as NAME@sha256:… (the /mutate webhook resolves tags, `verify-image pin` rewrites manifests)",
                                 enforcement: enforcement)
        case .malformedDigest, .placeholderDigest, .digestNotFound:
            return ImageDecision(decision: .fail, reasons: [.invalidReference],
                                 message: "\(image.image) does not carry a real digest (\(image.note ?? image.status.rawValue)); pin the digest the registry reports",
                                 enforcement: enforcement)
        case .templated, .inherited, .error:
            return ImageDecision(decision: .indeterminate, reasons: [.invalidReference],
                                 message: "the image at \(image.pathText) could not be read (\(image.note ?? image.status.rawValue))",
                                 enforcement: enforcement)
        }
        guard let reference = image.reference else {
            return ImageDecision(decision: .fail, reasons: [.invalidReference], message: "\(image.image) is not a valid reference",
                                 enforcement: enforcement)
        }
        return await decideCached(reference, kind: kind, decider: decider, deadline: deadline)
    }

    /// A pinned reference through the verdict cache, answered within `deadline`.
    func decideCached(_ reference: String, kind: String? = nil, decider: any ImageDecider, deadline: Duration) async -> ImageDecision {
        let key = VerdictCache.key(reference: reference, kind: kind, policyDigest: decider.policyDigest)
        let now = self.now
        let metrics = self.metrics
        let logger = self.logger
        let lookup = cache.lookup(key) {
            let decision = await decider.decide(reference, kind: kind, at: now())
            metrics.verification(decision)
            logger.info("verified", metadata: ["image": "\(reference)", "decision": "\(decision.decision.rawValue)",
                                               "reasons": "\(decision.reasons.map(\.rawValue).joined(separator: ","))"])
            return decision
        }
        metrics.cache(lookup.outcome)
        if let stored = lookup.stored { return stored }
        guard let task = lookup.task, let decision = await value(of: task, within: deadline) else {
            return ImageDecision(decision: .indeterminate, reasons: [.deadlineExceeded],
                                 message: "\(reference) was not verified within the \(Self.seconds(deadline)) deadline (the verification goes on and its verdict is cached); retry",
                                 enforcement: decider.enforcement(for: reference))
        }
        return decision
    }

    /// Decides every distinct image of a request concurrently.
    func decideAll(_ images: [WorkloadImage], kind: String?, deadline: Duration) async -> [ImageOutcome] {
        let decider = self.decider
        var byImage: [WorkloadImage: ImageDecision] = [:]
        if images.count == 1 {
            byImage[images[0]] = await decide(images[0], kind: kind, decider: decider, deadline: deadline)
        } else {
            await withTaskGroup(of: (WorkloadImage, ImageDecision).self) { group in
                for image in Set(images) {
                    group.addTask { (image, await self.decide(image, kind: kind, decider: decider, deadline: deadline)) }
                }
                for await (image, decision) in group { byImage[image] = decision }
            }
        }
        return images.map { ImageOutcome(image: $0, decision: byImage[$0]!) }
    }

    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%gs", value)
    }

    /// The deadline for one request: ours, shortened to 80 % of the `timeout` the API server appends to webhook URLs
    /// (`?timeout=10s`), so the answer always arrives before the API server gives up.
    func deadline(timeoutParameter: String?) -> Duration {
        guard let text = timeoutParameter, text.hasSuffix("s"), let seconds = Double(text.dropLast()), seconds > 0 else {
            return settings.deadline
        }
        return min(settings.deadline, .milliseconds(Int(seconds * 800)))
    }
}
