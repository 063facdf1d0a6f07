import Foundation
import Testing
import TestSupport
@testable import ConfigFile

/// TOML 1.0 as its specification and the toml-test corpus read it, in files of our own
/// (Tests/ConfigFileTests/TOML): each valid file reads with the values below, each invalid one is
/// an error with a line, never a crash and never a silent reading.
@Suite struct TOMLConformanceTests {
    static let directory = repositoryRoot + "/Tests/ConfigFileTests/TOML"

    static func files(_ kind: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/" + kind)) ?? []).filter { $0.hasSuffix(".toml") }.sorted()
    }

    func parse(_ kind: String, _ name: String) throws(ConfigError) -> ConfigTable {
        try ConfigDocument.load(Self.directory + "/\(kind)/\(name)")
    }

    @Test(arguments: files("invalid"))
    func anInvalidFileIsAnError(name: String) {
        do throws(ConfigError) {
            _ = try parse("invalid", name)
            Issue.record("\(name) was read")
        } catch {
            #expect(error.line != nil, "\(error)")
            #expect(error.problem.count < 160, "a short message: \(error)")
        }
    }

    @Test func everyValidFileReads() throws {
        #expect(Self.files("valid").count >= 9)
        for name in Self.files("valid") { _ = try parse("valid", name) }
    }

    @Test func aByteOrderMarkAndWindowsLineEndings() throws {
        #expect(try parse("valid", "bom.toml").integer("a") == 1)
        let crlf = try parse("valid", "crlf.toml")
        #expect(try crlf.integer("a") == 1)
        #expect(try crlf.string("s") == "one two")
        #expect(try crlf.table("t")?.string("b") == "x")
    }

    @Test func quotesRightBeforeAClosingDelimiter() throws {
        let table = try parse("valid", "quotes-before-the-closing-delimiter.toml")
        #expect(try table.string("a") == "\"quoted\"")
        #expect(try table.string("b") == "''x''")
        #expect(try table.string("c") == "two \"\" inside")
    }

    @Test func tablesDottedKeysAndSubTables() throws {
        let fruit = try #require(try parse("valid", "subtable-of-a-dotted-table.toml").table("fruit"))
        let apple = try #require(try fruit.table("apple"))
        #expect(try apple.string("color") == "red")
        #expect(try apple.table("taste")?.bool("sweet") == true)
        #expect(try apple.table("texture")?.bool("smooth") == true)
        let later = try parse("valid", "super-table-defined-later.toml")
        #expect(try later.table("a")?.integer("d") == 2)
        #expect(try later.table("a")?.table("b")?.integer("c") == 1)
        let keys = try parse("valid", "keys.toml")
        #expect(try keys.table("a")?.integer("b") == 1)
        #expect(try keys.integer("") == 2)
        #expect(try keys.integer("quoted key") == 3)
        #expect(try keys.integer("x.y") == 4)
        #expect(try keys.integer("3") == 5)
    }

    @Test func numbers() throws {
        let table = try parse("valid", "numbers.toml")
        #expect(try table.integer("a") == 0)
        #expect(try table.integer("b") == 0)
        #expect(table.value("c").map { if case .float(let value) = $0.kind { value == 0 } else { false } } == true)
        #expect(table.value("f").map { if case .float(let value) = $0.kind { value == 1000.55 } else { false } } == true)
        #expect(table.value("g").map { if case .float(let value) = $0.kind { value == .infinity } else { false } } == true)
        #expect(table.value("i").map { if case .float(let value) = $0.kind { value.isNaN } else { false } } == true)
        #expect(try table.integer("j") == 0xDEAD_BEEF)
        #expect(try table.integer("k") == 0o77)
        #expect(try table.integer("l") == 2)
        #expect(try table.integer("n") == Int.max)
        #expect(try table.integer("o") == Int.min)
        // A setting is never infinite or not a number: the typed reader refuses them.
        #expect(throws: ConfigError(file: Self.directory + "/valid/numbers.toml", line: 7, key: "g", problem: "inf is not a finite number")) {
            try table.double("g")
        }
    }

    @Test(arguments: [
        ("leading-zero.toml", "'01' has a leading zero"),
        ("integer-beyond-64-bits.toml", "'9223372036854775808' is beyond a 64-bit integer"),
        ("capital-inf.toml", "'Inf' is not a value; quote text (\"Inf\"), or write true, false or a number"),
        ("negative-hex.toml", "'0x-1' is not a number"),
        ("double-underscore.toml", "'1__2' is not a number"),
        ("control-character-in-string.toml", "control character byte 0x1 is not allowed here"),
        ("nested-too-deep.toml", "arrays and inline tables nested more than 32 deep"),
        ("dotted-key-too-long.toml", "a key of more than 32 parts"),
        ("extend-inline-table-with-dotted-key.toml", "already defined as a table on line 1"),
        ("reopen-table.toml", "table defined twice"),
    ] as [(String, String)])
    func whatIsWrongIsSaid(name: String, problem: String) {
        do throws(ConfigError) {
            _ = try parse("invalid", name)
            Issue.record("\(name) was read")
        } catch {
            #expect(error.problem == problem)
        }
    }

    @Test func hostileSizesCostLittleAndSayLittle() {
        // 100 000 nested brackets used to overflow the stack; a megabyte-long bad value used to be
        // quoted whole; a long key would be compared with every known key.
        let deep = "a = " + String(repeating: "[", count: 100_000)
        #expect(throws: ConfigError.self) { try ConfigDocument.parse(deep, file: "deep.toml") }
        let long = "a = x" + String(repeating: "y", count: 1_000_000)
        do throws(ConfigError) {
            _ = try ConfigDocument.parse(long, file: "long.toml")
        } catch {
            #expect(error.description.count < 200)
        }
        #expect(closestMatch(to: String(repeating: "a", count: 100_000), among: ["plug"]) == nil)
    }
}
