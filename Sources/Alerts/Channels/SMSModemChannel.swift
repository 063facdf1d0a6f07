#if canImport(Glibc)
import Glibc
#endif
import EVSECore
import Runtime

/// SMS through a GSM/LTE modem on a serial port, in text mode (3GPP TS 27.005): `AT+CMGF=1`, the
/// IRA character set, then `AT+CMGS="<number>"`, the text at the `> ` prompt, Ctrl-Z, and the
/// modem's `+CMGS: <reference>`. A long text goes as several numbered messages. The modem's
/// `+CMS ERROR`/`+CME ERROR` codes become messages a person can act on.
public final class SMSModemChannel: AlertChannel {
    public let kind = ChannelKind.sms
    private let device: String
    private let baudRate: Int
    private let simPIN: String?
    private let timeout: Duration
    /// A SIM that refused the PIN is not offered it again: three wrong PINs lock the SIM.
    private var pinRefused = false

    public init(device: String, baudRate: Int, simPIN: String?, timeout: Duration) {
        self.device = device
        self.baudRate = baudRate
        self.simPIN = simPIN
        self.timeout = timeout
    }

    public func deliver(_ message: OutgoingMessage) throws(DeliveryError) {
        guard !pinRefused else { throw DeliveryError("modem \(device): the SIM refused the configured PIN; fix sim_pin and restart evsed", permanent: true) }
        let descriptor: Int32
        do throws(SerialPortError) { descriptor = try RawSerialPort.open(device, baudRate: baudRate) } catch {
            throw DeliveryError("modem \(error)")
        }
        defer { close(descriptor) }
        let line = ModemLine(descriptor: descriptor, device: device)
        line.discardInput()
        // The first AT may meet a modem that still echoes or had a half-typed line: one more try.
        if (try? line.command("AT", timeout: .seconds(2))) == nil { try line.command("AT", timeout: .seconds(2)) }
        try line.command("ATE0", timeout: .seconds(2))
        if let simPIN {
            let state = try line.command("AT+CPIN?", timeout: .seconds(5))
            if state.contains(where: { $0.contains("SIM PIN") }) {
                do throws(DeliveryError) {
                    try line.command("AT+CPIN=\"\(simPIN)\"", timeout: .seconds(10))
                } catch {
                    pinRefused = true
                    throw DeliveryError(error.problem, permanent: true)
                }
            }
        }
        try line.command("AT+CMGF=1", timeout: .seconds(5))
        try line.command("AT+CSCS=\"IRA\"", timeout: .seconds(5))
        for part in SMSText.split(message.sms) {
            try line.send(part, to: message.address, timeout: max(timeout, .seconds(30)))
        }
    }
}
