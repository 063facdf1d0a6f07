#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Runtime
import Testing

/// Serialized: a test that sets the clock would be a step for the watch of a test running beside it.
@Suite(.serialized) struct SystemClockWatchTests {
    /// Whether this process may set the real-time clock (root with CAP_SYS_TIME, as in CI).
    static let maySetTheClock = setRealTime(plusNanoseconds: 0)

    /// Sets the real-time clock to itself plus `offset`, the time spent in between made good: a
    /// step of `offset` and under a microsecond, which the kernel reports like any setting.
    static func setRealTime(plusNanoseconds offset: Int64) -> Bool {
        var real = timespec(), before = timespec(), after = timespec()
        clock_gettime(CLOCK_MONOTONIC, &before)
        clock_gettime(CLOCK_REALTIME, &real)
        clock_gettime(CLOCK_MONOTONIC, &after)
        let elapsed = (Int64(after.tv_sec) - Int64(before.tv_sec)) * 1_000_000_000 + Int64(after.tv_nsec) - Int64(before.tv_nsec)
        let target = Int64(real.tv_sec) * 1_000_000_000 + Int64(real.tv_nsec) + elapsed + offset
        var setting = timespec(tv_sec: Int(target / 1_000_000_000), tv_nsec: Int(target % 1_000_000_000))
        return clock_settime(CLOCK_REALTIME, &setting) == 0
    }

    @Test func aClockNobodySetsHasNoStep() throws {
        let watch = try SystemClockWatch()
        #expect(try watch.check() == nil)
        #expect(try watch.check() == nil)
    }

    /// The kernel itself reports the setting through the timerfd; the step measured is the net
    /// change (here none), and the watch is armed again for the next one.
    @Test(.enabled(if: maySetTheClock, "setting CLOCK_REALTIME needs CAP_SYS_TIME"))
    func settingTheClockIsASteppedClockEachTime() throws {
        let watch = try SystemClockWatch()
        for _ in 0..<2 {
            #expect(Self.setRealTime(plusNanoseconds: 0))
            let step = try #require(try watch.check())
            #expect(abs(step.milliseconds) <= 5, "the net change was under a microsecond, measured \(step.milliseconds) ms")
            #expect(try watch.check() == nil)
        }
    }

    @Test func synchronisationIsTheFlagFileOfTimesyncd() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-timesync-\(UUID().uuidString)").path
        let flag = directory + "/synchronized"
        #expect(try SystemClockWatch(synchronizedFlag: flag).synchronized() == nil, "no timesyncd: nothing can tell")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        #expect(try SystemClockWatch(synchronizedFlag: flag).synchronized() == false)
        #expect(FileManager.default.createFile(atPath: flag, contents: nil))
        #expect(try SystemClockWatch(synchronizedFlag: flag).synchronized() == true)
        try FileManager.default.removeItem(atPath: directory)
    }
}
