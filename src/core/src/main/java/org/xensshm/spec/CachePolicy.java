package org.xensshm.spec;

import java.util.Locale;
import java.util.Optional;

/** Stage-2 memory attributes an owner asks for; each belongs to one platform. */
public enum CachePolicy {
    /** Arm's normal memory, the only policy an Arm host takes. */
    ARM_NORMAL(Platform.ARM, "ARM_normal"),
    /** x86's normal memory (x86 hosts are refused). */
    X86_NORMAL(Platform.X86, "x86_normal");

    private final Platform platform;
    private final String configName;

    CachePolicy(Platform platform, String configName) {
        this.platform = platform;
        this.configName = configName;
    }

    /**
     * The platform the policy belongs to.
     *
     * @return the platform
     */
    public Platform platform() {
        return platform;
    }

    /**
     * The spelling used in xl configs and in the seed's xenstore records.
     *
     * @return the name xl configs use
     */
    public String configName() {
        return configName;
    }

    /**
     * Reads a config's {@code cache_policy}, ignoring case and surrounding spaces.
     *
     * @param text the value
     * @return the policy, or empty for an unknown name
     */
    public static Optional<CachePolicy> parse(String text) {
        String wanted = text.strip().toLowerCase(Locale.ROOT);
        for (CachePolicy policy : values()) {
            if (policy.configName.toLowerCase(Locale.ROOT).equals(wanted)) {
                return Optional.of(policy);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return configName;
    }
}
