package org.xensshm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.xensshm.engine.RegionRefusedException.Reason;
import org.xensshm.host.StoreTransaction;
import org.xensshm.host.XsPermission;
import org.xensshm.spec.Role;
import org.xensshm.testkit.interop.CToolstack.Words;
import org.xensshm.testkit.interop.CToolstack;

/**
 * The records on a host the engine shares: with the C toolstacks that carry static shm (either
 * layout, either side of a region, teardown by either), with later domains that get an earlier
 * domain's domid, and with guests that must not write what tells the engine what to unmap.
 * Every count is checked after every step.
 */
public abstract class RecordsConformanceTest extends ConformanceSupport {

    private static final XsPermission DOM0_ONLY = new XsPermission(0, XsPermission.Access.NONE);

    // ---- hosts shared with a C toolstack --------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Words.class)
    void aCOwnersRegionTakesOurBorrowersInItsLayout(Words words) {
        exampleDomains();
        CToolstack c = new CToolstack(words, host.store(), host.hypervisor());
        c.addOwner(VM1, "C", 0x100000, 0x10000);
        StaticShmEngine engine = engine();

        engine.attach(VM2, List.of(borrower("C", 0x500000, 0x508000, 0x4000)));
        assertEquals(2, c.read("C").userCount());
        engine.attach(VM3, List.of(borrower("C", 0x600000, 0x610000, 0)));
        assertEquals(3, c.read("C").userCount());
        String entry = "/libxl/static_shm/C/" + (words == Words.SEED ? "slaves" : "borrowers") + "/2";
        Map<String, String> store = dump();
        assertEquals("0x500000", store.get(entry + "/begin"));
        assertEquals(words == Words.SEED ? "0x508000" : "0x8000",
                store.get(entry + "/" + (words == Words.SEED ? "end" : "size")));
        assertEquals("0x4000", store.get(entry + "/offset"));
        assertEquals(words == Words.SEED ? "slave" : "borrower", store.get("/local/domain/2/static_shm/C/role"));
        assertShared(VM1, 0x104000, VM2, 0x500000);
        assertShared(VM1, 0x100000, VM3, 0x600000);
        RegionStatus region = engine.status().regions().getFirst();
        assertEquals(layout(words), region.layout());
        assertEquals(VM1, region.owner(), "the C toolstack's decimal domid, read as it meant it");

        engine.detach(VM2);
        assertEquals(2, c.read("C").userCount());
        c.removeDomain(VM1);   // at the owner's destroy, the C way: counted out, the record stays
        host.destroyDomain(VM1);
        assertEquals(1, c.read("C").userCount());
        engine.detach(VM3);
        assertFalse(dump().containsKey("/libxl/static_shm"), "the last borrower takes the record: " + dump());
        assertEquals(RAM_PAGES, host.mappedPages(VM2));
        assertEquals(RAM_PAGES, host.mappedPages(VM3));
    }

    @ParameterizedTest
    @EnumSource(Words.class)
    void ourOwnerServesACBorrowerThatReadsItRight(Words words) {
        domain(VM1);
        host.populate(VM1, 0x100, 16);
        domain(VM2);
        int unmapped = (int) host.mappedPages(VM2);
        CToolstack c = new CToolstack(words, host.store(), host.hypervisor());
        StaticShmEngine engine = engine(EngineSettings.defaults().withLayout(layout(words)));

        for (boolean ownerLeavesFirst : new boolean[] {false, true}) {
            engine.attach(VM1, List.of(owner("O", 0x100000, 0x110000)));
            assertEquals(new CToolstack.Region(VM1, 0x100000, 0x10000, "rw", 1), c.read("O"));
            c.addBorrower(VM2, "O", 0x500000, 0x8000, 0x8000);
            assertShared(VM1, 0x108000, VM2, 0x500000);
            assertEquals(2, c.read("O").userCount());
            assertEquals(MappingKind.UNKNOWN, engine.status().regions().getFirst().borrowers().getFirst().mapping());
            if (ownerLeavesFirst) {
                assertEquals(List.of(new DetachReport.Released("O", Role.OWNER, DetachReport.Outcome.ORPHANED)),
                        engine.detach(VM1).regions());
                assertEquals(1, c.read("O").userCount());
                c.removeDomain(VM2);
            } else {
                c.removeDomain(VM2);
                assertEquals(1, c.read("O").userCount());
                engine.detach(VM1);
            }
            assertFalse(dump().containsKey("/libxl/static_shm/O"), dump().toString());
            assertEquals(unmapped, host.mappedPages(VM2));
            removeRoleEntry(VM2, "O");   // the C code leaves it to the domain's destroy
        }
    }

