import ConfigFile
import Testing
@testable import Alerts

@Suite struct AlertTemplateTests {
    /// Facts as the rules make them, the longest a sample charger gives.
    static func facts(for kind: AlertKind) -> [String: String] {
        var facts = ["charger": "Garage", "owner": "alex", "session": "12", "time": "14:05", "date": "2026-11-25"]
        for fact in kind.facts { facts[fact] = "x" }
        facts["energy"] = "12.34 kWh"
        facts["cost"] = "4.74 EUR"
        facts["tariff"] = "0.384 EUR/kWh; idle 3.60 EUR/h after 30 min (incl. VAT)"
        facts["reason"] = "energy limit 20.00 kWh"
        facts["title"] = "residual current"
        facts["instruction"] = "Unplug the cable."
        facts["idle_fee"] = "An idle fee of 3.60 EUR/h starts at 14:35 unless the car is unplugged."
        facts["repeats"] = ""
        return facts
    }

    @Test func everyStandardTextUsesOnlyItsFactsAndFillsThemAll() {
        for kind in AlertKind.allCases {
            let message = AlertTemplates.standard[kind].render(Self.facts(for: kind))
            for text in [message.subject, message.text, message.sms] {
                #expect(!text.contains("{") && !text.contains("}"), "\(kind): \(text)")
            }
            #expect(message.subject.contains("Garage"), "\(kind)")
        }
    }

    @Test func standardSMSTextsFitOneMessageWithShortFacts() {
        for kind in AlertKind.allCases {
            let sms = AlertTemplates.standard[kind].render(Self.facts(for: kind)).sms
            let septets = SMSText.septets(SMSText.ascii(sms))
            #expect(septets != nil && septets! <= 160, "\(kind): \(sms.count) characters: \(sms)")
        }
    }

    @Test func anUnknownPlaceholderIsRefusedWithTheClosestOne() {
        #expect(throws: TemplateError.self) { try AlertTemplate("{enrgy} used", allowed: ["energy", "cost"]) }
        do {
            _ = try AlertTemplate("{enrgy} used", allowed: ["energy", "cost"])
        } catch {
            #expect(error.problem.contains("unknown placeholder {enrgy} (did you mean {energy}?)"), "\(error.problem)")
        }
        #expect(throws: TemplateError.self) { try AlertTemplate("{energy", allowed: ["energy"]) }
        #expect(throws: TemplateError.self) { try AlertTemplate("a } b", allowed: []) }
    }

    @Test func doubledBracesAreLiteral() throws {
        let template = try AlertTemplate("{{\"energy\": \"{energy}\"}}", allowed: ["energy"])
        #expect(template.render(["energy": "1 kWh"]) == "{\"energy\": \"1 kWh\"}")
    }

    @Test func aTemplateInTheAlertsFileIsCheckedWhereItIsWritten() throws {
        let table = try ConfigDocument.parse("""
            [template.ended]
            sms = "{charger}: {energy}, {cots}"
            """, file: "alerts.toml")
        var problems: [ConfigError] = []
        _ = AlertConfiguration.read(table, problems: &problems)
        #expect(problems.count == 1)
        #expect(problems.first?.description.contains("alerts.toml:2") == true, "\(problems)")
        #expect(problems.first?.description.contains("did you mean {cost}?") == true, "\(problems)")
    }
}

@Suite struct SMSTextTests {
    @Test func septetsCountTheExtensionTableTwice() {
        #expect(SMSText.septets("abc") == 3)
        #expect(SMSText.septets("a€") == 3)
        #expect(SMSText.septets("[x]") == 5)
        #expect(SMSText.septets("✓") == nil)
    }

    @Test func textIsSpelledInASCII() {
        #expect(SMSText.ascii("4,74 € – Zürich, 30 °C") == "4,74 EUR - Zuerich, 30 degC")
        #expect(SMSText.ascii("Café ✓") == "Cafe ?")
    }

    @Test func aLongTextIsSplitIntoNumberedMessagesAtSpaces() {
        let words = (1...80).map { "word\($0)" }.joined(separator: " ")
        let parts = SMSText.split(words)
        #expect(parts.count == 4, "\(parts.map(\.count))")
        for (index, part) in parts.enumerated() {
            #expect(part.hasPrefix("\(index + 1)/\(parts.count) "))
            #expect(part.count <= 160)
        }
        // Nothing lost, nothing doubled.
        let rejoined = parts.map { $0.split(separator: " ", maxSplits: 1)[1] }.joined(separator: " ")
        #expect(rejoined == words)
        #expect(SMSText.split("short") == ["short"])
    }
}
