package org.xensshm.xen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xensshm.host.DomainInfo;
import org.xensshm.host.Errno;
import org.xensshm.host.MapSpace;
import org.xensshm.host.PageBatch;
import org.xensshm.host.XenCallException;
import org.xensshm.testkit.junit.NativeTestBed;
import org.xensshm.testkit.testbed.SimulatedHypervisor;

/** XenControl through the real libxenctrl 4.17, over the simulated hypervisor. */
@NativeTestBed
class XenControlNativeTest {

    private static final int OWNER = 1;
    private static final int BORROWER = 2;
    private static final long OWNER_GFN = 0x100;
    private static final long BORROWER_GFN = 0x500;

    private SimulatedHypervisor sim;
    private XenControl xen;

    @BeforeEach
    void open(SimulatedHypervisor sim) {
        this.sim = sim;
        sim.createDomain(OWNER);
        sim.createDomain(BORROWER);
        xen = XenControl.open();
    }

    @AfterEach
    void close() {
        xen.close();
    }

    @Test
    void reportsAnArm64HostRunningXen417() {
        assertTrue(xen.capabilities().contains("aarch64"), xen.capabilities());
        assertEquals("4.17", xen.version());
    }

    @Test
    void mapsPagesAndReportsEachPagesResult() {
        sim.populate(OWNER, OWNER_GFN, 2);               // pages 0 and 1 exist, page 2 does not
        sim.populate(BORROWER, BORROWER_GFN + 1, 1);     // target of entry 1 is already RAM
        try (PageBatch batch = PageBatch.allocate(3)) {
            batch.fillRange(OWNER_GFN, BORROWER_GFN, 3);
            xen.addToPhysmapBatch(BORROWER, OWNER, MapSpace.GMFN_SHARE, batch);

            assertEquals(0, batch.error(0), "populated source, free target");
            assertEquals(0, batch.error(1), "occupied target: Xen on Arm replaces the mapping");
            assertEquals(-Errno.EINVAL, batch.error(2), "unpopulated source page");
        }
        assertEquals(1, sim.replacedMappings());
        assertEquals(sim.frameOf(OWNER, OWNER_GFN), sim.frameOf(BORROWER, BORROWER_GFN));
        assertTrue(sim.isForeign(BORROWER, BORROWER_GFN + 1));
        assertTrue(sim.frameOf(BORROWER, BORROWER_GFN + 2).isEmpty());
    }

