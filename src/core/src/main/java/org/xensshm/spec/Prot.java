package org.xensshm.spec;

import java.util.Locale;
import java.util.Optional;

/**
 * Access to a shared region. For an owner it is the most any borrower may get; for a borrower,
 * what it asks for. Ordered: a later constant grants everything an earlier one does.
 */
public enum Prot {
    /** Read-only. */
    RO,
    /** Read and write. */
    RW;

    /**
     * Whether a region granting {@code this} may be mapped by a borrower asking {@code asked}.
     *
     * @param asked what a borrower asks for
     * @return true when this grants it
     */
    public boolean grants(Prot asked) {
        return asked.ordinal() <= ordinal();
    }

    /**
     * Accepts {@code ro} and {@code rw}, case-insensitively.
     *
     * @param text a config's {@code prot} value
     * @return the access, or empty for an unknown word
     */
    public static Optional<Prot> parse(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "ro" -> Optional.of(RO);
            case "rw" -> Optional.of(RW);
            default -> Optional.empty();
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
