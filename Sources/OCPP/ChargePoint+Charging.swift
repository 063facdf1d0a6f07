import ChargerService
import EVSECore
import Ledger
import Sessions

/// What the charge point makes of the charging: the profiles' offer, the connector's status and
/// the meter values.
extension ChargePoint {
    /// The open session as a transaction, for the charging profiles.
    var currentTransaction: ChargingProfiles.Transaction? {
        guard let session = openSession, let start = openStartedAt else { return nil }
        // The transaction id, once the central system gave it, read from the ledger once per session.
        if openTransactionId?.session != session {
            openTransactionId = (session, (try? ledger.ocppTransaction(session: Int64(session.rawValue)))?.transactionId)
        }
        return ChargingProfiles.Transaction(id: openTransactionId?.id, start: start)
    }

    /// How soon the pipeline should poll again: a change of a charging profile's period reaches the
    /// control loop within 10 ms while profiles are installed (the loop's own tick); otherwise the
    /// pipeline's 50 ms do.
    public var pollInterval: Duration { profiles.installed.isEmpty ? .milliseconds(50) : .milliseconds(10) }

    func saveProfiles() {
        let rows = profiles.installed.map { entry in
            (id: Int64(entry.profile.chargingProfileId), connector: entry.connector, profile: JSONValue.encoding(entry.profile).text)
        }
        queue { () throws(LedgerError) in try ledger.replaceOCPPProfiles(rows) }
    }

    /// Gives the control loop the offer the profiles allow now, when it changed: the limit (at
    /// most the site's), a pause below the 6 A a PWM can offer, the site's own limit again when no
    /// profile limits it.
    func applyProfiles(at now: Instant) {
        guard !profiles.installed.isEmpty || appliedLimit != nil else { return }
        let base = baseLimit()
        var target = profiles.limit(at: wallTime(now), transaction: currentTransaction).map { (min($0, base) * 10).rounded(.down) / 10 }
        if target == base { target = nil }
        guard target != appliedLimit else { return }
        appliedLimit = target
        guard let amperes = target else {
            if pausedByProfile {
                pausedByProfile = false
                hooks.command(.resume)
            }
            hooks.command(.setCurrentLimit(Amperes(base)))
            hooks.log("ocpp: no charging profile limits the charger: \(fixed(base, 1)) A", false)
            return
        }
        if amperes < PWMDuty.minimumCurrent.value {
            if openSession != nil && !pausedByProfile {
                pausedByProfile = true
                hooks.command(.pause)
            }
            hooks.log("ocpp: a charging profile allows \(fixed(amperes, 1)) A, less than a PWM can offer: charging paused", false)
            return
        }
        if pausedByProfile {
            pausedByProfile = false
            hooks.command(.resume)
        }
        hooks.command(.setCurrentLimit(Amperes(amperes)))
        hooks.log("ocpp: a charging profile limits the charger to \(fixed(amperes, 1)) A", false)
    }

    func sendTriggered(_ message: String, at now: Instant) {
        switch message {
        case "BootNotification":
            sendBootNotification(at: now)
        case "MeterValues":
            let values = lastReading.map { sampledValues($0, measurands: configuration.list("MeterValuesSampledData"), context: "Trigger") } ?? []
            let request = OCPP16.MeterValuesRequest(connectorId: 1, transactionId: currentTransaction?.id,
                                                    meterValue: [OCPP16.MeterValue(timestamp: OCPPDateTime.text(wallTime(now)), sampledValue: values)])
            call("MeterValues", .encoding(request), purpose: .triggered, at: now)
        default:
            call("Heartbeat", .encoding(OCPP16.HeartbeatRequest()), purpose: .heartbeat, at: now)
        }
    }

    // MARK: Status and meter values

    /// Connector 0 is the charge point as a whole; connector 1 the socket or cable.
    public func connectorStatus(_ connector: Int) -> ConnectorStatus {
        guard let status = lastStatus else { return ConnectorStatus(status: "Unavailable", errorCode: "NoError") }
        if let fault = status.activeFaults.first ?? status.latchedFaults.first {
            let entry = catalogue[fault]
            return ConnectorStatus(status: "Faulted", errorCode: entry.ocppErrorCode, info: String(entry.title.prefix(50)),
                                   vendorErrorCode: fault.displayCode)
        }
        if !status.enabled { return ConnectorStatus(status: "Unavailable", errorCode: "NoError") }
        if connector == 0 { return ConnectorStatus(status: "Available", errorCode: "NoError") }
        let name: String
        switch status.pilotLevel {
        case .a:
            name = "Available"
        case .b, .c, .d:
            if openSession == nil {
                name = finishedWhilePlugged ? "Finishing" : "Preparing"
            } else if status.interruption != nil {
                name = "SuspendedEVSE"
            } else if status.contactorClosed && status.pilotLevel != .b {
                name = "Charging"
            } else if status.pilotLevel == .b && status.offeredCurrent > .zero {
                name = "SuspendedEV"
            } else {
                name = "SuspendedEVSE"
            }
        default:
            name = "Unavailable"
        }
        return ConnectorStatus(status: name, errorCode: "NoError")
    }

