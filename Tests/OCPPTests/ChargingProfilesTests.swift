import Testing
@testable import OCPP
import Sessions

struct ChargingProfilesTests {
    typealias Profile = OCPP16.ChargingProfile

    static func profile(_ id: Int, _ purpose: Profile.Purpose, stack: Int, kind: Profile.Kind = .Absolute, start: Int64? = 0,
                        recurrency: Profile.Recurrency? = nil, duration: Int? = nil, unit: OCPP16.ChargingSchedule.Unit = .A,
                        periods: [(Int, Double, Int?)], validFrom: Int64? = nil, validTo: Int64? = nil, transaction: Int64? = nil) -> Profile {
        func text(_ ms: Int64?) -> String? { ms.map { OCPPDateTime.text(Timestamp(milliseconds: $0)) } }
        return Profile(chargingProfileId: id, transactionId: transaction, stackLevel: stack, chargingProfilePurpose: purpose, chargingProfileKind: kind,
                       recurrencyKind: recurrency, validFrom: text(validFrom), validTo: text(validTo),
                       chargingSchedule: .init(duration: duration, startSchedule: text(start), chargingRateUnit: unit,
                                               chargingSchedulePeriod: periods.map { .init(startPeriod: $0.0, limit: $0.1, numberPhases: $0.2) },
                                               minChargingRate: nil))
    }

