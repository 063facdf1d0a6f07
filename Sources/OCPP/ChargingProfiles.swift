import Sessions

extension OCPP16 {
    /// A charging profile (OCPP 1.6 §7.8): a schedule of limits for a purpose, at a stack level.
    public struct ChargingProfile: Codable, Equatable, Sendable {
        public enum Purpose: String, Codable, Sendable { case ChargePointMaxProfile, TxDefaultProfile, TxProfile }
        public enum Kind: String, Codable, Sendable { case Absolute, Recurring, Relative }
        public enum Recurrency: String, Codable, Sendable { case Daily, Weekly }

        public var chargingProfileId: Int
        public var transactionId: Int64?
        public var stackLevel: Int
        public var chargingProfilePurpose: Purpose
        public var chargingProfileKind: Kind
        public var recurrencyKind: Recurrency?
        public var validFrom: String?
        public var validTo: String?
        public var chargingSchedule: ChargingSchedule
    }

    public struct ChargingSchedule: Codable, Equatable, Sendable {
        public enum Unit: String, Codable, Sendable { case A, W }
        /// Seconds; nil: the last period lasts until the profile ends.
        public var duration: Int?
        public var startSchedule: String?
        public var chargingRateUnit: Unit
        public var chargingSchedulePeriod: [ChargingSchedulePeriod]
        public var minChargingRate: Double?
    }

    public struct ChargingSchedulePeriod: Codable, Equatable, Sendable {
        /// Seconds from the schedule's start.
        public var startPeriod: Int
        public var limit: Double
        public var numberPhases: Int?
    }

    public struct SetChargingProfileRequest: Codable, Equatable, Sendable {
        public var connectorId: Int
        public var csChargingProfiles: ChargingProfile
    }

    public struct ClearChargingProfileRequest: Codable, Equatable, Sendable {
        public var id: Int?
        public var connectorId: Int?
        public var chargingProfilePurpose: ChargingProfile.Purpose?
        public var stackLevel: Int?
    }

    public struct GetCompositeScheduleRequest: Codable, Equatable, Sendable {
        public var connectorId: Int
        public var duration: Int
        public var chargingRateUnit: ChargingSchedule.Unit?
    }

    public struct GetCompositeScheduleResponse: Codable, Equatable, Sendable {
        public var status: String
        public var connectorId: Int?
        public var scheduleStart: String?
        public var chargingSchedule: ChargingSchedule?
    }
}

/// The charging profiles a central system installed, and the limit they make at an instant
/// (OCPP 1.6 §3.13): per purpose the valid profile of the highest stack level applies; a TxProfile
/// replaces the TxDefaultProfile during its transaction, one on the connector replaces one on
/// connector 0; the ChargePointMaxProfile caps the result. Limits in watts are amperes at the
/// nominal voltage over the period's phases (3 unless it says). Pure: time is a parameter.
public struct ChargingProfiles: Sendable, Equatable {
    public struct Installed: Sendable, Equatable {
        public let connector: Int
        public let profile: OCPP16.ChargingProfile
        /// Its dates in milliseconds, read once (a composite schedule asks for them by the thousand).
        let validFrom: Int64?
        let validTo: Int64?
        let startSchedule: Int64?

        public init(connector: Int, profile: OCPP16.ChargingProfile) {
            self.connector = connector
            self.profile = profile
            validFrom = profile.validFrom.flatMap(OCPPDateTime.parse)?.milliseconds
            validTo = profile.validTo.flatMap(OCPPDateTime.parse)?.milliseconds
            startSchedule = profile.chargingSchedule.startSchedule.flatMap(OCPPDateTime.parse)?.milliseconds
        }
    }

    /// What a transaction is to the profiles: its id and when it started.
    public struct Transaction: Sendable, Equatable {
        public var id: Int64?
        public var start: Timestamp

        public init(id: Int64?, start: Timestamp) {
            self.id = id
            self.start = start
        }
    }

    public private(set) var installed: [Installed] = []
    public let nominalVoltage: Double

    public init(nominalVoltage: Double, installed: [Installed] = []) {
        self.nominalVoltage = nominalVoltage
        self.installed = installed
    }

    /// Why a profile is refused (SetChargingProfile's Rejected).
    public enum Refusal: Error, Equatable, Sendable {
        case invalid(String)
    }

