import Foundation

extension TrustedRoot {
    /// The exact bytes of the production trusted root built in (for records such as evidence packages that keep
    /// the roots a decision used).
    public static var productionJSON: Data { Data(EmbeddedTrustedRoots.production) }
}
