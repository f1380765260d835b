import CoreMetrics
import Foundation
import Metrics
import Prometheus
import Synchronization

/// The server's Prometheus metrics, made through swift-metrics with a swift-prometheus factory of their own (so
/// several servers in one process — the tests — keep separate counts).
///
/// - `verify_image_admission_requests_total{endpoint,decision,reason}`: answered requests (`decision` is `allowed`,
///   `denied`, `warned`, `error`; `reason` the first reason code, `none` when allowed cleanly).
/// - `verify_image_admission_request_duration_seconds{endpoint}`: latency histogram.
/// - `verify_image_verdict_cache_total{result}`: `hit`, `shared` (joined a verification in flight), `miss`.
/// - `verify_image_verifications_total{decision}`: verifications actually run.
/// - `verify_image_registry_errors_total{reason}`: verifications that could not reach evidence (registry codes).
/// - `verify_image_reloads_total{what,result}`: TLS material and policy reloads.
public final class AdmissionMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let counters = Mutex<[String: CoreMetrics.Counter]>([:])
    private let timers = Mutex<[String: Metrics.Timer]>([:])

    /// Creates the metrics with a registry of their own.
    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(15),
        ]
        self.factory = factory
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        let key = label + dimensions.map { "\u{0}\($0.0)=\($0.1)" }.joined()
        return counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = CoreMetrics.Counter(label: label, dimensions: dimensions, factory: factory)
            counters[key] = counter
            return counter
        }
    }

    /// Counts an answered request and records its latency.
    func request(endpoint: String, decision: String, reason: String, duration: Duration) {
        counter("verify_image_admission_requests_total", [("endpoint", endpoint), ("decision", decision), ("reason", reason)])
            .increment()
        let timer = timers.withLock { timers in
            if let timer = timers[endpoint] { return timer }
            let timer = Metrics.Timer(label: "verify_image_admission_request_duration_seconds",
                                      dimensions: [("endpoint", endpoint)], preferredDisplayUnit: .seconds, factory: factory)
            timers[endpoint] = timer
            return timer
        }
        timer.recordNanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Counts a cache lookup.
    func cache(_ outcome: CacheOutcome) {
        counter("verify_image_verdict_cache_total", [("result", outcome.rawValue)]).increment()
    }

    /// Counts a verification that ran, and a registry error when that is why it could not decide.
    func verification(_ decision: ImageDecision) {
        counter("verify_image_verifications_total", [("decision", decision.decision.rawValue)]).increment()
        if let reason = decision.reasons.first, reason.rawValue.hasPrefix("registry_") {
            counter("verify_image_registry_errors_total", [("reason", reason.rawValue)]).increment()
        }
    }

    /// Counts a reload of TLS material or policies.
    func reload(what: String, succeeded: Bool) {
        counter("verify_image_reloads_total", [("what", what), ("result", succeeded ? "ok" : "failed")]).increment()
    }

    /// The Prometheus text exposition.
    public func render() -> [UInt8] { registry.emitToBuffer() }
}
