package org.xensshm.testkit.fault;

import java.util.Objects;

/** What happens to the operation a {@link FaultInjector} is armed for. */
public sealed interface Fault {

    /**
     * The operation is not performed and throws {@code XenCallException} with this errno.
     *
     * @param errno the positive errno
     */
    record Fail(int errno) implements Fault {
        /** Checks that the errno is positive. */
        public Fail {
            if (errno <= 0) {
                throw new IllegalArgumentException("errno must be positive: " + errno);
            }
        }
    }

    /** The toolstack dies just before the operation: it is not performed; {@link SimulatedCrash}. */
    record CrashBefore() implements Fault {
    }

    /** The toolstack dies just after the operation took effect: {@link SimulatedCrash}. */
    record CrashAfter() implements Fault {
    }

    /**
     * Something happens to the world just before the operation, which then goes ahead as usual:
     * the daemon it talks to is stopped, the process is frozen to be killed, ... The action runs on
     * the thread that makes the operation.
     *
     * @param action what happens
     */
    record Before(Runnable action) implements Fault {
        /** Checks that there is an action. */
        public Before {
            Objects.requireNonNull(action, "action");
        }
    }

    /**
     * The operation fails with this errno.
     *
     * @param errno the positive errno
     * @return the fault
     */
    static Fault fail(int errno) {
        return new Fail(errno);
    }

    /**
     * The toolstack dies just before the operation.
     *
     * @return the fault
     */
    static Fault crashBefore() {
        return new CrashBefore();
    }

    /**
     * The toolstack dies just after the operation.
     *
     * @return the fault
     */
    static Fault crashAfter() {
        return new CrashAfter();
    }

    /**
     * Something happens just before the operation, which then goes ahead.
     *
     * @param action what happens, on the operation's thread
     * @return the fault
     */
    static Fault before(Runnable action) {
        return new Before(action);
    }
}
