package org.xensshm.spec;

import java.util.Locale;
import java.util.Optional;

/** Which side of a shared region a domain is on. */
public enum Role {
    /** Backs the region with its own RAM (the seed's "master"). */
    OWNER("master"),
    /** Maps the owner's pages into its own physmap (the seed's "slave"). */
    BORROWER("slave");

    private final String seedName;

    Role(String seedName) {
        this.seedName = seedName;
    }

    /**
     * The word the seed's C toolstack writes into xenstore, kept for host compatibility.
     *
     * @return {@code master} or {@code slave}
     */
    public String seedName() {
        return seedName;
    }

    /**
     * Accepts owner/borrower and the seed's master/slave, case-insensitively.
     *
     * @param text a config's {@code role} value
     * @return the role, or empty for an unknown word
     */
    public static Optional<Role> parse(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "owner", "master" -> Optional.of(OWNER);
            case "borrower", "slave" -> Optional.of(BORROWER);
            default -> Optional.empty();
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