    @Test
    void bothLayoutsOnOneHost() {
        exampleDomains();
        host.populate(VM1, 0x200, 16);
        HostState before = snapshot(VM1, VM2);
        new CToolstack(Words.VENDOR, host.store(), host.hypervisor()).addOwner(VM1, "V", 0x100000, 0x10000);
        engine().attach(VM1, List.of(owner("N", 0x300000, 0x310000)));
        assertTrue(dump().containsKey("/libxl/static_shm/N/owner"), "a new region follows the host's layout");
        engine(EngineSettings.defaults().withLayout(RecordLayout.SEED)).attach(VM1, List.of(owner("S", 0x200000, 0x210000)));

        engine().attach(VM2, List.of(borrower("V", 0x500000, 0x510000, 0), borrower("N", 0x600000, 0x610000, 0),
                borrower("S", 0x700000, 0x710000, 0)));
        Map<String, String> store = dump();
        assertEquals("0x10000", store.get("/libxl/static_shm/V/borrowers/2/size"));
        assertEquals("0x10000", store.get("/libxl/static_shm/N/borrowers/2/size"));
        assertEquals("0x710000", store.get("/libxl/static_shm/S/slaves/2/end"));
        assertEquals(Map.of("N", RecordLayout.OWNER_BORROWER, "S", RecordLayout.SEED, "V", RecordLayout.OWNER_BORROWER),
                engine().status().regions().stream().collect(Collectors.toMap(RegionStatus::id, RegionStatus::layout)));
        engine().status().regions().forEach(region -> assertEquals(2, region.userCount(), region.id()));
        assertShared(VM1, 0x200000, VM2, 0x700000);

        engine().detach(VM2);
        engine().status().regions().forEach(region -> assertEquals(1, region.userCount(), region.id()));
        engine().detach(VM1);
        assertEquals(before, snapshot(VM1, VM2));
    }

    // ---- domains and their handles --------------------------------------------------------------

    @Test
    void aDomidReusedByAnotherDomainIsToldApartByItsHandle() {
        exampleDomains();
        StaticShmEngine engine = engine();
        engine.attach(VM1, List.of(ID1_OWNER));
        engine.attach(VM2, List.of(ID1_VM2));
        reuseWithRamAtTheOldWindow(VM2);

        assertEquals(List.of(new ReconcileReport.DomainReplaced("ID1", VM2, Role.BORROWER)),
                engine.reconcile().actions());
        assertEquals("the new domain's page", read(VM2, 0x500000, 21), "nothing of the new domain unmapped");
        assertEquals("1", dump().get("/libxl/static_shm/ID1/usercnt"));
        engine.attach(VM2, List.of(borrower("ID1", 0x700000, 0x800000, 0)));
        assertShared(VM1, 0x100000, VM2, 0x700000);
        engine.detach(VM2);
        engine.detach(VM1);
        assertFalse(dump().containsKey("/libxl/static_shm"));
    }

    @Test
    void aNewDomainWithAnEarlierOnesDomidAttachesAndDetaches() {
        exampleDomains();
        StaticShmEngine engine = engine();
        engine.attach(VM1, List.of(ID1_OWNER));
        engine.attach(VM2, List.of(ID1_VM2));
        host.destroyDomain(VM2);
        domain(VM2);
        HostState fresh = snapshot(VM2);

        engine.attach(VM2, List.of(ID1_VM2));
        assertEquals("2", dump().get("/libxl/static_shm/ID1/usercnt"));
        assertEquals(handle(VM2).orElseThrow().toString(), dump().get("/libxl/static_shm/ID1/slaves/2/uuid"));
        assertShared(VM1, 0x100000, VM2, 0x500000);
        engine.detach(VM2);
        assertEquals(fresh.pages(), snapshot(VM2).pages());

        engine.attach(VM2, List.of(ID1_VM2));
        reuseWithRamAtTheOldWindow(VM2);
        assertEquals(List.of(new DetachReport.Released("ID1", Role.BORROWER, DetachReport.Outcome.DROPPED)),
                engine.detach(VM2).regions());
        assertEquals("the new domain's page", read(VM2, 0x500000, 21), "nothing of the new domain unmapped");
        assertEquals("1", dump().get("/libxl/static_shm/ID1/usercnt"));
    }

    @Test
    void aRegionOfAnEarlierOwnerWithTheSameDomidIsReleased() {
        exampleDomains();
        StaticShmEngine engine = engine();
        engine.attach(VM1, List.of(ID1_OWNER));
        replace(VM1);
        assertEquals(List.of(new ReconcileReport.DomainReplaced("ID1", VM1, Role.OWNER)), engine.reconcile().actions());
        assertFalse(dump().containsKey("/libxl/static_shm"));

        engine.attach(VM1, List.of(ID1_OWNER));
        replace(VM1);
        engine.attach(VM1, List.of(ID1_OWNER));
        assertEquals(handle(VM1).orElseThrow().toString(), dump().get("/libxl/static_shm/ID1/owner_uuid"));
        assertEquals("1", dump().get("/libxl/static_shm/ID1/usercnt"));
    }

