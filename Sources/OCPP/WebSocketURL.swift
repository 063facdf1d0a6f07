/// A `ws://` or `wss://` URL, checked: a host, a port (80 and 443 by default), and a path.
public struct WebSocketURL: Sendable, Equatable, CustomStringConvertible {
    public var secure: Bool
    public var host: String
    public var port: Int
    /// The path and query, starting with "/".
    public var pathAndQuery: String

    /// Parses `text`, or says why it is not a WebSocket URL evsed can use.
    public init(_ text: String) throws(WebSocketURLError) {
        let rest: Substring
        if text.hasPrefix("ws://") {
            secure = false
            rest = text.dropFirst(5)
        } else if text.hasPrefix("wss://") {
            secure = true
            rest = text.dropFirst(6)
        } else {
            throw WebSocketURLError("'\(text)' is not a WebSocket URL: it must start with ws:// or wss://")
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        pathAndQuery = String(rest.dropFirst(authority.count))
        if pathAndQuery.isEmpty { pathAndQuery = "/" }
        if !pathAndQuery.hasPrefix("/") { pathAndQuery = "/" + pathAndQuery }
        guard !authority.contains("@") else {
            throw WebSocketURLError("'\(text)': credentials do not belong in the URL (security profile 1 sends the charge box id and the authorization key)")
        }
        var hostPart = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            // An IPv6 literal: [::1]:9000.
            guard let close = authority.firstIndex(of: "]") else { throw WebSocketURLError("'\(text)': an IPv6 address needs its closing ]") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw WebSocketURLError("'\(text)': unexpected '\(after)' after the address")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty, hostPart.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw WebSocketURLError("'\(text)' has no host")
        }
        host = String(hostPart)
        if let portText {
            guard let port = Int(portText), (1...65535).contains(port) else {
                throw WebSocketURLError("'\(text)': the port must be a number from 1 to 65535, not '\(portText)'")
            }
            self.port = port
        } else {
            port = secure ? 443 : 80
        }
        guard pathAndQuery.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw WebSocketURLError("'\(text)': the path must be ASCII with no spaces (percent-encode the rest)")
        }
    }

    /// This URL with `segment` (percent-encoded) appended to its path: OCPP-J's charge box id.
    public func appending(pathSegment segment: String) -> WebSocketURL {
        var url = self
        let (path, query) = splitQuery()
        url.pathAndQuery = (path.hasSuffix("/") ? path : path + "/") + Self.percentEncoded(segment) + query
        return url
    }

    private func splitQuery() -> (String, String) {
        guard let mark = pathAndQuery.firstIndex(of: "?") else { return (pathAndQuery, "") }
        return (String(pathAndQuery[..<mark]), String(pathAndQuery[mark...]))
    }

    /// RFC 3986's unreserved characters stay; every other byte is %XX.
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(Unicode.Scalar(byte)))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }

    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let defaultPort = secure ? 443 : 80
        return (secure ? "wss://" : "ws://") + shownHost + (port == defaultPort ? "" : ":\(port)") + pathAndQuery
    }
}

/// Why a text is not a usable WebSocket URL.
public struct WebSocketURLError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}
