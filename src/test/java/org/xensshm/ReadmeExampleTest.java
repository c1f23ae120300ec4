package org.xensshm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xensshm.backend.xen.XenHypervisor;
import org.xensshm.backend.xen.XenStoreBackend;
import org.xensshm.engine.ReconcileReport;
import org.xensshm.engine.StaticShmEngine;
import org.xensshm.spec.Role;
import org.xensshm.spec.SpecValidator;
import org.xensshm.spec.SshmSpec;
import org.xensshm.spec.XlConfigParser;
import org.xensshm.testbed.GuestDomains;
import org.xensshm.testbed.NativeTestBed;
import org.xensshm.testbed.SimulatedHypervisor;
import org.xensshm.xen.XenStore;

/** The library example of README.md, run as written against the test bed. */
@NativeTestBed
class ReadmeExampleTest {

    @Test
    void theReadmeExampleWorks(SimulatedHypervisor sim, @TempDir Path dir) throws Exception {
        try (XenStore xs = XenStore.open()) {
            for (int domid : new int[] {1, 2}) {
                GuestDomains.create(sim, xs, domid);
                sim.populate(domid, 0x40000, 16);
            }
        }
        sim.populate(1, 0x100, 256);
        Files.writeString(dir.resolve("vm2.cfg"), """
                name = "vm2"
                static_shm = [ "id=ID1, begin=0x500000, size=0x100000, role=borrower" ]
                """);
        Path vm2Config = dir.resolve("vm2.cfg");

        // --- README example, from here ---
        try (XenHypervisor xen = XenHypervisor.open(); XenStoreBackend store = XenStoreBackend.open()) {
            StaticShmEngine engine = new StaticShmEngine(xen, store);

            // vm1 (domain 1) offers 1 MiB of its RAM as region ID1; specs built in code ...
            List<SshmSpec> vm1 = SpecValidator.validate("vm1", List.of(
                    SshmSpec.builder("ID1").role(Role.OWNER).begin(0x100000).size(0x100000).build()),
                    xen.platform());
            // ... or read from an xl config: vm2 (domain 2) maps all of ID1 at its 0x500000
            List<SshmSpec> vm2 = SpecValidator.validate(XlConfigParser.parse(vm2Config), xen.platform());

            engine.attach(1, vm1);    // owners first: records the region in xenstore
            engine.attach(2, vm2);    // maps vm1's pages into vm2, or fails and leaves nothing

            // ... the guests share memory ...

            engine.detach(2);         // unmaps, drops vm2's entries and its count
            engine.detach(1);         // the region's record goes with its last user

            // After a toolstack crash: finish or undo whatever was half done.
            ReconcileReport report = engine.reconcile();
            // --- to here ---

            assertTrue(report.isEmpty(), report.toString());
        }
        assertEquals(1, sim.opCount(SimulatedHypervisor.Op.ADD_TO_PHYSMAP_BATCH), "vm2's 256 pages in one call");
        assertEquals(256, sim.opCount(SimulatedHypervisor.Op.REMOVE_FROM_PHYSMAP), "and unmapped one by one");
        assertEquals(16, sim.mappedPages(2), "vm2 keeps only its own RAM");
        try (XenStore xs = XenStore.open()) {
            assertEquals(List.of(), xs.directory(XenStore.NO_TRANSACTION, "/libxl"));
        }
    }
}
