/// The fault catalogue: one `FaultDescriptor` per `FaultCode`, with the figures of a configuration.
public struct FaultCatalogue: Sendable {
    private let entries: [FaultDescriptor]

    /// The catalogue with the thresholds and recovery figures of `configuration`.
    public init(configuration c: ChargerConfiguration = ChargerConfiguration()) {
        let band = c.voltageBand
        entries = [
            FaultDescriptor(
                code: .diodeMissing, title: "Vehicle diode missing",
                detection: "PWM low phase not within −13 … −11 V with a vehicle present, \(c.pilot.samplesToConfirmDiodeFault) samples in a row",
                reaction: .openContactorAndPulseF, recovery: .untilUnplugged, ocppErrorCode: "EVCommunicationError",
                ownerInstruction: "The charger detected a fault in your car's charging circuit. Unplug the cable and plug it in again; if this repeats, have the car checked.",
                technicianHint: "Pilot low phase not at −12 V: the vehicle's pilot diode is missing or shorted, or the cable's CP wire touches another conductor."
            ),
            FaultDescriptor(
                code: .pilotShorted, title: "Control pilot shorted (state E)",
                detection: "pilot high level in the E band (−1 … 2 V) for \(c.pilot.samplesToConfirm) samples",
                reaction: .openContactorAndPulseF, recovery: .untilUnplugged, ocppErrorCode: "EVCommunicationError",
                ownerInstruction: "The charging cable reports a short circuit. Unplug it, check the plug and cable for damage or water, and plug it in again. Do not use a damaged cable.",
                technicianHint: "CP reads about 0 V: CP shorted to PE in the cable, the plug or the vehicle inlet; check the CP resistor network on the board."
            ),
            FaultDescriptor(
                code: .pilotUnknown, title: "Control pilot level out of band",
                detection: "pilot high level between the accepted bands for more than \(c.pilot.unknownLevelTimeout.seconds * 1000) ms",
                reaction: .openContactor, recovery: .whenConditionClears(stableFor: .zero), ocppErrorCode: "EVCommunicationError",
                ownerInstruction: "The charger cannot read your car's charging signal. Check that the plug is fully inserted; charging continues by itself when the signal is clear.",
                technicianHint: "CP level between bands: a bad contact, a damaged cable, a vehicle outside the standard, or a drifting CP measurement (check the ADC reference)."
            ),
            FaultDescriptor(
                code: .residualCurrent, title: "Residual current detected",
                detection: "the residual-current monitor's fault output asserted (6 mA DC)",
                reaction: .openContactor,
                recovery: .retry(every: c.residualCurrentRetryInterval, maxAttempts: c.residualCurrentMaxRetries, thenLatch: .untilUnplugged),
                ocppErrorCode: "GroundFailure",
                ownerInstruction: "The charger detected a leakage current and stopped for safety. It will try again in a few minutes. If it stops again, unplug the car and have the car and cable checked.",
                technicianHint: "RCM output asserted: check the cable insulation, the vehicle's on-board charger, and the RDC-DD module's test input wiring."
            ),
            FaultDescriptor(
                code: .residualCurrentSelfTestFailed, title: "Residual-current monitor self-test failed",
                detection: "the RCM did not trip within \(c.residualCurrentSelfTestTimeout.seconds * 1000) ms of its test input before a contactor close",
                reaction: .openContactor,
                recovery: .retryOnNextPlugIn(latchAfter: c.residualCurrentSelfTestMaxFailures), ocppErrorCode: "GroundFailure",
                ownerInstruction: "The charger's safety self-test failed, so it will not charge. Unplug the car and plug it in again; if this repeats, contact the installer.",
                technicianHint: "RCM test input driven but the fault output never asserted: check the RDC-DD module, its supply and the test-input GPIO."
            ),
            FaultDescriptor(
                code: .contactorWelded, title: "Contactor welded",
                detection: "contactor feedback still closed \(c.contactorSettleTime.seconds * 1000) ms after it was commanded open",
                reaction: .openContactorAndHoldF, recovery: .untilTechnicianClears, ocppErrorCode: "PowerSwitchFailure",
                ownerInstruction: "The charger has a hardware fault and is out of service. Unplug the car with care and contact the installer; do not use this charger.",
                technicianHint: "Auxiliary contact reports closed while the coil is off: welded main contacts or a failed feedback circuit. Isolate the supply before inspecting."
            ),
            FaultDescriptor(
                code: .contactorFailedToClose, title: "Contactor did not close",
                detection: "contactor feedback still open \(c.contactorSettleTime.seconds * 1000) ms after it was commanded closed",
                reaction: .openContactor,
                recovery: .retry(every: c.contactorRetryInterval, maxAttempts: c.contactorMaxRetries, thenLatch: .untilTechnicianClears),
                ocppErrorCode: "PowerSwitchFailure",
                ownerInstruction: "The charger could not switch on the power. It will try again by itself; if it keeps failing, contact the installer.",
                technicianHint: "Coil driven, auxiliary contact stays open: check the coil supply and driver, the contactor, and the feedback wiring."
            ),
            FaultDescriptor(
                code: .overcurrent, title: "Vehicle draws too much current",
                detection: "a phase current above limit × \(1 + c.overcurrentRatio) + \(c.overcurrentMargin) for \(c.overcurrentTime.seconds) s (the previous limit applies for \(c.currentReductionGrace.seconds) s after a reduction)",
                reaction: .openContactor,
                recovery: .retry(every: c.overcurrentRetryInterval, maxAttempts: c.overcurrentMaxRetries, thenLatch: .untilUnplugged),
                ocppErrorCode: "OverCurrentFailure",
                ownerInstruction: "Your car drew more current than the charger allows, so charging was paused. It resumes by itself shortly; if this repeats, have the car checked.",
                technicianHint: "Vehicle ignores the PWM duty cycle: compare the meter's phase currents with the offered current; check the PWM duty measured at the CP."
            ),
            FaultDescriptor(
                code: .overvoltage, title: "Supply over-voltage",
                detection: "a phase voltage above \(band.upperBound) V for \(c.voltageFaultTime.seconds) s",
                reaction: .openContactor, recovery: .whenConditionClears(stableFor: c.voltageRecoveryTime), ocppErrorCode: "OverVoltage",
                ownerInstruction: "The mains voltage is too high, so charging is paused to protect your car. It resumes by itself when the supply is normal again.",
                technicianHint: "Meter reports high phase voltage: check the supply, a lost neutral, and the meter's voltage wiring."
            ),
            FaultDescriptor(
                code: .undervoltage, title: "Supply under-voltage",
                detection: "a phase voltage below \(band.lowerBound) V for \(c.voltageFaultTime.seconds) s",
                reaction: .openContactor, recovery: .whenConditionClears(stableFor: c.voltageRecoveryTime), ocppErrorCode: "UnderVoltage",
                ownerInstruction: "The mains voltage is too low, so charging is paused. It resumes by itself when the supply is normal again.",
                technicianHint: "Meter reports low phase voltage: check for a missing phase, loose terminals, an undersized supply cable, or a blown fuse."
            ),
            FaultDescriptor(
                code: .overtemperature, title: "Charger too hot",
                detection: "temperature at or above \(c.temperatureLimit); above \(c.temperatureDerateHalf) the current is halved and above \(c.temperatureDerateQuarter) quartered first",
                reaction: .openContactor,
                recovery: .whenConditionClears(stableFor: .zero), ocppErrorCode: "HighTemperature",
                ownerInstruction: "The charger got too hot and paused charging. It resumes by itself once it has cooled down.",
                technicianHint: "Socket or board temperature at the limit: check for loose terminals (hot spots), blocked ventilation, direct sun, and the sensor reading."
            ),
            FaultDescriptor(
                code: .meterLost, title: "Energy meter not answering",
                detection: "no good meter reading for \(c.meterLostTimeout.seconds) s while a session is open",
                reaction: .openContactor, recovery: .whenConditionClears(stableFor: .zero), ocppErrorCode: "PowerMeterFailure",
                ownerInstruction: "The charger cannot measure energy right now, so it paused charging rather than bill you wrongly. It resumes by itself when the meter answers again.",
                technicianHint: "No valid Modbus reply: check the RS-485 wiring (A/B, termination), the meter's address, baud rate and parity, and its supply."
            ),
            FaultDescriptor(
                code: .ventilationUnavailable, title: "Ventilation requested but not available",
                detection: "the vehicle asks for ventilation (state D) on a charger without ventilation",
                reaction: .openContactor, recovery: .whenConditionClears(stableFor: .zero), ocppErrorCode: "OtherError",
                ownerInstruction: "Your car asks for a ventilated charging place, which this charger does not have. Charge it at a suitable charger.",
                technicianHint: "Vehicle in state D: only charge it where ventilation is installed and enabled in the board file (charger.ventilation = true)."
            ),
            FaultDescriptor(
                code: .controlLoopOverrun, title: "Control loop missed its deadlines",
                detection: "\(c.overrunsForFault) control-loop ticks in a row ended past the next deadline",
                reaction: .openContactor, recovery: .whenConditionClears(stableFor: .zero), ocppErrorCode: "InternalError",
                ownerInstruction: "The charger had an internal problem and paused charging. It resumes by itself; if this repeats, contact the installer.",
                technicianHint: "Control loop late: check CPU load, real-time priority (systemd CPUSchedulingPolicy) and storage stalls; see the loop statistics on the console."
            ),
            FaultDescriptor(
                code: .hardwareIOError, title: "Hardware input/output error",
                detection: "a read or write of the pilot, contactor or RCM hardware failed",
                reaction: .openContactor, recovery: .whenConditionClears(stableFor: .zero), ocppErrorCode: "InternalError",
                ownerInstruction: "The charger had an internal problem and paused charging. It resumes by itself; if this repeats, contact the installer.",
                technicianHint: "A GPIO, PWM or ADC access failed: the log names the device and the error; check the board's connections and the board file."
            ),
            FaultDescriptor(
                code: .connectorLock, title: "Connector lock does not follow",
                detection: "the lock's feedback differs from its command \(c.connectorLockSettleTime.seconds) s after the command",
                reaction: .openContactor,
                recovery: .retry(every: c.connectorLockRetryInterval, maxAttempts: c.connectorLockMaxRetries, thenLatch: .untilTechnicianClears),
                ocppErrorCode: "ConnectorLockFailure",
                ownerInstruction: "The charger could not lock the plug in the socket, so it will not charge. Push the plug fully in; the charger tries again by itself.",
                technicianHint: "Lock actuator or its feedback switch: check the actuator's supply, the plug seating, and the feedback wiring."
            ),
            FaultDescriptor(
                code: .eventsLost, title: "Events lost before the books",
                detection: "the control loop's event queue was full: events did not reach the ledger",
                reaction: .openContactor, recovery: .whenConditionClears(stableFor: .zero), ocppErrorCode: "InternalError",
                ownerInstruction: "The charger had an internal problem and paused charging. It resumes by itself; if this repeats, contact the installer.",
                technicianHint: "The ledger, alerts or console fell behind the control loop (a stalled storage write?): the journal says how many events were lost; check the SD card and the system load."
            ),
            FaultDescriptor(
                code: .ledgerWriteFailed, title: "The ledger cannot be written",
                detection: "a write to the ledger failed (a full or failing storage card, a file made read-only, another program holding the database)",
                reaction: .openContactor, recovery: .untilTechnicianClears, ocppErrorCode: "InternalError",
                ownerInstruction: "The charger cannot record your session any more and stopped charging so that your bill stays right; what was recorded until now stands. Contact the charger's operator.",
                technicianHint: "The journal's ledger_error line says why (e.g. \"database or disk is full\"). Free space or replace the card, then restart evsed, which reads the ledger afresh. `clear ledger_write_failed` without a restart lets charging go on with books in memory that may hold what the ledger missed."
            ),
        ]
        precondition(entries.map(\.code) == FaultCode.allCases, "one catalogue entry per fault code, in code order")
    }

    /// Every entry, in code order.
    public var all: [FaultDescriptor] { entries }

    /// The entry of `code`.
    public subscript(code: FaultCode) -> FaultDescriptor { entries[code.number - 1] }
}

/// Equal when every entry is; the hash leaves the entries out (a catalogue follows from the
/// configuration beside it), so hashing a machine state costs no walk through the texts.
extension FaultCatalogue: Hashable {
    public static func == (lhs: FaultCatalogue, rhs: FaultCatalogue) -> Bool { lhs.entries == rhs.entries }
    public func hash(into hasher: inout Hasher) {}
}
