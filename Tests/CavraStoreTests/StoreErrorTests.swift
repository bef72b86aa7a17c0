import CavraStore
import Testing

@Test func storeErrorsReadAsTheirSentence() {
    #expect(StoreError("database is locked").description == "database is locked")
}