    @Test func theTransactionsProfileWinsTheDefaultAndTheChargePointsMaximumCapsBoth() throws {
        var profiles = ChargingProfiles(nominalVoltage: 230)
        let transaction = ChargingProfiles.Transaction(id: 7, start: Timestamp(milliseconds: 1_000_000))
        try profiles.install(Self.profile(1, .TxDefaultProfile, stack: 0, kind: .Relative, start: nil, periods: [(0, 16, nil), (600, 8, nil)]),
                             connector: 0, transaction: nil)
        #expect(profiles.limit(at: Timestamp(milliseconds: 1_000_000), transaction: nil) == nil, "no transaction, no default")
        #expect(profiles.limit(at: Timestamp(milliseconds: 1_000_000 + 599_999), transaction: transaction) == 16)
        #expect(profiles.limit(at: Timestamp(milliseconds: 1_000_000 + 600_000), transaction: transaction) == 8)
        try profiles.install(Self.profile(2, .TxProfile, stack: 0, kind: .Relative, start: nil, unit: .W, periods: [(0, 11_040, 3)], transaction: 7),
                             connector: 1, transaction: transaction)
        #expect(profiles.limit(at: Timestamp(milliseconds: 1_000_000 + 700_000), transaction: transaction) == 16.0, "11,040 W over 3 phases at 230 V")
        try profiles.install(Self.profile(3, .ChargePointMaxProfile, stack: 0, periods: [(0, 10, nil)]), connector: 0, transaction: nil)
        #expect(profiles.limit(at: Timestamp(milliseconds: 1_000_000 + 700_000), transaction: transaction) == 10)
        profiles.transactionEnded()
        #expect(profiles.installed.map(\.profile.chargingProfileId) == [1, 3])
        #expect(throws: ChargingProfiles.Refusal.self) {
            try profiles.install(Self.profile(4, .TxProfile, stack: 0, periods: [(0, 6, nil)]), connector: 1, transaction: nil)
        }
        #expect(throws: ChargingProfiles.Refusal.self) {
            try profiles.install(Self.profile(4, .ChargePointMaxProfile, stack: 0, periods: [(0, 6, nil)]), connector: 1, transaction: nil)
        }
        #expect(throws: ChargingProfiles.Refusal.self) {
            try profiles.install(Self.profile(4, .TxDefaultProfile, stack: 0, periods: [(5, 6, nil)]), connector: 1, transaction: nil)
        }
        let cleared = profiles.clear(.init(id: nil, connectorId: nil, chargingProfilePurpose: .ChargePointMaxProfile, stackLevel: nil))
        let none = profiles.clear(.init(id: 99, connectorId: nil, chargingProfilePurpose: nil, stackLevel: nil))
        #expect(cleared && !none && profiles.installed.map(\.profile.chargingProfileId) == [1])
    }

    /// The plain reading of OCPP 1.6 §3.13, written apart from the implementation: each profile's
    /// schedule found by walking its recurrences, its period by scanning, the purposes stacked.
    static func reference(_ installed: [ChargingProfiles.Installed], at t: Int64, transaction: ChargingProfiles.Transaction?) -> Double? {
        func ms(_ text: String?) -> Int64? { text.flatMap(OCPPDateTime.parse)?.milliseconds }
        func value(_ profile: Profile) -> Double? {
            if let from = ms(profile.validFrom), t < from { return nil }
            if let to = ms(profile.validTo), t >= to { return nil }
            var start: Int64
            switch profile.chargingProfileKind {
            case .Absolute: start = ms(profile.chargingSchedule.startSchedule)!
            case .Relative:
                guard let transaction else { return nil }
                start = transaction.start.milliseconds
            case .Recurring:
                start = ms(profile.chargingSchedule.startSchedule)!
                if t < start { return nil }
                let cycle: Int64 = profile.recurrencyKind == .Daily ? 86_400_000 : 604_800_000
                while start + cycle <= t { start += cycle }
            }
            if t < start { return nil }
            let elapsed = Int((t - start) / 1000)
            if let duration = profile.chargingSchedule.duration, elapsed >= duration { return nil }
            var chosen: OCPP16.ChargingSchedulePeriod?
            for period in profile.chargingSchedule.chargingSchedulePeriod where period.startPeriod <= elapsed { chosen = period }
            guard let chosen else { return nil }
            return profile.chargingSchedule.chargingRateUnit == .A ? chosen.limit : chosen.limit / 230 / Double(chosen.numberPhases ?? 3)
        }
        func best(_ purpose: Profile.Purpose, _ connector: Int) -> Double? {
            var level = -1
            var result: Double?
            for entry in installed where entry.connector == connector && entry.profile.chargingProfilePurpose == purpose {
                if purpose == .TxProfile, let id = entry.profile.transactionId, id != transaction?.id { continue }
                if let limit = value(entry.profile), entry.profile.stackLevel > level {
                    level = entry.profile.stackLevel
                    result = limit
                }
            }
            return result
        }
        let maximum = best(.ChargePointMaxProfile, 0)
        var tx: Double?
        if transaction != nil { tx = best(.TxProfile, 1) ?? best(.TxDefaultProfile, 1) ?? best(.TxDefaultProfile, 0) }
        switch (maximum, tx) {
        case (nil, nil): return nil
        case (let m?, nil): return m
        case (nil, let x?): return x
        case (let m?, let x?): return min(m, x)
        }
    }

    static let base: Int64 = 1_800_000_000_000

    /// Up to six random profiles, installed as a central system would (those refused are left out),
    /// and a transaction or none.
    static func generated(_ generator: inout SystemRandomNumberGenerator) -> (ChargingProfiles, ChargingProfiles.Transaction?) {
        var profiles = ChargingProfiles(nominalVoltage: 230)
        let transaction = Bool.random(using: &generator)
            ? ChargingProfiles.Transaction(id: Int64.random(in: 1...3, using: &generator), start: Timestamp(milliseconds: base + Int64.random(in: 0...7_200_000, using: &generator)))
            : nil
        for id in 1...Int.random(in: 1...6, using: &generator) {
            let purpose = [Profile.Purpose.ChargePointMaxProfile, .TxDefaultProfile, .TxProfile].randomElement(using: &generator)!
            let kind = [Profile.Kind.Absolute, .Relative, .Recurring].randomElement(using: &generator)!
            var offsets = Set<Int>([0])
            for _ in 0..<Int.random(in: 0...4, using: &generator) { offsets.insert(Int.random(in: 1...7200, using: &generator)) }
            let periods = offsets.sorted().map { ($0, Double(Int.random(in: 0...640, using: &generator)) / 10, Bool.random(using: &generator) ? Int.random(in: 1...3, using: &generator) : nil) }
            let from = Bool.random(using: &generator) ? base + Int64.random(in: 0...3_600_000, using: &generator) : nil
            let profile = Self.profile(id, purpose, stack: Int.random(in: 0...3, using: &generator), kind: kind,
                                       start: base - Int64.random(in: 0...3 * 86_400_000, using: &generator),
                                       recurrency: kind == .Recurring ? [.Daily, .Weekly].randomElement(using: &generator) : nil,
                                       duration: Bool.random(using: &generator) ? Int.random(in: 60...10_000, using: &generator) : nil,
                                       unit: Bool.random(using: &generator) ? .A : .W, periods: periods,
                                       validFrom: from, validTo: from.map { $0 + Int64.random(in: 1...7_200_000, using: &generator) },
                                       transaction: Bool.random(using: &generator) ? transaction?.id : nil)
            let connector = purpose == .ChargePointMaxProfile ? 0 : purpose == .TxProfile ? 1 : Int.random(in: 0...1, using: &generator)
            try? profiles.install(profile, connector: connector, transaction: transaction)
        }
        return (profiles, transaction)
    }

    @Test func theLimitIsTheSpecificationsOverThousandsOfGeneratedProfiles() throws {
        var generator = SystemRandomNumberGenerator()
        var compared = 0
        for _ in 0..<300 {
            let (profiles, transaction) = Self.generated(&generator)
            for _ in 0..<20 {
                let t = Self.base + Int64.random(in: -3_600_000...10_800_000, using: &generator)
                let expected = Self.reference(profiles.installed, at: t, transaction: transaction)
                let limit = profiles.limit(at: Timestamp(milliseconds: t), transaction: transaction)
                // Watts become amperes in a different order of division: equal to a part in 10^12.
                let same = limit == expected || (limit != nil && expected != nil && abs(limit! - expected!) <= 1e-12 * max(1, abs(expected!)))
                #expect(same, "at \(t): \(String(describing: limit)) against \(String(describing: expected)): \(profiles.installed)")
                compared += 1
            }
        }
        #expect(compared == 6000)
    }

    /// The composite schedule, found from the seconds where something may change, against the
    /// plain way: the limit read every second of the window and a period begun at each change.
    @Test func theCompositeIsTheLimitReadEverySecond() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let (profiles, transaction) = Self.generated(&generator)
            let start = Timestamp(milliseconds: Self.base + Int64.random(in: -3_600_000...7_200_000, using: &generator) / 7 * 7)
            let duration = Int.random(in: 1...14_400, using: &generator)
            var expected: [(Int, Double)] = []
            var last: Double?? = .none
            var any = false
            for second in 0..<duration {
                let amperes = profiles.limit(at: Timestamp(milliseconds: start.milliseconds + Int64(second) * 1000), transaction: transaction)
                if amperes != nil { any = true }
                if case .some(let previous) = last, previous == amperes { continue }
                last = .some(amperes)
                expected.append((second, (min(amperes ?? 32, 32) * 10).rounded() / 10))
            }
            let composite = profiles.composite(from: start, duration: duration, unit: .A, transaction: transaction, unlimited: 32)
            #expect((composite == nil) == !any)
            let periods = composite?.chargingSchedulePeriod.map { ($0.startPeriod, $0.limit) } ?? []
            #expect(any ? periods.map(\.0) == expected.map(\.0) && periods.map(\.1) == expected.map(\.1) : periods.isEmpty,
                    "from \(start.milliseconds) for \(duration) s: \(periods) against \(expected)\n\(profiles.installed)")
        }
    }

    @Test func theCompositeScheduleHasOnePeriodPerChange() throws {
        var profiles = ChargingProfiles(nominalVoltage: 230)
        try profiles.install(Self.profile(1, .ChargePointMaxProfile, stack: 0, start: 10_000, periods: [(0, 20, nil), (60, 10, nil)]),
                             connector: 0, transaction: nil)
        let schedule = try #require(profiles.composite(from: Timestamp(milliseconds: 0), duration: 120, unit: .A, transaction: nil, unlimited: 32))
        #expect(schedule.chargingSchedulePeriod.map(\.startPeriod) == [0, 10, 70])
        #expect(schedule.chargingSchedulePeriod.map(\.limit) == [32, 20, 10])
        let watts = try #require(profiles.composite(from: Timestamp(milliseconds: 10_000), duration: 10, unit: .W, transaction: nil, unlimited: 32))
        #expect(watts.chargingSchedulePeriod.map(\.limit) == [13_800])
        #expect(ChargingProfiles(nominalVoltage: 230).composite(from: Timestamp(milliseconds: 0), duration: 60, unit: .A, transaction: nil, unlimited: 32) == nil)
    }
}
