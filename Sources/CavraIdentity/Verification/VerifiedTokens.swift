// Tokens whose signature already verified, so a client sending its token with every request pays for the signature
// once (architecture §6). What can change between two uses is checked again on every use.

import CavraDrills
import CavraJSON
import Synchronization

/// Verified tokens by their exact text: the claims and the actor they proved, and the key set they were verified
/// against. A hit is only used with the same key set (a fetch of a `jwks_uri` starts a new one, so a token signed by
/// a key that was rotated out is verified again and refused) and after the claims pass again at the new `now`: an
/// expired token is refused at once, never served from here.
final class VerifiedTokens: Sendable {
    struct Entry: Sendable {
        var claims: JSONObject
        var actor: Actor
        /// Which key set verified the token: 0 for configured keys, else the `RemoteKeySet`'s fetch count.
        var keySet: Int
    }

    /// Distinct tokens kept; past this the cache starts over (tokens are at most 16 KiB each).
    static let capacity = 1024

    private let entries = Mutex<[String: Entry]>([:])

    func entry(for token: String, keySet: Int) -> Entry? {
        entries.withLock { entries in
            guard let entry = entries[token], entry.keySet == keySet else { return nil }
            return entry
        }
    }

    func keep(_ entry: Entry, for token: String) {
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[token] = entry
        }
    }

    var count: Int { entries.withLock { $0.count } }
}
