import Foundation
import LedgerCore
import LedgerStore
import Testing

@Suite("Store cost change sequence")
struct StoreCostChangeTests {
    static let target = "ledger@127.0.0.1:5432/postgres"

    static func cost(_ nanos: Int64) -> RecordedCost {
        RecordedCost(
            nanos: nanos, isEstimated: false, priceReference: "tokenledger:codex/gpt-5@sha256:ab",
            pricedAtNanoseconds: 1_780_308_100_000_000_000)
    }

    @Test("recorded costs become ordered changes")
    func recordedCostsAreChanges() throws {
        let (path, directory) = try StoreMigrationTests.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        try StoreMigrationTests.makeVersionOneStore(at: path)
        let store = try Store(path: path)

        try store.database.transaction { () throws(StoreError) in
            try store.recordCost(Self.cost(12_000), eventID: 2)
        }
        // Outside a transaction, recordCost opens its own.
        try store.recordCost(nil, eventID: 1)

        let changes = try store.costChanges(afterSequence: 1, limit: 10)
        #expect(changes.map(\.sequence) == [2, 3])
        #expect(changes.map(\.key) == [StoreMigrationTests.unpricedKey, StoreMigrationTests.pricedKey])
        #expect(changes.first?.startedAtNanoseconds == StoreMigrationTests.startedAt + 60_000_000_000)
        #expect(changes.first?.cost == Self.cost(12_000))
        #expect(changes.last?.cost == nil)
        #expect(try store.costChanges(afterSequence: 0, limit: 1).map(\.sequence) == [2])
        #expect(try store.costChanges(afterSequence: 3, limit: 10).isEmpty)
    }

    @Test("deleted events free no sequence values")
    func sequenceNeverDecreases() throws {
        let (path, directory) = try StoreMigrationTests.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        try StoreMigrationTests.makeVersionOneStore(at: path)
        let store = try Store(path: path)
        try store.recordCost(Self.cost(1), eventID: 2)
        try store.database.execute("DELETE FROM events WHERE event_id = 2")
        try store.recordCost(Self.cost(2), eventID: 1)
        #expect(try store.costChanges(afterSequence: 0, limit: 10).map(\.sequence) == [3])
        // An unknown event id consumes a value and changes nothing, which leaves a harmless gap.
        try store.recordCost(Self.cost(3), eventID: 99)
        try store.recordCost(Self.cost(4), eventID: 1)
        #expect(try store.costChanges(afterSequence: 0, limit: 10).map(\.sequence) == [5])
    }

    @Test("cost watermark only advances")
    func costWatermark() throws {
        let (path, directory) = try StoreMigrationTests.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        try StoreMigrationTests.makeVersionOneStore(at: path)
        let store = try Store(path: path)
        #expect(try store.costReplicationWatermark(targetID: Self.target) == 0)
        try store.recordCost(Self.cost(5), eventID: 2)

        try store.setCostReplicationWatermark(targetID: Self.target, lastSequence: 1, now: 10)
        #expect(try store.costReplicationWatermark(targetID: Self.target) == 1)
        #expect(try store.replicationWatermark(targetID: Self.target) == 0)
        var lag = try #require(try store.replicationLags().first)
        #expect(lag.lastCostChangeSequence == 1)
        #expect(lag.costChangesBehind == 1)
        #expect(lag.eventsBehind == 2)

        try store.setReplicationWatermark(targetID: Self.target, lastEventID: 2, now: 11)
        try store.setCostReplicationWatermark(targetID: Self.target, lastSequence: 2, now: 12)
        try store.setCostReplicationWatermark(targetID: Self.target, lastSequence: 1, now: 13)
        #expect(try store.costReplicationWatermark(targetID: Self.target) == 2)
        #expect(try store.replicationWatermark(targetID: Self.target) == 2)
        lag = try #require(try store.replicationLags().first)
        #expect(lag.costChangesBehind == 0)
        #expect(lag.eventsBehind == 0)
        #expect(lag.updatedNanoseconds == 13)
    }

    @Test("priced batch takes one value per cost")
    func pricedBatch() throws {
        let (store, directory) = try StoreCommitTests.temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        try store.recordCost(nil, eventID: 99)
        let batch = [
            PositionedEvent(event: StoreCommitTests.event("a"), lineOffset: 0, cost: Self.cost(7)),
            PositionedEvent(event: StoreCommitTests.event("b"), lineOffset: 10),
            PositionedEvent(event: StoreCommitTests.event("c"), lineOffset: 20, cost: Self.cost(8)),
        ]
        let first = try store.commit(
            IngestBatch(file: StoreCommitTests.file(offset: 30), events: batch, quarantine: [], now: 1))
        #expect(first.insertedEvents == 3)
        let changes = try store.costChanges(afterSequence: 0, limit: 10)
        #expect(changes.map(\.sequence) == [2, 3])
        #expect(changes.map(\.key) == [StoreCommitTests.event("a").key, StoreCommitTests.event("c").key])
        #expect(changes.map(\.cost) == [Self.cost(7), Self.cost(8)])
        let total = try store.costTotal()
        #expect(total.events == 3)
        #expect(total.pricedEvents == 2)
        #expect(total.nanos == 15)

        // A priced event already stored keeps its cost and leaves its value unused.
        let again = [
            PositionedEvent(event: StoreCommitTests.event("a"), lineOffset: 0, cost: Self.cost(70)),
            PositionedEvent(event: StoreCommitTests.event("d"), lineOffset: 30, cost: Self.cost(9)),
        ]
        let second = try store.commit(IngestBatch(file: first.file, events: again, quarantine: [], now: 2))
        #expect(second.insertedEvents == 1)
        #expect(try store.costChanges(afterSequence: 3, limit: 10).map(\.sequence) == [5])
        #expect(try store.database.scalarInt("SELECT last_value FROM cost_change_sequence") == 5)
        #expect(try store.costTotal().pricedEvents == 3)
        #expect(try store.costTotal().nanos == 24)
    }
}
