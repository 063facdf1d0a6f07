/// One control-loop step: read the inputs, feed the state machine, perform its actions.
///
/// The thread (or the simulation) that owns the controller calls `tick(at:)` at every period.
/// Nothing here allocates in steady state, touches the disk or waits on the meter: the meter and
/// temperature arrive through mailboxes, commands through a queue, and events leave through a sink.
///
/// Confined to the thread that ticks it (hence `@unchecked Sendable`, to hand it to that thread):
/// other threads use only its mailboxes and queues, and read `status`.
public final class ChargerController: @unchecked Sendable {
    public private(set) var machine: ChargerStateMachine
    public let devices: ChargerDevices
    public let meterReadings: Mailbox<MeterReading>
    public let temperatures: Mailbox<Celsius>
    public let commands: BoundedQueue<ChargerCommand>
    public let events: any ControllerEventSink
    /// The machine's state after the latest tick, for other threads.
    public let status = Mailbox<ChargerStatus>()
    /// The outcome of the latest command taken from `commands`: nil when the machine accepted it,
    /// the refusal otherwise. A console that queued a command waits for the letter after its own.
    public let commandOutcomes = Mailbox<CommandOutcome>()

    private var timers = TimerQueue()
    private var meterSequence: UInt64 = 0
    private var temperatureSequence: UInt64 = 0
    private var lastFeedback: Bool?
    private var lastTripped = false
    private var lastCableRating: Amperes??
    private var lastLockFeedback: Bool?
    private var hardwareHealthy = true
    private var tickHadHardwareError = false
    /// Events that did not fit the sink since it last took one: reported (and the machine told)
    /// as soon as there is room again.
    private var lostEvents = 0
    /// Whether events may take the sink's places kept for the `events_lost` fault.
    private var publishingReserved = false

    public init(
        machine: ChargerStateMachine, devices: ChargerDevices, meterReadings: Mailbox<MeterReading>,
        temperatures: Mailbox<Celsius>, commands: BoundedQueue<ChargerCommand>, events: any ControllerEventSink
    ) {
        self.machine = machine
        self.devices = devices
        self.meterReadings = meterReadings
        self.temperatures = temperatures
        self.commands = commands
        self.events = events
    }

    /// Drives the outputs to the safe state the machine starts in: contactor open, pilot in state F,
    /// RCM test input off. Call once before the first tick; returns false when a device failed (the
    /// error is published). The charger becomes available with the `.ready` command.
    @discardableResult
    public func driveSafeOutputs(at now: Instant) -> Bool {
        tickHadHardwareError = false
        runHardware(now) { () throws(HardwareError) in try devices.contactor.command(closed: false) }
        runHardware(now) { () throws(HardwareError) in try devices.pilotSignal.apply(machine.pilotOutput) }
        runHardware(now) { () throws(HardwareError) in try devices.residualCurrentMonitor.setSelfTest(false) }
        let safe = !tickHadHardwareError
        tickHadHardwareError = false
        return safe
    }

    /// One control-loop step at `now`.
    public func tick(at now: Instant) {
        // First, before this step adds any: the count of what the sink could not take.
        reportLostEvents(at: now)
        tickHadHardwareError = false
        // The residual-current monitor first: a GPIO read, while the pilot's sample can take
        // milliseconds (two ADC conversions over I2C); a trip opens the contactor before it.
        if let tripped = readHardware(now, { () throws(HardwareError) in try devices.residualCurrentMonitor.isTripped() }),
            tripped != lastTripped
        {
            lastTripped = tripped
            perform(machine.residualCurrentMonitorChanged(tripped: tripped, at: now), at: now)
        }
        while let due = timers.popDue(at: now) {
            perform(machine.timerFired(due.timer, at: now), at: now)
        }
        while let command = commands.pop() {
            do throws(CommandRejection) {
                perform(try machine.handle(command, at: now), at: now)
                commandOutcomes.post(CommandOutcome(command: command, refusal: nil), at: now)
            } catch {
                publish(TimedEvent(at: now, event: .commandRejected(command, error)))
                commandOutcomes.post(CommandOutcome(command: command, refusal: error), at: now)
            }
        }
        if let sample = readHardware(now, { () throws(HardwareError) in try devices.pilotSensor.sample() }) {
            perform(machine.pilotSampled(sample, at: now), at: now)
        }
        if let feedback = readHardware(now, { () throws(HardwareError) in try devices.contactor.feedback() }),
            let closed = feedback, closed != lastFeedback
        {
            lastFeedback = closed
            perform(machine.contactorFeedbackChanged(closed: closed, at: now), at: now)
        }
        if let lock = devices.connectorLock,
            let locked = readHardware(now, { () throws(HardwareError) in try lock.feedback() }), locked != lastLockFeedback
        {
            lastLockFeedback = locked
            perform(machine.connectorLockFeedbackChanged(locked: locked, at: now), at: now)
        }
        if let proximity = devices.proximityPilot,
            let rating = readHardware(now, { () throws(HardwareError) in try proximity.cableRating() }),
            lastCableRating == nil || lastCableRating! != rating
        {
            lastCableRating = .some(rating)
            perform(machine.cableRatingMeasured(rating, at: now), at: now)
        }
        // A reading is posted with the instant its request started, which the machine needs (was it
        // taken for this session?), and comes in at the tick after its answer; it enters the event
        // stream now, after what this loop has already said, so the stream stays in time order.
        if let letter = meterReadings.latest(), letter.sequence != meterSequence {
            meterSequence = letter.sequence
            publish(TimedEvent(at: now, event: .meterReading(letter.value)))
            perform(machine.meterRead(letter.value, takenAt: letter.postedAt, at: now), at: now)
        }
        if let letter = temperatures.latest(), letter.sequence != temperatureSequence {
            temperatureSequence = letter.sequence
            publish(TimedEvent(at: now, event: .temperature(letter.value)))
            perform(machine.temperatureMeasured(letter.value, at: now), at: now)
        }
        if tickHadHardwareError != !hardwareHealthy {
            hardwareHealthy = !tickHadHardwareError
            perform(machine.hardwareStatusChanged(healthy: hardwareHealthy, at: now), at: now)
        }
        raiseLostEvents(at: now)
        publishStatus(at: now)
    }

