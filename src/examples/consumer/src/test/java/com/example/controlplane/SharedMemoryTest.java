package com.example.controlplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xensshm.engine.ReconcileReport;
import org.xensshm.testkit.memory.InMemoryHost;

/** The control plane's example over the test kit's in-memory host: no Xen, no native code. */
class SharedMemoryTest {

    @Test
    void theReadmeExampleRunsInMemory(@TempDir Path dir) throws Exception {
        InMemoryHost host = new InMemoryHost();
        host.createDomain(1, 0x100, 256);        // vm1's RAM backs the region
        host.createDomain(2, 0x40000, 16);
        Path vm2 = Files.writeString(dir.resolve("vm2.cfg"), """
                name = "vm2"
                static_shm = [ "id=ID1, begin=0x500000, size=0x100000, role=borrower" ]
                """);

        ReconcileReport report = SharedMemory.shareAndRelease(host.hypervisor(), host.store(), vm2);

        assertTrue(report.isEmpty(), report.toString());
        assertEquals(16, host.hypervisor().mappedPages(2), "vm2 keeps only its own RAM");
        assertTrue(host.store().dump().keySet().stream().noneMatch(path -> path.startsWith("/libxl")),
                "no record is left");
    }
}
