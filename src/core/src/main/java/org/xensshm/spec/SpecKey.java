package org.xensshm.spec;

import java.util.Optional;

/** The keys of one static_shm spec, as written in xl configs and named in {@link SpecProblem}s. */
public enum SpecKey {
    /** The region's id. */
    ID("id"),
    /** Owner or borrower. */
    ROLE("role"),
    /** The first guest-physical address. */
    BEGIN("begin"),
    /** The address past the region. */
    END("end"),
    /** The region's size. */
    SIZE("size"),
    /** Where a borrower's window starts in the owner's region. */
    OFFSET("offset"),
    /** The access granted or asked for. */
    PROT("prot"),
    /** The owner's cache policy. */
    CACHE_POLICY("cache_policy");

    private final String configKey;

    SpecKey(String configKey) {
        this.configKey = configKey;
    }

    /**
     * The key as xl configs write it.
     *
     * @return the key
     */
    public String configKey() {
        return configKey;
    }

    /**
     * Exact, case-sensitive match, as xl matches its keys.
     *
     * @param key a key as a config writes it
     * @return the key, or empty for an unknown one
     */
    public static Optional<SpecKey> fromConfigKey(String key) {
        for (SpecKey candidate : values()) {
            if (candidate.configKey.equals(key)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return configKey;
    }
}
