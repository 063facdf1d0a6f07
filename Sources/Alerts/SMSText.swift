/// Text for SMS: the GSM 03.38 default alphabet (GSM-7), whose 160 characters fit one message,
/// and the splitting of a longer text into numbered messages.
///
/// The modem is driven in text mode with the IRA (ASCII) character set, which every modem
/// understands the same way; characters outside ASCII are spelled in ASCII first (€ → EUR,
/// ° → deg, accents dropped), so what arrives is what was meant.
public enum SMSText {
    /// Characters of the GSM-7 extension table: each takes two of the 160.
    static let extended: Swift.Set<Character> = ["^", "{", "}", "\\", "[", "~", "]", "|", "€"]

    /// ASCII characters that GSM-7 lacks.
    static let missing: Swift.Set<Character> = ["`"]

    /// The message's length in GSM-7 septets, or nil when a character is not in GSM-7 (the message
    /// would have to be sent as UCS-2, 70 characters a message).
    public static func septets(_ text: String) -> Int? {
        var count = 0
        for character in text {
            if extended.contains(character) {
                count += 2
            } else if character.isASCII && !missing.contains(character) && (character.asciiValue! >= 32 || character == "\n" || character == "\r") {
                count += 1
            } else if "£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉÄÖÑÜ§¿äöñüà¡".contains(character) {
                count += 1
            } else {
                return nil
            }
        }
        return count
    }

    /// `text` in printable ASCII: common symbols spelled out, accents removed, anything else '?'.
    public static func ascii(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar.isASCII {
                result.unicodeScalars.append(scalar == "\t" ? " " : scalar)
                continue
            }
            switch scalar {
            case "€": result += "EUR"
            case "£": result += "GBP"
            case "°": result += "deg"
            case "–", "—": result += "-"
            case "‘", "’": result += "'"
            case "“", "”", "„": result += "\""
            case "…": result += "..."
            case "\u{00A0}", "\u{202F}": result += " "
            case "ä": result += "ae"
            case "ö": result += "oe"
            case "ü": result += "ue"
            case "Ä": result += "Ae"
            case "Ö": result += "Oe"
            case "Ü": result += "Ue"
            case "ß": result += "ss"
            default:
                // Latin letters with a diacritic: keep the base letter (é → e).
                let base = String(scalar).decomposedBase
                result += base.map { String($0) } ?? "?"
            }
        }
        return result
    }

    /// `text` as one or more messages of at most `limit` septets each; more than one are numbered
    /// "1/3 ", split at spaces where possible.
    public static func split(_ text: String, limit: Int = 160) -> [String] {
        let cleaned = ascii(text).split(separator: "\n", omittingEmptySubsequences: true).joined(separator: " ")
        if length(cleaned) <= limit { return [cleaned] }
        // The prefix "k/n " takes up to 6 septets for n ≤ 9; the count is fixed by a first pass.
        var count = 2
        while true {
            let prefix = "\(count)/\(count) ".count
            let parts = chunks(cleaned, size: limit - prefix)
            if parts.count <= count {
                return parts.enumerated().map { "\($0.offset + 1)/\(parts.count) \($0.element)" }
            }
            count = parts.count
        }
    }

    private static func length(_ text: String) -> Int { septets(text) ?? text.count * 2 }

    private static func chunks(_ text: String, size: Int) -> [String] {
        var parts: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            let candidate = current.isEmpty ? String(word) : current + " " + word
            if length(candidate) <= size {
                current = candidate
                continue
            }
            if !current.isEmpty { parts.append(current) }
            // A word longer than a message is cut.
            var rest = String(word)
            while length(rest) > size {
                var head = ""
                for character in rest {
                    if length(head + String(character)) > size { break }
                    head.append(character)
                }
                parts.append(head)
                rest = String(rest.dropFirst(head.count))
            }
            current = rest
        }
        if !current.isEmpty { parts.append(current) }
        return parts
    }
}

extension String {
    /// The ASCII letter under a Latin letter with a diacritic ("é" → "e"), from a table of the common ones; else nil.
    fileprivate var decomposedBase: Character? {
        // Latin-1 Supplement and Latin Extended-A letters decompose to an ASCII base and a mark.
        let table: [Character: Character] = [
            "à": "a", "á": "a", "â": "a", "ã": "a", "å": "a", "ç": "c", "è": "e", "é": "e", "ê": "e", "ë": "e",
            "ì": "i", "í": "i", "î": "i", "ï": "i", "ñ": "n", "ò": "o", "ó": "o", "ô": "o", "õ": "o", "ø": "o",
            "ù": "u", "ú": "u", "û": "u", "ý": "y", "ÿ": "y", "À": "A", "Á": "A", "Â": "A", "Ã": "A", "Å": "A",
            "Ç": "C", "È": "E", "É": "E", "Ê": "E", "Ë": "E", "Ì": "I", "Í": "I", "Î": "I", "Ï": "I", "Ñ": "N",
            "Ò": "O", "Ó": "O", "Ô": "O", "Õ": "O", "Ø": "O", "Ù": "U", "Ú": "U", "Û": "U", "Ý": "Y",
            "ą": "a", "ć": "c", "ę": "e", "ł": "l", "ń": "n", "ś": "s", "ź": "z", "ż": "z", "č": "c", "š": "s", "ž": "z",
            "ř": "r", "ě": "e", "ů": "u", "Č": "C", "Š": "S", "Ž": "Z", "Ł": "L",
        ]
        return self.first.flatMap { table[$0] }
    }
}
