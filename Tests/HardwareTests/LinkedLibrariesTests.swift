import Hardware
import Testing

@Suite struct LinkedLibrariesTests {
    @Test func theLinkedLibrariesReportTheirVersions() {
        #expect(LinkedLibraries.modbusVersion.split(separator: ".").count == 3)
        #expect(LinkedLibraries.gpiodVersion.hasPrefix("1."))
    }
}
