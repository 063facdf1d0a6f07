/// When a failed delivery is tried again: after `first`, doubling up to `maximum`, each wait
/// drawn between half and all of it (jitter, so that many chargers do not retry in step); a
/// delivery not done within `maximumAge` of its alert is given up.
public struct RetryPolicy: Hashable, Sendable {
    public var first: Duration = .seconds(10)
    public var maximum: Duration = .seconds(3600)
    public var maximumAge: Duration = .seconds(86_400)

    public init() {}

    /// The wait after the `attempts`-th failed attempt (1 = the first); `unit` in 0..<1 picks the jitter.
    public func delay(afterAttempts attempts: Int, unit: Double) -> Duration {
        let exponent = min(max(attempts - 1, 0), 30)
        let base = min(first.seconds * Double(1 << exponent), maximum.seconds)
        return .milliseconds(Int64((base * (0.5 + 0.5 * min(max(unit, 0), 1))) * 1000))
    }
}