    /// Installs `profile` on `connector` (0: the whole charge point): one with the same id, or the
    /// same purpose and stack level on the same connector, is replaced.
    public mutating func install(_ profile: OCPP16.ChargingProfile, connector: Int, transaction: Transaction?) throws(Refusal) {
        let schedule = profile.chargingSchedule
        guard connector == 0 || connector == 1 else { throw .invalid("connector \(connector) does not exist") }
        guard profile.stackLevel >= 0 else { throw .invalid("stackLevel below 0") }
        guard let first = schedule.chargingSchedulePeriod.first, first.startPeriod == 0 else {
            throw .invalid("the first period must start at 0")
        }
        for (earlier, later) in zip(schedule.chargingSchedulePeriod, schedule.chargingSchedulePeriod.dropFirst()) where later.startPeriod <= earlier.startPeriod {
            throw .invalid("periods must start in increasing order")
        }
        // Numbers from outside, kept where arithmetic on instants cannot overflow: ten years.
        let longest = 315_360_000
        for period in schedule.chargingSchedulePeriod {
            guard period.startPeriod <= longest else { throw .invalid("a period starts more than ten years after its schedule") }
            guard period.limit.isFinite, period.limit >= 0, period.limit <= 1_000_000 else { throw .invalid("a limit must be a number from 0") }
            if let phases = period.numberPhases, !(1...3).contains(phases) { throw .invalid("numberPhases is 1, 2 or 3") }
        }
        if let duration = schedule.duration, !(1...longest).contains(duration) { throw .invalid("duration must be 1 s to ten years") }
        for text in [profile.validFrom, profile.validTo, schedule.startSchedule].compactMap({ $0 }) where OCPPDateTime.parse(text) == nil {
            throw .invalid("'\(text)' is not a date and time")
        }
        switch profile.chargingProfileKind {
        case .Absolute:
            guard schedule.startSchedule != nil else { throw .invalid("an Absolute schedule needs its startSchedule") }
        case .Recurring:
            guard schedule.startSchedule != nil, profile.recurrencyKind != nil else {
                throw .invalid("a Recurring schedule needs its startSchedule and recurrencyKind")
            }
        case .Relative:
            break
        }
        switch profile.chargingProfilePurpose {
        case .ChargePointMaxProfile:
            guard connector == 0 else { throw .invalid("a ChargePointMaxProfile belongs to connector 0") }
            // It limits the charge point whether a transaction runs or not: nothing to be relative to.
            guard profile.chargingProfileKind != .Relative else { throw .invalid("a ChargePointMaxProfile is Absolute or Recurring") }
        case .TxDefaultProfile:
            break
        case .TxProfile:
            guard connector == 1, let transaction else { throw .invalid("a TxProfile needs a transaction on connector 1") }
            if let id = profile.transactionId, id != transaction.id { throw .invalid("transaction \(id) is not the one running") }
        }
        installed.removeAll {
            $0.profile.chargingProfileId == profile.chargingProfileId
                || ($0.connector == connector && $0.profile.chargingProfilePurpose == profile.chargingProfilePurpose
                    && $0.profile.stackLevel == profile.stackLevel)
        }
        installed.append(Installed(connector: connector, profile: profile))
    }

    /// Removes the profiles that match every criterion given; returns whether any was.
    public mutating func clear(_ request: OCPP16.ClearChargingProfileRequest) -> Bool {
        let before = installed.count
        installed.removeAll { entry in
            if let id = request.id { return entry.profile.chargingProfileId == id }
            if let connector = request.connectorId, entry.connector != connector { return false }
            if let purpose = request.chargingProfilePurpose, entry.profile.chargingProfilePurpose != purpose { return false }
            if let level = request.stackLevel, entry.profile.stackLevel != level { return false }
            return true
        }
        return installed.count != before
    }

    /// A transaction ended: its TxProfiles go (OCPP 1.6 §3.13.3).
    public mutating func transactionEnded() {
        installed.removeAll { $0.profile.chargingProfilePurpose == .TxProfile }
    }

    /// The limit in amperes per phase on connector 1 at `time`, or nil when no profile limits it.
    public func limit(at time: Timestamp, transaction: Transaction?) -> Double? {
        var result: Double?
        func cap(_ amperes: Double?) {
            guard let amperes else { return }
            result = min(result ?? .infinity, amperes)
        }
        cap(top(.ChargePointMaxProfile, connectors: [0], at: time, transaction: transaction))
        if let transaction {
            let tx = top(.TxProfile, connectors: [1], at: time, transaction: transaction)
                ?? top(.TxDefaultProfile, connectors: [1], at: time, transaction: transaction)
                ?? top(.TxDefaultProfile, connectors: [0], at: time, transaction: transaction)
            cap(tx)
        }
        return result
    }

    /// The limit of the applicable profile of `purpose` with the highest stack level on the first
    /// of `connectors` that has one, in amperes.
    private func top(_ purpose: OCPP16.ChargingProfile.Purpose, connectors: [Int], at time: Timestamp, transaction: Transaction?) -> Double? {
        for connector in connectors {
            let candidates = installed.filter { $0.connector == connector && $0.profile.chargingProfilePurpose == purpose }
                .sorted { $0.profile.stackLevel > $1.profile.stackLevel }
            for entry in candidates {
                if purpose == .TxProfile, let id = entry.profile.transactionId, id != transaction?.id { continue }
                if let amperes = Self.limit(of: entry, at: time, transactionStart: transaction?.start, voltage: nominalVoltage) {
                    return amperes
                }
            }
        }
        return nil
    }

