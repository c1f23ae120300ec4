package org.xensshm.testkit.fault;

import java.util.Objects;

/** What happens to the operation a {@link FaultInjector} is armed for. */
public sealed interface Fault {

    /** The operation is not performed and throws {@code XenCallException} with this errno. */
    record Fail(int errno) implements Fault {
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
     */
    record Before(Runnable action) implements Fault {
        public Before {
            Objects.requireNonNull(action, "action");
        }
    }

    static Fault fail(int errno) {
        return new Fail(errno);
    }

    static Fault crashBefore() {
        return new CrashBefore();
    }

    static Fault crashAfter() {
        return new CrashAfter();
    }

    static Fault before(Runnable action) {
        return new Before(action);
    }
}
