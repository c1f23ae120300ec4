package org.xensshm.testkit.memory;

import org.xensshm.host.XenCallException;

/**
 * Counts the calls of one kind and fails the armed one: the in-memory backends' own fault hook,
 * so a test can make exactly one call fail without wrapping the backend.
 */
final class FaultCounter {
    private long count;
    private long failAt;
    private int errno;

    synchronized void arm(long nth, int errno) {
        if (nth < 1 || errno <= 0) {
            throw new IllegalArgumentException("nth must be >= 1 and errno > 0: " + nth + ", " + errno);
        }
        this.failAt = count + nth;
        this.errno = errno;
    }

    synchronized void disarm() {
        failAt = 0;
    }

    synchronized long count() {
        return count;
    }

    /** Counts one call; throws the armed fault when this is the call it names. */
    synchronized void count(String call, String arguments) {
        count++;
        if (count == failAt) {
            failAt = 0;
            throw new XenCallException(call, arguments, errno, "injected fault");
        }
    }
}
