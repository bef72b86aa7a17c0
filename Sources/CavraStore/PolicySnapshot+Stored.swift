// How a store keeps a policy that decided something: its JSON (architecture.md §7) with its sha256, once per sha256.

import CavraDrills
import CavraJSON

extension PolicySnapshot {
    /// The stored document's text. Every write keeps the policies in force, and nearly every time they are already
    /// stored, so stores look the sha256 up first and build this only for a policy they do not have.
    var storedText: String {
        var document = json
        if case .object(var object) = document {
            object["sha256"] = .string(sha256)
            document = .object(object)
        }
        return document.serialized()
    }
}