    /// One profile's limit at `time` in amperes, or nil when it does not apply then.
    static func limit(of entry: Installed, at time: Timestamp, transactionStart: Timestamp?, voltage: Double) -> Double? {
        let t = time.milliseconds
        let profile = entry.profile
        if let from = entry.validFrom, t < from { return nil }
        if let to = entry.validTo, t >= to { return nil }
        let schedule = profile.chargingSchedule
        var start: Int64
        switch profile.chargingProfileKind {
        case .Absolute:
            guard let begin = entry.startSchedule else { return nil }
            start = begin
        case .Relative:
            guard let begin = transactionStart else { return nil }
            start = begin.milliseconds
        case .Recurring:
            guard let begin = entry.startSchedule, t >= begin else { return nil }
            let cycle: Int64 = profile.recurrencyKind == .Weekly ? 7 * 86_400_000 : 86_400_000
            start = begin + (t - begin) / cycle * cycle
        }
        guard t >= start else { return nil }
        let offset = (t - start) / 1000
        if let duration = schedule.duration, offset >= Int64(duration) { return nil }
        guard let period = schedule.chargingSchedulePeriod.last(where: { Int64($0.startPeriod) <= offset }) else { return nil }
        switch schedule.chargingRateUnit {
        case .A: return period.limit
        case .W: return period.limit / (voltage * Double(period.numberPhases ?? 3))
        }
    }

    /// The composite schedule of connector 1 from `start` for `duration` seconds, one period per
    /// change, in `unit` (watts at the nominal voltage and 3 phases); where no profile limits it,
    /// `unlimited` amperes (the charger's own maximum). Nil when nothing limits it at all.
    ///
    /// The limit is read each whole second from `start`; it can change only at a second where some
    /// profile's validity, schedule, period or duration begins or ends, so only those seconds are
    /// evaluated (a 48 h schedule of 8 profiles is a few hundred evaluations, not 172,800).
    public func composite(from start: Timestamp, duration: Int, unit: OCPP16.ChargingSchedule.Unit, transaction: Transaction?,
                          unlimited: Double) -> OCPP16.ChargingSchedule? {
        var periods: [OCPP16.ChargingSchedulePeriod] = []
        var any = false
        var last: Double?? = .none
        for second in changeSeconds(from: start, duration: duration, transaction: transaction) {
            let amperes = limit(at: Timestamp(milliseconds: start.milliseconds + Int64(second) * 1000), transaction: transaction)
            if amperes != nil { any = true }
            if case .some(let previous) = last, previous == amperes { continue }
            last = .some(amperes)
            let value = min(amperes ?? unlimited, unlimited)
            let limit = unit == .A ? value : value * nominalVoltage * 3
            periods.append(OCPP16.ChargingSchedulePeriod(startPeriod: second, limit: (limit * 10).rounded() / 10, numberPhases: nil))
        }
        guard any else { return nil }
        return OCPP16.ChargingSchedule(duration: duration, startSchedule: OCPPDateTime.text(start), chargingRateUnit: unit,
                                       chargingSchedulePeriod: periods, minChargingRate: nil)
    }

    /// The seconds after `start`, within `duration`, at which the limit may change: 0, and the
    /// first whole second at or after each instant where a profile's validity, a schedule (each
    /// recurrence of a recurring one), one of its periods or its duration begins or ends.
    func changeSeconds(from start: Timestamp, duration: Int, transaction: Transaction?) -> [Int] {
        let origin = start.milliseconds
        let end = origin + Int64(max(0, duration)) * 1000
        var seconds: Set<Int> = duration > 0 ? [0] : []
        func mark(_ instant: Int64) {
            guard instant > origin, instant < end else { return }
            // The first sample at or after the instant, if the window still has one.
            let second = Int((instant - origin + 999) / 1000)
            if second < duration { seconds.insert(second) }
        }
        for entry in installed {
            entry.validFrom.map(mark)
            entry.validTo.map(mark)
            let schedule = entry.profile.chargingSchedule
            var starts: [Int64] = []
            switch entry.profile.chargingProfileKind {
            case .Absolute:
                starts = entry.startSchedule.map { [$0] } ?? []
            case .Relative:
                starts = transaction.map { [$0.start.milliseconds] } ?? []
            case .Recurring:
                guard let begin = entry.startSchedule else { break }
                let cycle: Int64 = entry.profile.recurrencyKind == .Weekly ? 7 * 86_400_000 : 86_400_000
                var recurrence = begin + max(0, (origin - begin) / cycle - 1) * cycle
                while recurrence < end {
                    starts.append(recurrence)
                    recurrence += cycle
                }
            }
            for scheduleStart in starts {
                mark(scheduleStart)
                for period in schedule.chargingSchedulePeriod { mark(scheduleStart + Int64(period.startPeriod) * 1000) }
                if let length = schedule.duration { mark(scheduleStart + Int64(length) * 1000) }
            }
        }
        return seconds.sorted()
    }
}