    /// Puts `event` in the sink; one that does not fit is counted, never dropped in silence.
    private func publish(_ event: TimedEvent) {
        if !events.publish(event, reserved: publishingReserved) { lostEvents += 1 }
    }

    /// At the end of a step that lost events: the machine raises `events_lost` (nothing charges
    /// that the books cannot follow), and what it does about it goes into the places the sink
    /// keeps free for this, so the books see the fault and the contactor opening.
    private func raiseLostEvents(at now: Instant) {
        guard lostEvents > 0, !machine.activeFaults.contains(.eventsLost) else { return }
        publishingReserved = true
        perform(machine.eventDelivery(succeeded: false, at: now), at: now)
        publishingReserved = false
    }

    /// At the start of a step, while events are being lost: once the sink has room, it hears how
    /// many were lost, and the fault clears.
    private func reportLostEvents(at now: Instant) {
        guard lostEvents > 0, events.publish(TimedEvent(at: now, event: .eventsLost(lostEvents)), reserved: false) else { return }
        lostEvents = 0
        perform(machine.eventDelivery(succeeded: true, at: now), at: now)
    }

    /// Leaves the hardware safe for a stop of the daemon: contactor open, pilot in state F.
    /// The machine is not told; the loop must not tick again.
    public func shutDown(at now: Instant) {
        runHardware(now) { () throws(HardwareError) in try devices.contactor.command(closed: false) }
        publish(TimedEvent(at: now, event: .action(.openContactor)))
        runHardware(now) { () throws(HardwareError) in try devices.pilotSignal.apply(.stateF) }
        publish(TimedEvent(at: now, event: .action(.setPilot(.stateF))))
        runHardware(now) { () throws(HardwareError) in try devices.residualCurrentMonitor.setSelfTest(false) }
    }

    private var lastStatus: ChargerStatus?

    private func publishStatus(at now: Instant) {
        let current = ChargerStatus(machine)
        guard current != lastStatus else { return }
        lastStatus = current
        status.post(current, at: now)
    }

    /// One period of the loop, as every driver runs it (the daemon's real-time thread, the
    /// virtual-time runner, the benchmarks): how the previous period kept time first, so that an
    /// overrun fault opens the contactor in this very tick, then the tick.
    public func cycle(at now: Instant, missedDeadlines: Int) {
        reportTiming(missedDeadlines: missedDeadlines, at: now)
        tick(at: now)
    }

    /// Reports the loop's timing before a tick: the deadlines the previous tick overran.
    public func reportTiming(missedDeadlines: Int, at now: Instant) {
        perform(machine.controlLoopTicked(missedDeadlines: missedDeadlines, at: now), at: now)
    }

    /// The earliest deadline the machine is waiting for.
    public var nextTimerDeadline: Instant? { timers.nextDeadline }

    /// Performs actions in order and reports each.
    private func perform(_ actions: ActionList, at now: Instant) {
        // An index loop: `for … in` allocates an iterator in debug builds.
        for index in 0..<actions.count {
            let action = actions[index]
            switch action {
            case .openContactor:
                runHardware(now) { () throws(HardwareError) in try devices.contactor.command(closed: false) }
            case .closeContactor:
                runHardware(now) { () throws(HardwareError) in try devices.contactor.command(closed: true) }
            case .setPilot(let output):
                runHardware(now) { () throws(HardwareError) in try devices.pilotSignal.apply(output) }
            case .setResidualCurrentTest(let active):
                runHardware(now) { () throws(HardwareError) in try devices.residualCurrentMonitor.setSelfTest(active) }
            case .setConnectorLock(let locked):
                if let lock = devices.connectorLock {
                    runHardware(now) { () throws(HardwareError) in try lock.command(locked: locked) }
                }
            case .startTimer, .cancelTimer:
                timers.apply(action)
            default:
                break
            }
            publish(TimedEvent(at: now, event: .action(action)))
        }
    }

    private func runHardware(_ now: Instant, _ body: () throws(HardwareError) -> Void) {
        _ = readHardware(now, body)
    }

    private func readHardware<Value>(_ now: Instant, _ body: () throws(HardwareError) -> Value) -> Value? {
        do throws(HardwareError) {
            return try body()
        } catch {
            // Report the first failure of a run of failures, not one per tick.
            if hardwareHealthy && !tickHadHardwareError {
                publish(TimedEvent(at: now, event: .hardwareError(error)))
            }
            tickHadHardwareError = true
            return nil
        }
    }
}

/// What became of a queued command.
public struct CommandOutcome: Hashable, Sendable {
    public var command: ChargerCommand
    /// Why the machine refused it; nil when it was carried out.
    public var refusal: CommandRejection?
}
