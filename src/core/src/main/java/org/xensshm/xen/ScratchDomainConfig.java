package org.xensshm.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.xensshm.ffi.xen_arch_domainconfig;
import org.xensshm.ffi.xen_domctl_createdomain;
import org.xensshm.ffi.xen_h;

/**
 * How a scratch domain is made on Arm: the XEN_DOMCTL_createdomain configuration libxl would send
 * for a guest with one vcpu and no devices (libxl_create.c, libxl__domain_make; libxl_arm.c,
 * libxl__arch_domain_prepare_config), and the step before it can hold RAM. Xen creates it paused,
 * its vcpu is never brought up, so it never runs.
 */
final class ScratchDomainConfig {

    /** "Xen's default" for a grant table limit. */
    private static final int XEN_DEFAULT = -1;

    private ScratchDomainConfig() {
    }

    static MemorySegment arm(Arena arena) {
        MemorySegment config = xen_domctl_createdomain.allocate(arena);
        config.fill((byte) 0);
        xen_domctl_createdomain.flags(config, xen_h.XEN_DOMCTL_CDF_hvm() | xen_h.XEN_DOMCTL_CDF_hap());
        xen_domctl_createdomain.max_vcpus(config, 1);
        xen_domctl_createdomain.max_evtchn_port(config, 1023);
        xen_domctl_createdomain.max_grant_frames(config, XEN_DEFAULT);
        xen_domctl_createdomain.max_maptrack_frames(config, XEN_DEFAULT);
        // Grant table version 1: Arm refuses 0 and, by default, 2 (grant_table_init).
        xen_domctl_createdomain.grant_opts(config, 1);
        MemorySegment arch = xen_domctl_createdomain.arch(config);
        xen_arch_domainconfig.gic_version(arch, (byte) xen_h.XEN_DOMCTL_CONFIG_GIC_NATIVE());
        xen_arch_domainconfig.tee_type(arch, (short) xen_h.XEN_DOMCTL_CONFIG_TEE_NONE());
        return config;
    }

    static String describe(MemorySegment config) {
        return "flags=0x" + Integer.toHexString(xen_domctl_createdomain.flags(config))
                + ", max_vcpus=" + xen_domctl_createdomain.max_vcpus(config) + ", gic native";
    }

    /**
     * What a new domain needs before it can be given RAM: a memory limit (max_pages starts at 0).
     * The P2M pool every Arm domain starts with (16 pages in 4.17) covers a few pages' tables.
     */
    static void prepare(XenControl xen, int domid, long maxPages) {
        xen.setMaxMemory(domid, maxPages);
    }
}
