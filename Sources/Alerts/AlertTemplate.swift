import ConfigFile

/// A message text with `{placeholder}`s, checked when it is read: a placeholder the alert's kind
/// does not have is a configuration error, not a hole in a message sent at 3 a.m.
/// `{{` and `}}` stand for literal braces.
public struct AlertTemplate: Hashable, Sendable {
    enum Piece: Hashable, Sendable {
        case text(String)
        case placeholder(String)
    }

    let pieces: [Piece]
    public let source: String

    /// Parses `source`; `allowed` are the placeholders that may appear. The error says which
    /// placeholder is wrong and offers the closest allowed one.
    public init(_ source: String, allowed: [String]) throws(TemplateError) {
        self.source = source
        var pieces: [Piece] = []
        var text = ""
        var characters = source.makeIterator()
        var pending = characters.next()
        while let character = pending {
            pending = characters.next()
            switch character {
            case "{" where pending == "{":
                text.append("{")
                pending = characters.next()
            case "}" where pending == "}":
                text.append("}")
                pending = characters.next()
            case "{":
                var name = ""
                while let next = pending, next != "}" {
                    name.append(next)
                    pending = characters.next()
                }
                guard pending == "}" else { throw TemplateError(problem: "'{\(name)' is not closed with '}'") }
                pending = characters.next()
                guard allowed.contains(name) else {
                    let hint = closestMatch(to: name, among: allowed).map { " (did you mean {\($0)}?)" } ?? ""
                    throw TemplateError(problem: "unknown placeholder {\(name)}\(hint); this message has \(allowed.map { "{\($0)}" }.joined(separator: " "))")
                }
                if !text.isEmpty { pieces.append(.text(text)) }
                text = ""
                pieces.append(.placeholder(name))
            case "}":
                throw TemplateError(problem: "a '}' without its '{' (write }} for a brace)")
            default:
                text.append(character)
            }
        }
        if !text.isEmpty { pieces.append(.text(text)) }
        self.pieces = pieces
    }

    /// The text with each placeholder replaced by its fact ("" for a fact the alert lacks).
    public func render(_ facts: [String: String]) -> String {
        var result = ""
        for piece in pieces {
            switch piece {
            case .text(let text): result += text
            case .placeholder(let name): result += facts[name] ?? ""
            }
        }
        return result
    }
}

/// A template that cannot be used; `problem` says why.
public struct TemplateError: Error, Hashable, Sendable {
    public var problem: String
}
