/// `value` with exactly `decimals` decimals ("11.04", "764"): the one number format of evsed's
/// human-readable output.
public func fixed(_ value: Double, _ decimals: Int) -> String {
    // Beyond 10¹⁵ (no measurement of evsed's) the digits would not fit an Int: Swift's own form.
    guard value.isFinite, abs(value) < 1e15, (0...9).contains(decimals) else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    let fraction = Int(scaled) - whole * Int(scale)
    let sign = value < 0 && scaled != 0 ? "-" : ""
    guard decimals > 0 else { return sign + String(whole) }
    let digits = String(fraction)
    return sign + String(whole) + "." + String(repeating: "0", count: decimals - digits.count) + digits
}
