package org.xensshm.cli.command;

import java.io.Serial;
import java.util.Objects;

/**
 * The host a command needs cannot be reached, diagnosed before the Xen libraries are asked (they
 * would print a complaint of their own and blame the wrong thing): no Xen here, or a test bed
 * that is gone. Carries the stable code programs read from {@code --json}.
 */
public final class HostUnreachableException extends RuntimeException {

    @Serial
    private static final long serialVersionUID = 1L;

    private final String type;
    private final String reason;

    HostUnreachableException(String type, String reason, String message) {
        super(message);
        this.type = Objects.requireNonNull(type, "type");
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** e.g. {@code TESTBED_GONE}. */
    public String type() {
        return type;
    }

    /** e.g. {@code ENOENT}; empty when the type says it all. */
    public String reason() {
        return reason;
    }
}