    @Test
    void missingDomainIsATypedErrorNamingTheCall() {
        sim.populate(OWNER, OWNER_GFN, 1);
        try (PageBatch batch = PageBatch.allocate(1)) {
            batch.fillRange(OWNER_GFN, BORROWER_GFN, 1);
            XenCallException e = assertThrows(XenCallException.class,
                    () -> xen.addToPhysmapBatch(77, OWNER, MapSpace.GMFN_SHARE, batch));
            assertEquals(Errno.ESRCH, e.errno());
            assertEquals("xc_domain_add_to_physmap_batch", e.call());
            assertTrue(e.getMessage().contains("domid=77"), e.getMessage());
            assertEquals(PageBatch.NOT_ATTEMPTED, batch.error(0));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {65535, 65536, 200000})
    void mapsLargeRegionsInFullAcrossTheUint16Limit(int pages) {
        sim.populate(OWNER, OWNER_GFN, pages);
        long before = sim.opCount(SimulatedHypervisor.Op.ADD_TO_PHYSMAP_BATCH);
        try (PageBatch batch = PageBatch.allocate(pages)) {
            batch.fillRange(OWNER_GFN, BORROWER_GFN + 0x100000, pages);
            xen.addToPhysmapBatch(BORROWER, OWNER, MapSpace.GMFN_SHARE, batch);
            for (int i = 0; i < pages; i++) {
                if (batch.error(i) != 0) {
                    throw new AssertionError("page " + i + " failed: " + batch.error(i));
                }
            }
        }
        assertEquals(pages, sim.mappedPages(BORROWER));
        assertEquals((pages + XenControl.MAX_BATCH - 1) / XenControl.MAX_BATCH,
                sim.opCount(SimulatedHypervisor.Op.ADD_TO_PHYSMAP_BATCH) - before);
        assertEquals(sim.frameOf(OWNER, OWNER_GFN + pages - 1),
                sim.frameOf(BORROWER, BORROWER_GFN + 0x100000 + pages - 1));
    }

    @Test
    void bytesWrittenThroughTheOwnerAreReadThroughTheBorrower() {
        sim.populate(OWNER, OWNER_GFN, 2);
        try (PageBatch batch = PageBatch.allocate(2)) {
            batch.fillRange(OWNER_GFN, BORROWER_GFN, 2);
            xen.addToPhysmapBatch(BORROWER, OWNER, MapSpace.GMFN_SHARE, batch);
        }
        byte[] message = "written by the owner, across a page boundary".getBytes(StandardCharsets.UTF_8);
        long offset = 4096 - 10;
        sim.write(OWNER, (OWNER_GFN << 12) + offset, message);
        assertArrayEquals(message, sim.read(BORROWER, (BORROWER_GFN << 12) + offset, message.length));
    }

    @Test
    void removesMappingsAndReportsAnUnmappedPage() {
        sim.populate(OWNER, OWNER_GFN, 1);
        try (PageBatch batch = PageBatch.allocate(1)) {
            batch.fillRange(OWNER_GFN, BORROWER_GFN, 1);
            xen.addToPhysmapBatch(BORROWER, OWNER, MapSpace.GMFN_SHARE, batch);
        }
        xen.removeFromPhysmap(BORROWER, BORROWER_GFN);
        assertTrue(sim.frameOf(BORROWER, BORROWER_GFN).isEmpty());
        assertTrue(sim.frameOf(OWNER, OWNER_GFN).isPresent(), "the owner keeps its page");

        XenCallException e = assertThrows(XenCallException.class, () -> xen.removeFromPhysmap(BORROWER, BORROWER_GFN));
        assertEquals("xc_domain_remove_from_physmap", e.call());
        assertTrue(e.getMessage().contains("gpfn=0x500"), e.getMessage());
    }

    @Test
    void stockXenRefusesTheSeedsMapSpaceAndForeignMappingsBetweenDomUs() {
        sim.personality(SimulatedHypervisor.Personality.STOCK);
        sim.populate(OWNER, OWNER_GFN, 2);
        try (PageBatch batch = PageBatch.allocate(2)) {
            batch.fillRange(OWNER_GFN, BORROWER_GFN, 2);
            xen.addToPhysmapBatch(BORROWER, OWNER, MapSpace.GMFN_SHARE, batch);
            assertEquals(-Errno.ENOSYS, batch.error(0));
            assertEquals(-Errno.ENOSYS, batch.error(1));

            xen.addToPhysmapBatch(BORROWER, OWNER, MapSpace.GMFN_FOREIGN, batch);
            assertEquals(-Errno.EPERM, batch.error(0));
            assertEquals(-Errno.EPERM, batch.error(1));
        }
        assertEquals(0, sim.mappedPages(BORROWER));
    }

    @Test
    void injectedFaultsReachTheCaller() {
        sim.populate(OWNER, OWNER_GFN, 2);
        sim.failGfn(BORROWER, BORROWER_GFN + 1, Errno.ENOMEM);
        try (PageBatch batch = PageBatch.allocate(2)) {
            batch.fillRange(OWNER_GFN, BORROWER_GFN, 2);
            xen.addToPhysmapBatch(BORROWER, OWNER, MapSpace.GMFN_SHARE, batch);
            assertEquals(0, batch.error(0));
            assertEquals(-Errno.ENOMEM, batch.error(1));
        }
        sim.failNth(SimulatedHypervisor.Op.REMOVE_FROM_PHYSMAP, 1, Errno.EBUSY);
        XenCallException e = assertThrows(XenCallException.class, () -> xen.removeFromPhysmap(BORROWER, BORROWER_GFN));
        assertEquals(Errno.EBUSY, e.errno());
    }

    /** One multicall of removals through libxencall, each entry with its own result. */
    @Test
    void removesABatchInOneMulticallWithAResultPerEntry() {
        sim.populate(OWNER, OWNER_GFN, 4);
        try (PageBatch batch = PageBatch.allocate(5)) {
            batch.fillRange(OWNER_GFN, BORROWER_GFN, 4);
            xen.addToPhysmapBatch(BORROWER, OWNER, MapSpace.GMFN_SHARE, batch);
            sim.failGfn(BORROWER, BORROWER_GFN + 2, Errno.EBUSY);
            long removesBefore = sim.opCount(SimulatedHypervisor.Op.REMOVE_FROM_PHYSMAP);
            batch.fillTargets(BORROWER_GFN, 5);
            xen.removeFromPhysmapBatch(BORROWER, batch);
            assertArrayEquals(new int[] {0, 0, -Errno.EBUSY, 0, -Errno.ENOENT}, new int[] {batch.error(0),
                    batch.error(1), batch.error(2), batch.error(3), batch.error(4)});
            assertEquals(5, sim.opCount(SimulatedHypervisor.Op.REMOVE_FROM_PHYSMAP) - removesBefore);
            assertTrue(sim.frameOf(BORROWER, BORROWER_GFN).isEmpty());
            assertTrue(sim.frameOf(BORROWER, BORROWER_GFN + 2).isPresent(), "the failed entry stays mapped");
            assertTrue(sim.frameOf(BORROWER, BORROWER_GFN + 3).isEmpty(), "a failed entry does not stop the rest");
        }
    }

    /**
     * The map and unmap paths reuse the thread's errno slot, the caller's batch and the multicall
     * buffer, so a batch call allocates nothing of its own on the Java heap, whatever its size.
     * The bound leaves room for the two small objects the JIT may leave behind (the JDK's check
     * of the errno slot, once per downcall), not for an arena per call (the map path's 168 bytes
     * before) or anything per page.
     */
    @Test
    void batchCallsAllocateNothingOfTheirOwn() {
        int pages = 64;
        int calls = 2000;
        sim.populate(OWNER, OWNER_GFN, pages);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (PageBatch batch = PageBatch.allocate(pages)) {
            Runnable mapAndUnmap = () -> {
                batch.fillRange(OWNER_GFN, BORROWER_GFN, pages);
                xen.addToPhysmapBatch(BORROWER, OWNER, MapSpace.GMFN_SHARE, batch);
                xen.removeFromPhysmapBatch(BORROWER, batch);
            };
            for (int i = 0; i < 5 * calls; i++) {
                mapAndUnmap.run();
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < calls; i++) {
                mapAndUnmap.run();
            }
            long perCall = (threads.getCurrentThreadAllocatedBytes() - before) / calls;
            assertTrue(perCall < 100, perCall + " bytes allocated per map + unmap of " + pages + " pages");
            for (int i = 0; i < pages; i++) {
                assertEquals(0, batch.error(i), "entry " + i);
            }
        }
        assertEquals(0, sim.mappedPages(BORROWER));
    }

    @Test
    void domainInfoChecksTheIdBecauseXenReturnsTheNextDomain() {
        assertTrue(xen.domainInfo(0).isPresent());
        assertTrue(xen.domainInfo(OWNER).isPresent());
        assertFalse(xen.domainInfo(3).isPresent(), "domain 3 is missing even though Xen answers with a later one");
        sim.createDomain(9);
        sim.populate(9, 0x40000, 3);
        assertFalse(xen.domainInfo(3).isPresent());
        DomainInfo info = xen.domainInfo(9).orElseThrow();
        assertEquals(9, info.domid());
        assertEquals(3, info.totalPages());
        assertTrue(info.maxPages() >= 3, "max_pages " + info.maxPages());
    }

    @Test
    void aClosedHandleRefusesCallsInsteadOfPassingNullToC() {
        xen.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> xen.domainInfo(0));
        assertTrue(e.getMessage().contains("closed"));
        xen.close();
    }

    @Test
    void rejectsSegmentsTooSmallForTheCount() {
        try (PageBatch batch = PageBatch.allocate(2)) {
            assertThrows(IllegalArgumentException.class, () -> xen.addToPhysmapBatch(BORROWER, OWNER,
                    MapSpace.GMFN_SHARE.abiValue(), batch.idxs(), batch.gpfns(), batch.errs(), 3));
        }
    }
}
