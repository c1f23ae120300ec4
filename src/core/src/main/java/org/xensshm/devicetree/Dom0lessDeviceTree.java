package org.xensshm.devicetree;

import java.util.stream.LongStream;

/**
 * Writes a {@link Dom0lessExport}'s nodes as device-tree source: under {@code /chosen}, each
 * sharing domain's node with one {@code xen,domain-shared-memory-v1} child per region, holding
 * {@code xen,shm-id}, {@code role} and {@code xen,shared-mem = <[host] guest size>} in the cells of
 * that domain node. Alone, the domain nodes also get {@code compatible = "xen,domain"} so that the
 * text reads as what it is; merged into a host tree, the host's domain nodes are left as they are.
 */
public final class Dom0lessDeviceTree {

    /** The nodes' compatible string. */
    public static final String COMPATIBLE = "xen,domain-shared-memory-v1";

    private Dom0lessDeviceTree() {
    }

    static String render(Dom0lessExport export, boolean header) {
        boolean standalone = header;
        Dts dts = new Dts(header)
                .blank()
                .comment("Static shared memory for the dom0less domains "
                        + String.join(", ", export.plan().creationOrder()) + ", written by xen-sshm dom0less.")
                .comment(standalone
                        ? "Merge it into the host device tree, whose domain nodes also hold each domain's kernel,"
                        : "dtc merges these nodes into the domain nodes of the same path, which hold each domain's")
                .comment((standalone ? "memory and cpus. " : "kernel, memory and cpus. ")
                        + "xen,shared-mem is <" + (export.xenAllocated() ? "" : "host ")
                        + "guest size> in its domain node's cells"
                        + (export.xenAllocated() ? "; Xen allocates the host memory (4.19+)." : "."))
                .open("/")
                .open("chosen");
        for (Dom0lessExport.DomainShares domain : export.domains()) {
            dts.blank()
                    .comment(domain.domain() + ": written for " + domain.cells())
                    .open(domain.nodeName());
            if (standalone) {
                dts.string("compatible", "xen,domain");
            }
            for (Dom0lessExport.Share share : domain.shares()) {
                dts.blank()
                        .open(share.nodeName())
                        .string("compatible", COMPATIBLE)
                        .string("xen,shm-id", share.id())
                        .string("role", share.role().toString())
                        .cells("xen,shared-mem", sharedMem(share, domain.cells()))
                        .close();
            }
            dts.close();
        }
        return dts.close().close().text();
    }

    /** {@code <host guest size>}, or {@code <guest size>} when Xen allocates the region. */
    private static long[] sharedMem(Dom0lessExport.Share share, Cells cells) {
        LongStream.Builder out = LongStream.builder();
        share.hostAddress().ifPresent(host -> LongStream.of(Dts.split(host, cells.address())).forEach(out));
        LongStream.of(Dts.split(share.guestAddress(), cells.address())).forEach(out);
        LongStream.of(Dts.split(share.size(), cells.size())).forEach(out);
        return out.build().toArray();
    }
}
