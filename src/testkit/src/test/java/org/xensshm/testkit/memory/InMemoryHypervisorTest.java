package org.xensshm.testkit.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.xensshm.host.Errno;
import org.xensshm.host.MapSpace;
import org.xensshm.host.PageBatch;
import org.xensshm.host.XenCallException;
import org.xensshm.spec.Platform;
import org.xensshm.testkit.memory.InMemoryHypervisor.Call;
import org.xensshm.testkit.memory.InMemoryHypervisor.OccupiedPolicy;
import org.xensshm.testkit.memory.InMemoryHypervisor.Personality;

class InMemoryHypervisorTest {

    private final InMemoryHypervisor xen = new InMemoryHypervisor();

    InMemoryHypervisorTest() {
        xen.createDomain(1);
        xen.createDomain(2);
        xen.populate(1, 0x100, 8);
    }

    /** Maps n pages of domain 1 from gfn 0x100 to domain 2 at 0x500; returns the per-entry errnos. */
    private int[] map(int n, MapSpace space) {
        try (PageBatch batch = PageBatch.allocate(n)) {
            batch.fillRange(0x100, 0x500, n);
            batch.resetErrors();
            xen.addToPhysmapBatch(2, 1, space, batch);
            int[] errors = new int[n];
            for (int i = 0; i < n; i++) {
                errors[i] = batch.error(i);
            }
            return errors;
        }
    }

    private static XenCallException fails(int errno, Runnable action) {
        XenCallException e = assertThrows(XenCallException.class, action::run);
        assertEquals(errno, e.errno(), e.getMessage());
        return e;
    }

    @Test
    void sharedPagesCarryTheSameBytes() {
        assertArrayEquals(new int[8], map(8, MapSpace.GMFN_SHARE));
        byte[] hello = "hello across a page boundary".getBytes(StandardCharsets.UTF_8);
        xen.writeGuest(1, 0x100FF0, hello);
        assertArrayEquals(hello, xen.readGuest(2, 0x500FF0, hello.length));
        assertEquals(8, xen.mappedPages(2));
        assertEquals(8, xen.foreignPages(2));
        assertEquals(0, xen.foreignPages(1));
        assertTrue(xen.samePage(1, 0x107, 2, 0x507));
        assertEquals(Platform.ARM, xen.platform());
    }

    @Test
    void perEntryErrorsFollowTheSimulatedHypervisor() {
        xen.failGfn(2, 0x501, Errno.EIO);
        // entries 0..7 map 0x100..0x107; 0x108 and 0x109 are not populated
        assertArrayEquals(new int[] {0, -Errno.EIO, 0, 0, 0, 0, 0, 0, -Errno.EINVAL, -Errno.EINVAL}, map(10, MapSpace.GMFN_SHARE));
        xen.clearFaults();

        xen.personality(Personality.STOCK);
        assertEquals(-Errno.ENOSYS, map(1, MapSpace.GMFN_SHARE)[0]);
        assertEquals(Personality.STOCK, xen.personality());

        // foreign mapping between two guests needs the receiver to target the source
        xen.personality(Personality.PATCHED);
        xen.removeFromPhysmap(2, 0x500);
        assertEquals(-Errno.EPERM, map(1, MapSpace.GMFN_FOREIGN)[0]);
        xen.setTarget(2, 1);
        assertEquals(0, map(1, MapSpace.GMFN_FOREIGN)[0]);
    }

    @Test
    void anOccupiedTargetIsReplacedLikeXenOnArmOrRefusedWhenStrict() {
        xen.populate(2, 0x500, 1);
        assertEquals(0, map(1, MapSpace.GMFN_SHARE)[0]);
        assertEquals(1, xen.replacedMappings());
        assertTrue(xen.samePage(1, 0x100, 2, 0x500));

        xen.occupiedPolicy(OccupiedPolicy.STRICT);
        assertEquals(-Errno.EEXIST, map(1, MapSpace.GMFN_SHARE)[0]);
    }

    @Test
    void wholeCallFailures() {
        try (PageBatch batch = PageBatch.allocate(1)) {
            batch.fillRange(0x100, 0x500, 1);
            batch.resetErrors();
            fails(Errno.ESRCH, () -> xen.addToPhysmapBatch(9, 1, MapSpace.GMFN_SHARE, batch));
            assertEquals(PageBatch.NOT_ATTEMPTED, batch.error(0));
            // a missing source is a per-entry error, as in Xen
            xen.addToPhysmapBatch(2, 9, MapSpace.GMFN_SHARE, batch);
            assertEquals(-Errno.ESRCH, batch.error(0));

            xen.failNthCall(Call.ADD_TO_PHYSMAP_BATCH, 2, Errno.EIO);
            batch.resetErrors();
            xen.addToPhysmapBatch(2, 1, MapSpace.GMFN_SHARE, batch);
            batch.resetErrors();
            fails(Errno.EIO, () -> xen.addToPhysmapBatch(2, 1, MapSpace.GMFN_SHARE, batch));
            assertEquals(PageBatch.NOT_ATTEMPTED, batch.error(0));
        }
        assertEquals(4, xen.calls(Call.ADD_TO_PHYSMAP_BATCH));
    }

