// Answers kept under an idempotency key (architecture.md §5): a retried API call gets the first final answer
// again instead of acting twice. Kept 24 hours; written through the service like everything else.

import CavraJSON
import CavraPolicy

extension DrillService {
    /// How long an answer is kept for retries.
    public static let answerLifetimeSeconds: Int64 = 24 * 3600

    /// The answer kept under `key` in the last 24 hours, if any.
    public func keptAnswer(key: String) async throws(ServiceError) -> StoredAnswer? {
        let now = clock()
        do {
            return try await store.answer(key: key, notBefore: now.adding(seconds: -Self.answerLifetimeSeconds))
        } catch {
            throw .store(detail: "the store cannot be read: \(error)")
        }
    }

    /// Keeps `answer` under `key` unless another call kept one first; returns the answer kept.
    public func keep(answer: StoredAnswer, key: String) async throws(ServiceError) -> StoredAnswer {
        let now = clock()
        do {
            return try await store.keepAnswer(
                answer, key: key, at: now, notBefore: now.adding(seconds: -Self.answerLifetimeSeconds))
        } catch {
            throw .store(detail: "the store cannot be written: \(error)")
        }
    }
}
