package org.xensshm.devicetree;

import org.xensshm.spec.DomainSpecs;
import org.xensshm.spec.Role;
import org.xensshm.spec.SshmSpec;

/**
 * How a guest learns of its shared regions: a device-tree fragment with one {@code /reserved-memory}
 * child per region, in the form of Linux's xen,shared-memory-v1 binding (the guest-physical range,
 * the region id and, for a borrower, where in the owner's region its window starts).
 */
public final class GuestDeviceTree {

    /** The nodes' compatible string. */
    public static final String COMPATIBLE = "xen,shared-memory-v1";

    private GuestDeviceTree() {
    }

    /**
     * The fragment for one domain's regions, as device-tree source that dtc compiles.
     *
     * @param domain the domain's checked specs
     * @return the fragment as device-tree source
     */
    public static String render(DomainSpecs domain) {
        Dts dts = new Dts()
                .blank()
                .comment("Static shared memory of domain " + domain.name() + " (" + domain.source() + "),")
                .comment("for its guest device tree; written by xen-sshm dt.")
                // Two cells for addresses and sizes everywhere, as Xen's Arm guest trees have.
                .open("/")
                .cells("#address-cells", 2)
                .cells("#size-cells", 2)
                .blank()
                .open("reserved-memory")
                .cells("#address-cells", 2)
                .cells("#size-cells", 2)
                .flag("ranges");
        for (SshmSpec spec : domain.specs()) {
            dts.blank()
                    .comment(spec.role() + " of region " + spec.id())
                    .open("xen-shmem@" + Long.toHexString(spec.begin()))
                    .string("compatible", COMPATIBLE)
                    .cells("reg", Dts.u64(spec.begin(), spec.size()))
                    .string("xen,id", spec.id());
            if (spec.role() == Role.BORROWER) {
                dts.cells("xen,offset", Dts.u64(spec.offset()));
            }
            dts.close();
        }
        return dts.close().close().text();
    }
}
