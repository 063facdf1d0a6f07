import Testing
@testable import ConfigFile

@Suite struct TOMLParserTests {
    func parse(_ text: String) throws(ConfigError) -> ConfigTable { try ConfigDocument.parse(text, file: "f.toml") }

    @Test func readsTheValueKinds() throws {
        let table = try parse("""
            # a comment
            name = "Box \\"A\\" \\u00e9"   # trailing comment
            literal = 'C:\\path'
            count = 1_000
            hex = 0xff
            octal = 0o17
            binary = 0b101
            ratio = 0.5
            exponent = 1e3
            negative = -12
            on = true
            off = false
            list = [1, 2,
              3, # inside
            ]
            inline = { a = 1, b = "x" }
            """)
        #expect(try table.string("name") == "Box \"A\" é")
        #expect(try table.string("literal") == "C:\\path")
        #expect(try table.integer("count") == 1000)
        #expect(try table.integer("hex") == 255)
        #expect(try table.integer("octal") == 15)
        #expect(try table.integer("binary") == 5)
        #expect(try table.double("ratio") == 0.5)
        #expect(try table.double("exponent") == 1000)
        #expect(try table.double("negative") == -12)
        #expect(try table.bool("on") == true)
        #expect(try table.bool("off") == false)
        let inline = try #require(try table.table("inline"))
        #expect(try inline.integer("a") == 1)
        #expect(try inline.string("b") == "x")
        guard case .array(let list)? = table.value("list")?.kind else { Issue.record("list is not an array"); return }
        #expect(list.count == 3)
    }

    @Test func readsMultilineStrings() throws {
        let table = try parse("""
            a = \"\"\"
            one \\
              two\"\"\"
            b = '''
            raw \\n'''
            """)
        #expect(try table.string("a") == "one two")
        #expect(try table.string("b") == "raw \\n")
    }

    @Test func readsTablesDottedKeysAndArraysOfTables() throws {
        let table = try parse("""
            top = 1
            [a.b]
            c = 2
            [[step]]
            at = 1
            [[step]]
            at = 2
            [a]
            d.e = 3
            """)
        let b = try #require(try table.table("a")?.table("b"))
        #expect(try b.integer("c") == 2)
        #expect(b.path == "a.b")
        let steps = try table.tables("step")
        #expect(try steps.map { try $0.integer("at") } == [1, 2])
        #expect(steps.map(\.path) == ["step[1]", "step[2]"])
        #expect(steps.map(\.line) == [4, 6])
        #expect(try table.table("a")?.table("d")?.integer("e") == 3)
    }

    @Test(arguments: [
        ("a = 1\na = 2", 2, "a", "defined twice (first on line 1)"),
        ("[t]\n[t]", 2, "t", "table defined twice"),
        ("a = \"open", 1, nil, "string not closed on this line"),
        ("a = [1, 2", 1, nil, "array opened on line 1 is never closed"),
        ("a = 1 b = 2", 1, nil, "unexpected 'b' after the value; one key = value per line"),
        ("a = yes", 1, nil, "'yes' is not a value; quote text (\"yes\"), or write true, false or a number"),
        ("a = 1979-05-27", 1, nil, "dates and times are not supported here; write 1979-05-27 as a quoted string"),
        ("\n\n= 3", 3, nil, "expected a key, found '='"),
        ("a = \"\\q\"", 1, nil, "unknown escape '\\q'"),
        ("a = 12x", 1, nil, "'12x' is not a number"),
    ] as [(String, Int, String?, String)])
    func mistakesAreLocated(text: String, line: Int, key: String?, problem: String) {
        #expect(throws: ConfigError(file: "f.toml", line: line, key: key, problem: problem)) { try parse(text) }
    }

    @Test func typeMismatchesNameTheKeyAndTheTypes() throws {
        let table = try parse("\n[charger]\nmax_current_a = \"32\"")
        let charger = try #require(try table.table("charger"))
        #expect(throws: ConfigError(file: "f.toml", line: 3, key: "charger.max_current_a", problem: "expected a number, found a string")) {
            try charger.double("max_current_a")
        }
    }

    @Test func outOfRangeValuesAreRefused() throws {
        let table = try parse("phases = 5")
        #expect(throws: ConfigError(file: "f.toml", line: 1, key: "phases", problem: "5 is outside 1 … 3")) {
            try table.integer("phases", default: 3, in: 1...3)
        }
    }

    @Test func unknownKeysAreRefusedWithASuggestion() throws {
        let table = try parse("max_curent_a = 16\nphases = 3")
        _ = try table.double("max_current_a")
        _ = try table.integer("phases")
        #expect(throws: ConfigError(file: "f.toml", line: 1, key: "max_curent_a", problem: "unknown key (did you mean 'max_current_a'?)")) {
            try table.rejectUnknownKeys()
        }
    }

    @Test func aMissingFileSaysWhy() {
        #expect(throws: ConfigError(file: "/nonexistent/board.toml", line: nil, key: nil, problem: "cannot open: No such file or directory")) {
            try ConfigDocument.load("/nonexistent/board.toml")
        }
    }

    @Test func errorsReadAsFileLineKeyProblem() {
        let error = ConfigError(file: "boards/x.toml", line: 12, key: "charger.phases", problem: "must be 1 or 3")
        #expect(error.description == "boards/x.toml:12: charger.phases: must be 1 or 3")
    }

    @Test func closestMatchFindsTyposOnly() {
        #expect(closestMatch(to: "unplgu", among: ["plug", "unplug", "status"]) == "unplug")
        #expect(closestMatch(to: "xyzzy", among: ["plug", "unplug", "status"]) == nil)
        #expect(closestMatch(to: "stauts", among: ["start", "status", "stop"]) == "status")
        #expect(editDistance("stauts", "status") == 1)
    }
}
