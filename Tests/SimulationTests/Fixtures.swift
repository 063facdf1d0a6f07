import ConfigFile
import Hardware

enum BoardDescriptionFixture {
    /// A minimal simulated board with every default.
    static func simulated() throws -> BoardDescription {
        try BoardDescription.read(ConfigDocument.parse("""
            [board]
            name = "test"
            kind = "simulated"
            [simulation]
            """, file: "board.toml"))
    }
}
