package org.xensshm.testkit.fault;

import java.io.Serial;

/**
 * Thrown by a {@link FaultInjector} to stand for the toolstack process dying. It is an
 * {@link Error} so that the engine's rollback (which handles exceptions) does not run, as it
 * would not in a dead process; only what a dying process also loses happens on the way out
 * (open transactions abort, off-heap buffers are freed).
 */
public final class SimulatedCrash extends Error {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * The crash, named by the operation it hit.
     *
     * @param message which operation, and before or after it
     */
    public SimulatedCrash(String message) {
        super(message, null, false, false);
    }
}
