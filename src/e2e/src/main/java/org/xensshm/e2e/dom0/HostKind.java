package org.xensshm.e2e.dom0;

import java.util.Locale;

/** Which hypervisor the emulated host booted: what the driver expects of it. */
enum HostKind {
    /** Debian's Xen 4.17: no gmfn_share; gmfn_foreign between domUs only for a device model. */
    STOCK,
    /** The vendor's Xen 4.17 with the static shm series as shipped: gmfn_share holds no page reference. */
    SERIES,
    /** The same source with the page reference kept: gmfn_share behaves like gmfn_foreign. */
    SERIES_FIXED;

    /** The name on the kernel command line and in the host's test names: stock, series, series-fixed. */
    String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static HostKind of(String label) {
        for (HostKind kind : values()) {
            if (kind.label().equals(label)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown host kind '" + label + "' (stock, series, series-fixed)");
    }
}
