package org.xensshm.host;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;


/**
 * The engine's view of xenstore: transactions over a tree of string values with per-node
 * permissions. Implemented over libxenstore and in memory.
 */
public interface Store {

    /**
     * Starts a transaction; close it to abort unless it was committed.
     *
     * @return a transaction; close it to abort unless committed
     */
    StoreTransaction begin();

    /**
     * {@code /local/domain/<domid>}, as the store reports it.
     *
     * @param domid the domain
     * @return its home in xenstore, {@code /local/domain/<domid>}
     */
    String domainPath(int domid);

    /**
     * Runs {@code work} in a transaction and commits it, starting over when the commit reports a
     * conflict (EAGAIN), at most {@code maxAttempts} times. {@code work} must be safe to repeat:
     * it sees a fresh transaction each time and should only touch the store.
     *
     * @param <T> what the work returns
     * @param maxAttempts at most this many runs
     * @param work the transaction's reads and writes; run again after a conflict
     * @return what the committed run returned
     * @throws XenCallException with EAGAIN when every attempt conflicted
     */
    default <T> T inTransaction(int maxAttempts, Function<StoreTransaction, T> work) {
        return inTransaction(maxAttempts, Duration.ZERO, work);
    }

    /**
     * As {@link #inTransaction(int, Function)}, pausing between attempts for a random time that
     * grows with each attempt from {@code backoff}, so that competing toolstacks spread out.
     *
     * @param <T> what the work returns
     * @param maxAttempts at most this many runs
     * @param backoff the base wait between runs
     * @param work the transaction's reads and writes; run again after a conflict
     * @return what the committed run returned
     */
    default <T> T inTransaction(int maxAttempts, Duration backoff, Function<StoreTransaction, T> work) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
        }
        for (int attempt = 1; ; attempt++) {
            try (StoreTransaction txn = begin()) {
                T result = work.apply(txn);
                if (txn.commit()) {
                    return result;
                }
            }
            if (attempt == maxAttempts) {
                throw new XenCallException("xs_transaction_end", "attempts=" + maxAttempts,
                        Errno.EAGAIN, "transaction kept conflicting with other writers");
            }
            long base = backoff.toNanos();
            if (base > 0) {
                int doublings = Math.min(attempt, 6);
                long bound = base > Long.MAX_VALUE >> doublings ? Long.MAX_VALUE : base << doublings;
                LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(bound) + 1);
            }
        }
    }
}