    // ---- windows --------------------------------------------------------------------------------

    @Test
    void aWindowOverTheBorrowersRamOrXensFixedAreasIsRefused() {
        exampleDomains();
        StaticShmEngine engine = engine();
        engine.attach(VM1, List.of(ID1_OWNER));
        HostState before = snapshot(VM1, VM2);
        RegionRefusedException ram = assertRefused(Reason.WINDOW_NOT_FREE,
                () -> engine.attach(VM2, List.of(borrower("ID1", 0x4000_0000L, 0x4010_0000L, 0))));
        assertTrue(ram.getMessage().contains("RAM (bank 0)"), ram.getMessage());
        assertInvalid("begin", () -> engine.attach(VM2, List.of(borrower("ID1", 0x3800_0000L, 0x3810_0000L, 0))));
        assertEquals(before, snapshot(VM1, VM2));
    }

    // ---- least privilege ------------------------------------------------------------------------

    @Test
    void recordsAreDom0sAndRoleEntriesReadOnlyForTheirDomain() {
        exampleDomains();
        engine().attach(VM1, List.of(ID1_OWNER));
        engine().attach(VM2, List.of(ID1_VM2));
        assertEquals(List.of(DOM0_ONLY), permissions("/libxl/static_shm/ID1"));
        List<XsPermission> readOnly = List.of(DOM0_ONLY, new XsPermission(VM2, XsPermission.Access.READ));
        assertEquals(readOnly, permissions("/local/domain/2/static_shm"));
        assertEquals(readOnly, permissions("/local/domain/2/static_shm/ID1"));
        assertEquals(readOnly, permissions("/local/domain/2/static_shm/ID1/role"));
    }

    @Test
    void aRecordAGuestCouldHaveWrittenIsNotTrusted() {
        exampleDomains();
        engine().attach(VM1, List.of(ID1_OWNER));
        setPermissions("/libxl/static_shm/ID1", List.of(DOM0_ONLY, new XsPermission(VM2, XsPermission.Access.BOTH)));

        String why = engine().status().unreadable().get("ID1");
        assertTrue(why != null && why.contains("domain 2"), "status: " + why);
        assertEquals(1, engine().reconcile().actions().stream()
                .filter(action -> action instanceof ReconcileReport.Skipped s && s.regionId().equals("ID1")).count());
        assertRefused(Reason.CORRUPT_RECORD, () -> engine().attach(VM2, List.of(ID1_VM2)));
    }

    @Test
    void aRoleEntryTheDomainCouldHaveWrittenIsIgnoredAndReplaced() {
        exampleDomains();
        try (StoreTransaction tx = host.store().begin()) {
            tx.write("/local/domain/2/static_shm/ID1/role", "slave");
            tx.setPermissions("/local/domain/2/static_shm/ID1", List.of(new XsPermission(VM2, XsPermission.Access.NONE)));
            assertTrue(tx.commit());
        }
        engine().attach(VM1, List.of(ID1_OWNER));
        engine().attach(VM2, List.of(ID1_VM2));
        assertEquals(List.of(DOM0_ONLY, new XsPermission(VM2, XsPermission.Access.READ)),
                permissions("/local/domain/2/static_shm/ID1"));
        assertShared(VM1, 0x100000, VM2, 0x500000);
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static RecordLayout layout(Words words) {
        return words == Words.SEED ? RecordLayout.SEED : RecordLayout.OWNER_BORROWER;
    }

    private StaticShmEngine engine(EngineSettings settings) {
        return new StaticShmEngine(host.hypervisor(), host.store(), settings);
    }

    /** The domain destroyed and a new one made with its domid (and so a new handle), with RAM. */
    private void replace(int domid) {
        host.destroyDomain(domid);
        exampleDomain(domid);
    }

    private void exampleDomain(int domid) {
        domain(domid);
        if (domid == VM1) {
            host.populate(VM1, 0x100, 0x100);
            host.populate(VM1, 0x300, 0x100);
        }
    }

    /** A new domain with this domid, with RAM (and a page of its own) where the old one's window was. */
    private void reuseWithRamAtTheOldWindow(int domid) {
        host.destroyDomain(domid);
        domain(domid);
        host.populate(domid, 0x500, 0x100);
        write(domid, 0x500000, "the new domain's page");
    }

    private void setPermissions(String path, List<XsPermission> permissions) {
        try (StoreTransaction tx = host.store().begin()) {
            tx.setPermissions(path, permissions);
            assertTrue(tx.commit());
        }
    }

    private void removeRoleEntry(int domid, String id) {
        try (StoreTransaction tx = host.store().begin()) {
            tx.remove("/local/domain/" + domid + "/static_shm/" + id);
            if (tx.list("/local/domain/" + domid + "/static_shm").isEmpty()) {
                tx.remove("/local/domain/" + domid + "/static_shm");
            }
            assertTrue(tx.commit());
        }
    }
}
