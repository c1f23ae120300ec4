package org.xensshm.e2e.dom0;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.Map;

import org.xensshm.engine.EngineSettings;
import org.xensshm.engine.StaticShmEngine;
import org.xensshm.ffi.xen_h;
import org.xensshm.host.Errno;

/**
 * Whether a borrower can be made read-only after the fact: its window is mapped read-write (the
 * only way XENMEM_add_to_physmap_batch maps), then restricted to reads with Xen's memory access
 * API ({@code xc_set_mem_access}, XENMEM_access_r). The guest then reads its window and tries one
 * write; what the guest saw, what the owner's page holds afterwards and the window's access are
 * reported, and checked against what the README says the hypervisor does.
 */
final class ReadOnlyProbe {

    private static final int PAGES = 4;
    /** What the guest writes at window + 8: "RO-WRITE" in memory order, and as dom0 reads it back. */
    private static final String WRITTEN = "0x45544952572d4f52";
    private static final String WRITTEN_BYTES = "524f2d5752495445";

    private ReadOnlyProbe() {
    }

    static Scenario probe(EngineSettings settings) {
        return Scenario.of("read-only-borrower", lab -> {
            Lab.Guest owner = lab.create("ro-owner", 16);
            Lab.Guest borrower = lab.create("ro-borrower", 16);
            long first = Regions.gfn(Regions.OWNER_BASE);
            lab.stamp(owner, first, PAGES);
            StaticShmEngine engine = lab.engine(settings);
            engine.attach(owner.domid(), lab.specs(owner, Regions.owner("readonly", PAGES)));
            engine.attach(borrower.domid(), lab.specs(borrower, Regions.borrower("readonly", 0, PAGES)));
            long window = Regions.gfn(Lab.WINDOW_BASE);

            MemorySegment xch = xen_h.xc_interface_open(MemorySegment.NULL, MemorySegment.NULL, 0);
            try {
                String set = restrictToReads(xch, borrower.domid(), window);
                lab.report.note("xc_set_mem_access(XENMEM_access_r) on the window: " + set);
                // What the README states: these builds have no memory access API (CONFIG_MEM_ACCESS is
                // off on Arm by default), so nothing can take write access back from the window.
                lab.report.equal("no-memory-access-api", "rc=-1 ENOSYS", set);
                lab.report.note("access before the write: " + access(xch, borrower.domid(), window));

                long gen = Long.parseLong(Peek.run("guest-setup", borrower.domid(), Lab.WINDOW_BASE, 1, WRITTEN)
                        .get("gen"));
                Xl.unpause(borrower.name());
                Peek.seen(borrower.domid(), gen);
                // The write comes after the first good read; a stuck store is ended by the guest's timer.
                Lab.pause(Duration.ofSeconds(1));
                Map<String, String> seen = Peek.run("guest-report", borrower.domid());
                String ownerWord = lab.ownerBytes(owner, first).substring(16, 32);
                lab.report.note("the guest: fault=" + seen.get("fault") + " wprobe=" + seen.get("wprobe") + " wback="
                        + seen.get("wback") + " bytes=" + seen.get("bytes"));
                lab.report.note("the owner's page at +8 after the write: " + ownerWord
                        + (ownerWord.equals(WRITTEN_BYTES) ? " (written by the borrower)" : " (unchanged)"));
                lab.report.note("access after the write: " + access(xch, borrower.domid(), window));

                // And so the borrower's write reaches the owner.
                lab.report.equal("write-not-refused", "ok", seen.get("wprobe"));
                lab.report.equal("owner-page-written", WRITTEN_BYTES, ownerWord);
            } finally {
                xen_h.xc_interface_close(xch);
            }
            engine.detach(borrower.domid());
            engine.detach(owner.domid());
        });
    }

    /** xc_set_mem_access(XENMEM_access_r) on the window: "ok", or the errno it failed with. */
    private static String restrictToReads(MemorySegment xch, int domid, long first) {
        StructLayout state = Linker.Option.captureStateLayout();
        MethodHandle call = Linker.nativeLinker().downcallHandle(xen_h.xc_set_mem_access$address(),
                xen_h.xc_set_mem_access$descriptor(), Linker.Option.captureCallState("errno"));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment captured = arena.allocate(state);
            int rc = (int) call.invokeExact(captured, xch, domid, xen_h.XENMEM_access_r(), first, PAGES);
            int errno = (int) state.varHandle(MemoryLayout.PathElement.groupElement("errno")).get(captured, 0L);
            return rc == 0 ? "ok" : "rc=" + rc + " " + Errno.name(errno);
        } catch (Throwable t) {
            throw new IllegalStateException("xc_set_mem_access: " + t, t);
        }
    }

    /** The access of one gfn of the domain: r, rw, rwx, ..., or the call's failure. */
    private static String access(MemorySegment xch, int domid, long gfn) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
            int rc = xen_h.xc_get_mem_access(xch, domid, gfn, value);
            if (rc != 0) {
                return "rc=" + rc;
            }
            int access = value.get(ValueLayout.JAVA_INT, 0);
            return access == xen_h.XENMEM_access_r() ? "r" : access == xen_h.XENMEM_access_rw() ? "rw"
                    : access == xen_h.XENMEM_access_rwx() ? "rwx" : access == xen_h.XENMEM_access_n() ? "n"
                    : "value " + access;
        }
    }
}