    @Test
    void largeBatchesGoInCallsOf65535Entries() {
        xen.createDomain(3);
        xen.populate(3, 0x10000, 70_000);
        try (PageBatch batch = PageBatch.allocate(70_000)) {
            batch.fillRange(0x10000, 0x100000, 70_000);
            batch.resetErrors();
            xen.failNthCall(Call.ADD_TO_PHYSMAP_BATCH, 2, Errno.EIO);
            fails(Errno.EIO, () -> xen.addToPhysmapBatch(2, 3, MapSpace.GMFN_SHARE, batch));
            assertEquals(0, batch.error(65_534));
            assertEquals(PageBatch.NOT_ATTEMPTED, batch.error(65_535));
            assertEquals(65_535, xen.foreignPages(2));
        }
        assertEquals(2, xen.calls(Call.ADD_TO_PHYSMAP_BATCH));
    }

    @Test
    void removeErrors() {
        map(2, MapSpace.GMFN_SHARE);
        fails(Errno.ENOENT, () -> xen.removeFromPhysmap(2, 0x600));
        fails(Errno.ESRCH, () -> xen.removeFromPhysmap(9, 0x500));
        xen.failGfn(2, 0x500, Errno.EBUSY);
        fails(Errno.EBUSY, () -> xen.removeFromPhysmap(2, 0x500));
        xen.clearFaults();
        xen.removeFromPhysmap(2, 0x500);
        assertFalse(xen.isMapped(2, 0x500));
        xen.failNthCall(Call.REMOVE_FROM_PHYSMAP, 1, Errno.EIO);
        fails(Errno.EIO, () -> xen.removeFromPhysmap(2, 0x501));
        assertTrue(xen.isMapped(2, 0x501));
    }

    @Test
    void pagesOutliveTheirDestroyedOwnerWhileMapped() {
        map(1, MapSpace.GMFN_SHARE);
        xen.writeGuest(1, 0x100000, new byte[] {42});
        xen.destroyDomain(1);
        assertFalse(xen.domainExists(1));
        assertArrayEquals(new byte[] {42}, xen.readGuest(2, 0x500000, 1));
        fails(Errno.EPERM, () -> xen.destroyDomain(0));
        fails(Errno.ESRCH, () -> xen.destroyDomain(1));
    }

    /**
     * Xen maps the entries before an INVALID_GFN, then fails the call; through libxenctrl no
     * entry's result survives such a failure, so none is reported here either.
     */
    @Test
    void anInvalidGfnFailsTheCallAfterTheEntriesBeforeItWithoutResults() {
        try (PageBatch batch = PageBatch.allocate(3)) {
            batch.fillRange(0x100, 0x500, 3);
            batch.set(1, 0x101, ~0L);
            fails(Errno.EINVAL, () -> xen.addToPhysmapBatch(2, 1, MapSpace.GMFN_SHARE, batch));
            assertTrue(xen.samePage(1, 0x100, 2, 0x500), "the entry before it was mapped");
            assertFalse(xen.isMapped(2, 0x502), "the entry after it was not");
            for (int i = 0; i < 3; i++) {
                assertEquals(PageBatch.NOT_ATTEMPTED, batch.error(i));
            }
        }
    }

    @Test
    void domainAndMemoryHelpersCheckTheirArguments() {
        fails(Errno.EINVAL, () -> xen.createDomain(0x7FF0));
        fails(Errno.EEXIST, () -> xen.createDomain(1));
        fails(Errno.EEXIST, () -> xen.createDomain(0));
        fails(Errno.ENOMEM, () -> xen.populate(2, 0, (1L << 20) + 1));
        // dom0, 1 and 2 exist: 61 more make 64
        for (int d = 3; d <= 63; d++) {
            xen.createDomain(d);
        }
        fails(Errno.ENOSPC, () -> xen.createDomain(64));
        for (int d = 3; d <= 63; d++) {
            xen.destroyDomain(d);
        }
        fails(Errno.EEXIST, () -> xen.populate(1, 0x107, 2));
        fails(Errno.EINVAL, () -> xen.populate(1, 1L << 28, 1));
        fails(Errno.EFAULT, () -> xen.readGuest(1, 0x107FFF, 2));
        fails(Errno.EINVAL, () -> xen.setTarget(1, 1));
        xen.setTarget(2, 1);
        fails(Errno.EINVAL, () -> xen.setTarget(2, 1));
        xen.setTarget(2, InMemoryHypervisor.DOMID_INVALID);
        xen.setTarget(2, 1);
        xen.destroyDomain(1);
        // the target went with the domain
        xen.createDomain(1);
        xen.populate(1, 0x100, 1);
        assertEquals(-Errno.EPERM, map(1, MapSpace.GMFN_FOREIGN)[0]);
    }
}
