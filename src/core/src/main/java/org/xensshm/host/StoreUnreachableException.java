package org.xensshm.host;

import java.io.Serial;
import java.util.Objects;

/**
 * xenstored cannot be reached: it is not running, it stopped answering within the request
 * deadline (the connection was then shut down), or the connection broke. Unlike a refused
 * request, the outcome of the request that met it is unknown: xenstored may still apply a
 * request it had received, such as a transaction's commit, after the connection is gone.
 */
public class StoreUnreachableException extends XenCallException {

    @Serial
    private static final long serialVersionUID = 1L;

    /** Why xenstored cannot be reached. */
    public enum Reason {
        /** Nothing answers where the daemon's socket should be: it is not running. */
        NOT_RUNNING,
        /** A request got no answer within the deadline; the connection was shut down. */
        TIMED_OUT,
        /** The connection broke (the daemon died or closed it). */
        CONNECTION_LOST
    }

    private final Reason reason;

    /**
     * xenstored cannot be reached.
     *
     * @param call      the libxenstore call
     * @param arguments its arguments, for messages
     * @param errno     the errno it ended with
     * @param reason    whether the daemon is not running, did not answer in time, or went away
     * @param detail    what that means and what to do
     */
    public StoreUnreachableException(String call, String arguments, int errno, Reason reason, String detail) {
        super(call, arguments, errno, detail);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /**
     * Why xenstored cannot be reached.
     *
     * @return the reason
     */
    public Reason reason() {
        return reason;
    }
}
