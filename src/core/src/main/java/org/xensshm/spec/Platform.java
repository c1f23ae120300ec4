package org.xensshm.spec;

import java.util.Optional;

/** The Xen host's architecture family, as the hypervisor reports it. */
public enum Platform {
    /** Arm: Xen shares memory between domUs. */
    ARM,
    /** x86: refused, Xen x86 cannot map one domU's pages into another. */
    X86;

    /**
     * Reads the hypervisor's capabilities string (XENVER_capabilities), e.g.
     * {@code "xen-3.0-aarch64 xen-3.0-armv7l "} or {@code "xen-3.0-x86_64 hvm-3.0-x86_32 "}.
     *
     * @param capabilities what the hypervisor reports, e.g. {@code xen-3.0-aarch64}
     * @return the platform, or empty when it is neither
     */
    public static Optional<Platform> fromCapabilities(String capabilities) {
        if (capabilities.contains("aarch64") || capabilities.contains("armv7")) {
            return Optional.of(ARM);
        }
        if (capabilities.contains("x86_64") || capabilities.contains("x86_32")) {
            return Optional.of(X86);
        }
        return Optional.empty();
    }

    /**
     * The cache policy an owner gets when its spec names none.
     *
     * @return the policy an owner gets when its config sets none
     */
    public CachePolicy defaultCachePolicy() {
        return this == ARM ? CachePolicy.ARM_NORMAL : CachePolicy.X86_NORMAL;
    }
}
