package org.xensshm.testkit.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.xensshm.host.Errno;
import org.xensshm.host.Hypervisor;
import org.xensshm.host.MapSpace;
import org.xensshm.host.PageBatch;
import org.xensshm.host.Store;
import org.xensshm.host.StoreTransaction;
import org.xensshm.host.XenCallException;
import org.xensshm.testkit.memory.InMemoryHypervisor;
import org.xensshm.testkit.memory.InMemoryStore;

class FaultInjectorTest {

    private final FaultInjector faults = new FaultInjector();
    private final InMemoryStore memoryStore = new InMemoryStore();
    private final Store store = faults.wrap(memoryStore);
    private final InMemoryHypervisor memoryXen = new InMemoryHypervisor();
    private final Hypervisor xen = faults.wrap(memoryXen);

    FaultInjectorTest() {
        memoryXen.createDomain(1);
        memoryXen.createDomain(2);
        memoryXen.populate(1, 0x100, 1);
    }

    @Test
    void countsEveryOperationInOrderAcrossBothSeams() {
        faults.startTrace();
        try (StoreTransaction tx = store.begin()) {
            tx.write("/a", "1");
            tx.read("/a");
            tx.list("/");
            tx.mkdir("/b");
            tx.permissions("/a");
            tx.setPermissions("/a", tx.permissions("/a"));
            tx.remove("/b");
            tx.commit();
        }
        xen.removeFromPhysmap(1, 0x100);
        assertTrue(xen.domainInfo(1).isPresent());
        assertEquals(11, faults.count());
        assertEquals(2, faults.count(Operation.STORE_PERMISSIONS));
        assertEquals(List.of("1 STORE_BEGIN ", "2 STORE_WRITE /a", "3 STORE_READ /a", "4 STORE_LIST /",
                "5 STORE_MKDIR /b", "6 STORE_PERMISSIONS /a", "7 STORE_PERMISSIONS /a",
                "8 STORE_SET_PERMISSIONS /a", "9 STORE_REMOVE /b", "10 STORE_COMMIT commit",
                "11 REMOVE_FROM_PHYSMAP domid=1, gfn=0x100"), faults.trace());
    }

    @Test
    void failsExactlyTheArmedOperation() {
        faults.arm(2, Fault.fail(Errno.EIO));
        try (StoreTransaction tx = store.begin()) {
            XenCallException e = assertThrows(XenCallException.class, () -> tx.write("/a", "1"));
            assertEquals(Errno.EIO, e.errno());
            tx.write("/b", "2");
            assertTrue(tx.commit());
        }
        assertEquals(Map.of("/", "", "/b", "2"), memoryStore.dump());
        assertEquals(Optional.of("2 STORE_WRITE /a"), faults.lastInjected());
    }

    @Test
    void armsByKind() {
        faults.arm(Operation.STORE_COMMIT, 2, Fault.fail(Errno.EACCES));
        try (StoreTransaction tx = store.begin()) {
            assertTrue(tx.commit());
        }
        try (StoreTransaction tx = store.begin()) {
            assertEquals(Errno.EACCES, assertThrows(XenCallException.class, tx::commit).errno());
        }
    }

    @Test
    void crashesBeforeOrAfterTheOperation() {
        faults.arm(2, Fault.crashBefore());
        try (StoreTransaction tx = store.begin()) {
            assertThrows(SimulatedCrash.class, () -> tx.write("/a", "1"));
            assertEquals(Optional.empty(), tx.read("/a"));
        }
        try (PageBatch batch = PageBatch.allocate(1)) {
            batch.fillRange(0x100, 0x500, 1);
            batch.resetErrors();
            faults.arm(Operation.ADD_TO_PHYSMAP_BATCH, 1, Fault.crashAfter());
            assertThrows(SimulatedCrash.class, () -> xen.addToPhysmapBatch(2, 1, MapSpace.GMFN_SHARE, batch));
        }
        assertTrue(memoryXen.isMapped(2, 0x500), "the operation took effect before the crash");
    }

    @Test
    void aCrashRightAfterBeginAbortsTheTransaction() {
        faults.arm(1, Fault.crashAfter());
        assertThrows(SimulatedCrash.class, store::begin);
        // the aborted transaction does not hold up others
        try (StoreTransaction tx = store.begin()) {
            tx.write("/a", "1");
            assertTrue(tx.commit());
        }
    }

    @Test
    void failFromFailsEverythingUntilDisarmed() {
        faults.failFrom(2, Errno.EIO);
        try (StoreTransaction tx = store.begin()) {
            assertThrows(XenCallException.class, () -> tx.read("/"));
            assertThrows(XenCallException.class, () -> tx.read("/"));
            faults.disarm();
            assertFalse(tx.read("/").isEmpty());
        }
    }

    @Test
    void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> faults.arm(0, Fault.fail(Errno.EIO)));
        assertThrows(IllegalArgumentException.class, () -> Fault.fail(0));
    }
}
