package org.xensshm.spec;

import java.util.Optional;

/** The keys of one static_shm spec, as written in xl configs and named in {@link SpecProblem}s. */
public enum SpecKey {
    ID("id"),
    ROLE("role"),
    BEGIN("begin"),
    END("end"),
    SIZE("size"),
    OFFSET("offset"),
    PROT("prot"),
    CACHE_POLICY("cache_policy");

    private final String configKey;

    SpecKey(String configKey) {
        this.configKey = configKey;
    }

    public String configKey() {
        return configKey;
    }

    /** Exact, case-sensitive match, as xl matches its keys. */
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