    /// Queues a MeterValues of the open transaction every `MeterValueSampleInterval` (context
    /// Sample.Periodic) and at each multiple of `ClockAlignedDataInterval` since midnight UTC
    /// (Sample.Clock, the measurands of `MeterValuesAlignedData`).
    func sampleMeter(at now: Instant) {
        guard let session = openSession else { return }
        if let due = nextSampleAt, now >= due {
            nextSampleAt = now + sampleInterval
            queueMeterValues(session, at: wallTime(now), measurands: configuration.list("MeterValuesSampledData"), context: "Sample.Periodic")
        }
        let aligned = configuration.integer("ClockAlignedDataInterval")
        guard aligned > 0 else { return }
        let wall = wallTime(now)
        guard let due = nextAlignedAt else {
            nextAlignedAt = Self.nextAlignedTime(after: wall, interval: aligned)
            return
        }
        if wall >= due {
            queueMeterValues(session, at: due, measurands: configuration.list("MeterValuesAlignedData"), context: "Sample.Clock")
            nextAlignedAt = Self.nextAlignedTime(after: wall, interval: aligned)
        }
    }

    /// The first time after `time` that is a whole number of `interval` seconds after a midnight (UTC).
    static func nextAlignedTime(after time: Timestamp, interval: Int) -> Timestamp {
        let day: Int64 = 86_400_000
        let step = Int64(interval) * 1000
        let midnight = time.milliseconds - ((time.milliseconds % day) + day) % day
        let next = midnight + ((time.milliseconds - midnight) / step + 1) * step
        return Timestamp(milliseconds: min(next, midnight + day))
    }

    func queueMeterValues(_ session: SessionID, at time: Timestamp, measurands: [String], context: String) {
        guard let reading = lastReading else { return }
        let values = sampledValues(reading, measurands: measurands, context: context)
        guard !values.isEmpty else { return }
        let request = OCPP16.MeterValuesRequest(connectorId: 1, transactionId: nil,
                                                meterValue: [OCPP16.MeterValue(timestamp: OCPPDateTime.text(time), sampledValue: values)])
        queue { () throws(LedgerError) in
            try enqueue(session: Int64(session.rawValue), action: "MeterValues", payload: JSONValue.encoding(request).text, at: time)
        }
    }

    /// A reading as OCPP's sampled values, for the measurands asked; a figure that is not finite is left out.
    func sampledValues(_ reading: MeterReading, measurands: [String], context: String) -> [OCPP16.SampledValue] {
        var values: [OCPP16.SampledValue] = []
        func add(_ value: Double, _ measurand: String, _ unit: String, phase: String? = nil, decimals: Int = 0) {
            guard value.isFinite else { return }
            values.append(OCPP16.SampledValue(value: fixed(value, decimals), context: context, format: "Raw", measurand: measurand, phase: phase,
                                              location: measurand == "Temperature" ? "Body" : "Outlet", unit: unit))
        }
        let phases = ["L1", "L2", "L3"]
        for measurand in measurands {
            switch measurand {
            case "Energy.Active.Import.Register":
                guard reading.importEnergy.value.isFinite else { continue }
                add(reading.importEnergy.value.rounded(), measurand, "Wh")
            case "Power.Active.Import":
                add(reading.power.value, measurand, "W")
            case "Current.Import":
                for (index, current) in reading.current.present.enumerated() { add(current.value, measurand, "A", phase: phases[index], decimals: 2) }
            case "Voltage":
                for (index, voltage) in reading.voltage.present.enumerated() { add(voltage.value, measurand, "V", phase: phases[index] + "-N", decimals: 1) }
            case "Temperature":
                if let temperature = lastTemperature { add(temperature.value, measurand, "Celsius", decimals: 1) }
            default:
                break
            }
        }
        return values
    }
}
