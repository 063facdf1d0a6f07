/// The machine's state as its future sees it: what a search of every reachable state compares.
extension ChargerStateMachine {
    /// This state seen from `now`, so that two states with the same future compare equal.
    ///
    /// The machine reads instants only as differences (a deadline reached, a settle time passed),
    /// counters only against their thresholds, and session numbers not at all (they only go out in
    /// actions). So: every instant is shifted to be relative to `now` (which becomes `.zero`); an
    /// age is clamped where the comparisons that read it no longer tell it apart; a counter that
    /// counts on past its threshold stops there (the debouncer's run, bad diode samples, overruns
    /// and on-time ticks; fault retries and self-test failures need no clamp, since the machine
    /// latches the fault when they reach theirs); session numbers become 0 and the next one 1; an
    /// offer reduction whose grace is over is forgotten. Deadlines are never clamped: they lie
    /// ahead, within the longest timer.
    ///
    /// - Parameter readingsTakenWithin: how long before the loop sees a reading it may have been
    ///   requested (the meter thread's lag): ages beyond that compare alike with any reading.
    func canonical(at now: Instant, readingsTakenWithin: Duration = .zero) -> ChargerStateMachine {
        var state = self
        /// `instant` relative to `now`, an age of at most `limit`.
        func relative(_ instant: Instant, agedAtMost limit: Duration? = nil) -> Instant {
            var age = now - instant
            if let limit, age > limit { age = limit }
            return .zero - age
        }
        state.debouncer = debouncer.canonical(at: now)
        // The contactor's last command is read against its settle time and, once off, as the
        // opening that a reading must be taken after (`taken >= opened`, `taken` at most
        // `readingsTakenWithin` old): an age past both compares alike (plus a nanosecond, so
        // that `>=` still holds).
        state.contactor = contactor.canonical(at: now, agedAtMost: max(configuration.contactorSettleTime, readingsTakenWithin + .nanoseconds(1)))
        state.lock = lock.canonical(at: now, agedAtMost: configuration.connectorLockSettleTime)
        if let reducedAt = offer.reducedAt, now - reducedAt < configuration.currentReductionGrace {
            state.offer.reducedAt = relative(reducedAt)
        } else {
            state.offer.reducedAt = nil
            state.offer.previous = nil
        }
        if var test = contactorTest {
            // The start is read only to time the close; once that is known, it is read no more.
            let startedAt = test.closedAfter == nil && test.openCommandedAt == nil ? relative(test.startedAt) : .zero
            test = ContactorTestRun(startedAt: startedAt, closedAfter: test.closedAfter,
                                    openCommandedAt: test.openCommandedAt.map { relative($0) }, failed: test.failed)
            state.contactorTest = test
        }
        for timer in ChargerTimer.all {
            state.timers[timer] = timers[timer].map { relative($0) }
        }
        state.diodeBadSamples = min(diodeBadSamples, configuration.pilot.samplesToConfirmDiodeFault)
        state.loopTiming.consecutiveOverruns = min(loopTiming.consecutiveOverruns, configuration.overrunsForFault)
        state.loopTiming.consecutiveOnTimeTicks = min(loopTiming.consecutiveOnTimeTicks, configuration.onTimeTicksToClearOverrun)
        state.nextSessionNumber = 1
        state.session?.id = SessionID(rawValue: 0)
        state.carriedOver?.id = SessionID(rawValue: 0)
        return state
    }
}

extension PilotDebouncer {
    /// This debouncer seen from `now`: the unknown level's start relative to `now` and aged at
    /// most just past the timeout; the run of samples counted up to the most any rule needs.
    func canonical(at now: Instant) -> PilotDebouncer {
        var debouncer = self
        debouncer.candidateCount = min(candidateCount, max(configuration.samplesToConfirm, configuration.samplesToConfirmUnplug))
        debouncer.unknownSince = unknownSince.map { since in
            .zero - min(now - since, configuration.unknownLevelTimeout + .nanoseconds(1))
        }
        return debouncer
    }
}
