package org.xensshm.engine;

import java.io.Serial;

import org.xensshm.host.XenCallException;

/** A hypercall or a xenstore operation failed as a whole while the engine was doing a step. */
public final class BackendFailureException extends SshmException {

    @Serial
    private static final long serialVersionUID = 1L;

    BackendFailureException(int domid, String regionId, String step, XenCallException cause) {
        super(domid, regionId, step + " failed: " + cause.getMessage(), cause);
    }

    /**
     * The failed call, with its errno.
     *
     * @return the call that failed, with its errno
     */
    public XenCallException call() {
        return (XenCallException) getCause();
    }
}
