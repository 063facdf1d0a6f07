#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Console

/// `evsed console`: the technician's console of a running evsed, from this terminal.
struct ConsoleClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Connect to the console of a running evsed (help lists its commands; Ctrl-D leaves).",
        discussion: "--hash-pin reads a PIN from standard input and prints its hash for the file --console-pin-file names (mode 0600)."
    )

    @Option(name: .long, help: "The console's socket (default: $EVSED_CONSOLE, else /run/evsed/console.sock).")
    var socket: String?

    @Flag(name: .long, help: "Print the configuration value of a PIN read from standard input, and exit.")
    var hashPin = false

    func run() throws {
        if hashPin {
            guard let line = readLine(strippingNewline: true), line.count >= 4, line.allSatisfy(\.isNumber) else {
                LineWriter.standardError.write("evsed: a PIN is at least 4 digits")
                throw ExitCode(2)
            }
            print(ConsolePIN.make(line))
            return
        }
        let path = socket ?? environment("EVSED_CONSOLE") ?? "/run/evsed/console.sock"
        let descriptor = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0, let address = UnixSocketAddress(path) else {
            LineWriter.standardError.write("evsed: console: \(path): not a usable socket path")
            throw ExitCode(1)
        }
        let connected = address.withSocketAddress { connect(descriptor, $0, $1) }
        guard connected == 0 else {
            LineWriter.standardError.write("evsed: console: \(path): \(String(cString: strerror(errno))) (is evsed running with a console? evsed run --console PATH)")
            throw ExitCode(1)
        }
        // The daemon edits the line: this terminal passes every key through.
        var saved = termios()
        let interactive = isatty(0) == 1 && tcgetattr(0, &saved) == 0
        if interactive {
            var raw = saved
            raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG)
            raw.c_iflag &= ~tcflag_t(ICRNL | IXON)
            tcsetattr(0, TCSANOW, &raw)
        }
        defer { if interactive { tcsetattr(0, TCSANOW, &saved) } }
        var descriptors = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0), pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 4096)
        var inputOpen = true
        while true {
            descriptors[0].fd = inputOpen ? 0 : -1
            guard poll(&descriptors, 2, -1) >= 0 || errno == EINTR else { break }
            if descriptors[1].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                _ = buffer.withUnsafeBytes { write(1, $0.baseAddress, count) }
            }
            if inputOpen && descriptors[0].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if count <= 0 {
                    // End of input from a script: the console logs out.
                    inputOpen = false
                    var end: UInt8 = 0x04
                    _ = write(descriptor, &end, 1)
                    continue
                }
                _ = buffer.withUnsafeBytes { write(descriptor, $0.baseAddress, count) }
            }
        }
        close(descriptor)
        if interactive { print("") }
    }
}
