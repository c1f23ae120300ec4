package com.example.controlplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xensshm.engine.ReconcileReport;
import org.xensshm.testkit.junit.NativeTestBed;
import org.xensshm.testkit.testbed.GuestDomains;
import org.xensshm.testkit.testbed.SimulatedHypervisor;
import org.xensshm.xen.XenHost;

/**
 * The control plane's example over the native stack, as on a Xen host: the real libxenctrl and
 * libxenstore, here against the test kit's user-space Xen.
 */
@NativeTestBed
class SharedMemoryOnTestBedTest {

    @Test
    void theReadmeExampleRunsOnTheNativeStack(SimulatedHypervisor sim, @TempDir Path dir) throws Exception {
        Path vm2 = Files.writeString(dir.resolve("vm2.cfg"), """
                name = "vm2"
                static_shm = [ "id=ID1, begin=0x500000, size=0x100000, role=borrower" ]
                """);
        ReconcileReport report;
        try (XenHost host = XenHost.open()) {
            for (int domid : new int[] {1, 2}) {
                GuestDomains.create(sim, host.store(), domid);
                sim.populate(domid, 0x40000, 16);
            }
            sim.populate(1, 0x100, 256);

            report = SharedMemory.shareAndRelease(host.hypervisor(), host.store(), vm2);

            assertEquals(List.of(), host.store().list(0, "/libxl"));
        }
        assertTrue(report.isEmpty(), report.toString());
        // vm2's 256 pages in one call, after the two one-page calls of the hypervisor self-test
        // that the first sharing on a hypervisor runs
        assertEquals(3, sim.opCount(SimulatedHypervisor.Op.ADD_TO_PHYSMAP_BATCH));
        assertEquals(16, sim.mappedPages(2), "vm2 keeps only its own RAM");
    }
}
