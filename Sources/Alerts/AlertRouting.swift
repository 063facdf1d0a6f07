import Ledger
import Sessions

/// Which of an owner's channels an alert goes to, and when: one delivery per channel the owner
/// wants it on. During the owner's quiet hours only problems go out; the bill of a session that
/// ended then waits for the quiet hours' end, other news is recorded as skipped.
public enum AlertRouting {
    public static func deliveries(for alert: Alert, configuration: AlertConfiguration) -> [NewDelivery] {
        guard let owner = configuration.owner(named: alert.owner) else { return [] }
        var quietUntil: Timestamp?
        if let quiet = owner.quietHours, !alert.kind.isProblem {
            let second = alert.at.local.secondOfDay
            if quiet.contains(secondOfDay: second) {
                var wait = quiet.end - second
                if wait <= 0 { wait += 86_400 }
                quietUntil = Timestamp(milliseconds: alert.at.milliseconds + Int64(wait) * 1000)
            }
        }
        return ChannelKind.allCases.compactMap { channel in
            guard owner.wants(alert.kind, on: channel), configuration.hasChannel(channel), let address = owner.address(channel) else { return nil }
            if let quietUntil {
                return alert.kind == .ended
                    ? NewDelivery(channel: channel.rawValue, address: address, notBefore: quietUntil)
                    : NewDelivery(channel: channel.rawValue, address: address, notBefore: alert.at, skipped: "quiet hours")
            }
            return NewDelivery(channel: channel.rawValue, address: address, notBefore: alert.at)
        }
    }
}
