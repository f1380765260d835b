/// What a gate decides about one subject (an image, a bundle) or about a whole run.
///
/// `indeterminate` means the verifier could not decide (registry unreachable, rate-limited, deadline): it is never
/// treated as `pass` unless the caller explicitly opts into failing open.
public enum Decision: String, Codable, Sendable, CaseIterable {
    /// The evidence satisfies the policy.
    case pass
    /// The evidence says no (or is missing where the policy requires it).
    case fail
    /// The verifier could not decide.
    case indeterminate

    /// Combines decisions of several subjects: any `fail` fails the run, otherwise any `indeterminate` makes it
    /// indeterminate, otherwise it passes. An empty list is `indeterminate` (nothing was decided).
    public static func combining<S: Sequence>(_ decisions: S) -> Decision where S.Element == Decision {
        var sawAny = false
        var sawIndeterminate = false
        for decision in decisions {
            sawAny = true
            switch decision {
            case .fail: return .fail
            case .indeterminate: sawIndeterminate = true
            case .pass: break
            }
        }
        return !sawAny || sawIndeterminate ? .indeterminate : .pass
    }
}

/// The process exit statuses of `verify-image`, shared by every subcommand.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Every subject passed.
    case pass = 0
    /// The evidence said no, or a scan found violations.
    case fail = 1
    /// Could not decide: registry unreachable, rate-limited, deadline exceeded.
    case indeterminate = 2
    /// Unusable flags or arguments.
    case usage = 64

    /// The exit status for a decision.
    public init(_ decision: Decision) {
        switch decision {
        case .pass: self = .pass
        case .fail: self = .fail
        case .indeterminate: self = .indeterminate
        }
    }
}
