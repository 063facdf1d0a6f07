#if canImport(Glibc)
import Glibc
#endif
import Runtime
import Testing

/// The PM QoS request against the kernel's own /dev/cpu_dma_latency: what the device reads is the
/// cap in force, all requests together, so a request below every other one shows there.
@Suite(.enabled(if: access(CPUWakeLatencyRequest.device, R_OK | W_OK) == 0, "needs write access to /dev/cpu_dma_latency (root, or the evsed group)"))
struct CPUWakeLatencyTests {
    @Test func theCapHoldsWhileTheRequestLivesAndGoesWithIt() throws {
        let before = try #require(CPUWakeLatencyRequest.current())
        // Below whatever else may hold a request on this machine (cyclictest asks for 0).
        let asked = Int32(max(0, min(before - 1, 7)))
        do {
            let request = try CPUWakeLatencyRequest(microseconds: asked)
            #expect(CPUWakeLatencyRequest.current() == asked)
            withExtendedLifetime(request) {}
        }
        #expect(CPUWakeLatencyRequest.current() == before, "closing the descriptor withdraws the request")
    }

    @Test func aDeviceThatCannotBeOpenedSaysWhichAndWhy() {
        #expect {
            try CPUWakeLatencyRequest(microseconds: 0, device: "/nonexistent/cpu_dma_latency")
        } throws: { error in
            "\(error)" == "/nonexistent/cpu_dma_latency: open: No such file or directory; the CPUs' idle states stay as the kernel chooses"
        }
    }
}
