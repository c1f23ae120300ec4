package org.xensshm.xen;

import java.util.Objects;

/**
 * Whether the native host can be used here, and if not, why: the same hint that
 * {@link XenHost#open()} would throw, without the exception.
 *
 * @param available whether {@link XenHost#open()} succeeded just now
 * @param reason    empty when available; otherwise what is missing and how to provide it
 */
public record Availability(boolean available, String reason) {

    /** Checks that a reason goes with unavailability, and only with it. */
    public Availability {
        Objects.requireNonNull(reason, "reason");
        if (available != reason.isEmpty()) {
            throw new IllegalArgumentException("a reason goes with unavailability, and only with it");
        }
    }

    static Availability yes() {
        return new Availability(true, "");
    }

    static Availability no(String reason) {
        return new Availability(false, reason);
    }
}
