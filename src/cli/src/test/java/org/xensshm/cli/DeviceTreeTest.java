package org.xensshm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dt} and {@code dom0less}: what dtc makes of their output. */
class DeviceTreeTest {

    /** vm3 maps all of ID2 rather than a window of it: the only sharing Xen's boot-time form knows. */
    private static final String WHOLE_VM3 = "name = \"vm3\"\n"
            + "static_shm = [ \"id=ID2, begin=0x690000, size=0x100000, role=borrower\" ]\n";

    @TempDir
    Path dir;

    @Test
    void anOwnersGuestTreeReservesEachRegionWithItsId() {
        Examples.write(dir);

        Map<String, Map<String, String>> tree = guestTree("vm1");

        assertEquals("<0x02>", tree.get("/reserved-memory").get("#address-cells"));
        assertEquals("<0x02>", tree.get("/reserved-memory").get("#size-cells"));
        assertEquals("", tree.get("/reserved-memory").get("ranges"));
        assertEquals(Map.of("compatible", "\"xen,shared-memory-v1\"", "reg", "<0x00 0x100000 0x00 0x100000>",
                "xen,id", "\"ID1\""), tree.get("/reserved-memory/xen-shmem@100000"));
        assertEquals(Map.of("compatible", "\"xen,shared-memory-v1\"", "reg", "<0x00 0x300000 0x00 0x100000>",
                "xen,id", "\"ID2\""), tree.get("/reserved-memory/xen-shmem@300000"));
    }

    @Test
    void aBorrowersGuestTreeSaysWhereInTheRegionItsWindowStarts() {
        Examples.write(dir);

        Map<String, Map<String, String>> vm2 = guestTree("vm2");
        Map<String, Map<String, String>> vm3 = guestTree("vm3");

        assertEquals(Map.of("compatible", "\"xen,shared-memory-v1\"", "reg", "<0x00 0x500000 0x00 0x100000>",
                "xen,id", "\"ID1\"", "xen,offset", "<0x00 0x00>"), vm2.get("/reserved-memory/xen-shmem@500000"));
        assertEquals(Map.of("compatible", "\"xen,shared-memory-v1\"", "reg", "<0x00 0x690000 0x00 0xf0000>",
                "xen,id", "\"ID2\"", "xen,offset", "<0x00 0x10000>"), vm3.get("/reserved-memory/xen-shmem@690000"));
    }

    @Test
    void aGuestTreeAsJsonCarriesTheSameSource() {
        Examples.write(dir);

        Cli.Run text = Cli.java().in(dir).run("dt", "vm3.cfg");
        Cli.Run json = Cli.java().in(dir).run("dt", "--json", "vm3.cfg");

        assertEquals(0, json.status(), json.describe());
        Map<String, Object> parsed = JsonReader.object(json.out());
        assertEquals(List.of("vm3"), parsed.get("domains"));
        assertEquals(text.out(), parsed.get("dts"));
    }

    @Test
    void anInvalidConfigGivesNoTree() {
        Examples.write(dir, "vm2", "name = \"vm2\"\nstatic_shm = [ \"id=ID1, begin=0x500000, size=0x100001\" ]\n");

        Cli.Run run = Cli.java().in(dir).run("dt", "vm2.cfg");

        assertEquals(2, run.status(), run.describe());
        assertEquals("", run.out());
        assertTrue(run.err().startsWith("vm2.cfg:2: domain vm2, static_shm[0] (id ID1), size: "), run.describe());
    }

    @Test
    void dom0lessNodesSitUnderEachDomainWithTheirRoles() {
        Examples.write(dir);
        Examples.write(dir, "vm3", WHOLE_VM3);

        Cli.Run run = Cli.java().in(dir).run("dom0less", "vm1.cfg", "vm2.cfg", "vm3.cfg");

        assertEquals(0, run.status(), run.describe());
        Map<String, Map<String, String>> tree = Dtc.compileAndDecompile(run.out(), dir);
        assertEquals(Set.of("/", "/chosen", "/chosen/vm1", "/chosen/vm1/shared-mem-ID1", "/chosen/vm1/shared-mem-ID2",
                "/chosen/vm2", "/chosen/vm2/shared-mem-ID1", "/chosen/vm3", "/chosen/vm3/shared-mem-ID2"), tree.keySet());
        assertEquals("\"xen,domain\"", tree.get("/chosen/vm2").get("compatible"));
        // Without a host address Xen places the region: <guest address, size>, two cells each.
        assertEquals(shm("ID1", "owner", "<0x00 0x100000 0x00 0x100000>"), tree.get("/chosen/vm1/shared-mem-ID1"));
        assertEquals(shm("ID2", "owner", "<0x00 0x300000 0x00 0x100000>"), tree.get("/chosen/vm1/shared-mem-ID2"));
        assertEquals(shm("ID1", "borrower", "<0x00 0x500000 0x00 0x100000>"), tree.get("/chosen/vm2/shared-mem-ID1"));
        assertEquals(shm("ID2", "borrower", "<0x00 0x690000 0x00 0x100000>"), tree.get("/chosen/vm3/shared-mem-ID2"));
    }

    @Test
    void dom0lessHostAddressesAreTheSameForEveryDomainOfARegion() {
        Examples.write(dir);
        Examples.write(dir, "vm3", WHOLE_VM3);

        Cli.Run run = Cli.java().in(dir).run("dom0less", "--host-base", "0x80000000", "--address-cells", "1",
                "--size-cells", "1", "vm1.cfg", "vm2.cfg", "vm3.cfg");

        assertEquals(0, run.status(), run.describe());
        Map<String, Map<String, String>> tree = Dtc.compileAndDecompile(run.out(), dir);
        // <host address, guest address, size>, one cell each; ID2 follows ID1 in host memory.
        assertEquals(shm("ID1", "owner", "<0x80000000 0x100000 0x100000>"), tree.get("/chosen/vm1/shared-mem-ID1"));
        assertEquals(shm("ID2", "owner", "<0x80100000 0x300000 0x100000>"), tree.get("/chosen/vm1/shared-mem-ID2"));
        assertEquals(shm("ID1", "borrower", "<0x80000000 0x500000 0x100000>"), tree.get("/chosen/vm2/shared-mem-ID1"));
        assertEquals(shm("ID2", "borrower", "<0x80100000 0x690000 0x100000>"), tree.get("/chosen/vm3/shared-mem-ID2"));
    }

    @Test
    void dom0lessRefusesABorrowedWindowNamingTheSpecAndField() {
        Examples.write(dir);

        Cli.Run run = Cli.java().in(dir).run("dom0less", "vm1.cfg", "vm2.cfg", "vm3.cfg");

        assertEquals(2, run.status(), run.describe());
        assertEquals("", run.out());
        assertEquals(1, run.errLines().size(), run.describe());
        assertTrue(run.err().startsWith("vm3.cfg:3: domain vm3, static_shm[0] (id ID2), offset: "), run.describe());
    }

    @Test
    void dom0lessRefusesIdsLongerThanXenKeepsInEveryConfigUsingThem() {
        String id = "ABCDEFGHIJKLMNOP";
        Examples.write(dir, "vm1", "name = \"vm1\"\nstatic_shm = [ \"id=" + id + ", begin=0x100000, size=0x1000,"
                + " role=owner\", \"id=ABCDEFGHIJKLMNO, begin=0x300000, size=0x1000, role=owner\" ]\n");
        Examples.write(dir, "vm2", "name = \"vm2\"\nstatic_shm = [ \"id=" + id + ", begin=0x500000, size=0x1000\" ]\n");

        Cli.Run run = Cli.java().in(dir).run("dom0less", "vm1.cfg", "vm2.cfg");

        assertEquals(2, run.status(), run.describe());
        // 15 characters fit (ABCDEFGHIJKLMNO, 16 bytes with the NUL); 16 do not.
        assertEquals(2, run.errLines().size(), run.describe());
        assertTrue(run.errLines().get(0).startsWith("vm1.cfg:2: domain vm1, static_shm[0] (id " + id + "), id: "),
                run.describe());
        assertTrue(run.errLines().get(1).startsWith("vm2.cfg:2: domain vm2, static_shm[0] (id " + id + "), id: "),
                run.describe());
        assertTrue(run.err().contains("at most 15"), run.describe());
    }

    @Test
    void dom0lessRefusesRegionsBeyondOneCell() {
        Examples.write(dir, "vm1", "name = \"vm1\"\n"
                + "static_shm = [ \"id=BIG, begin=0xfffff000, size=0x2000, role=owner\" ]\n");

        Cli.Run run = Cli.java().in(dir).run("dom0less", "--address-cells", "1", "vm1.cfg");

        assertEquals(2, run.status(), run.describe());
        assertTrue(run.err().startsWith("vm1.cfg:2: domain vm1, static_shm[0] (id BIG), begin: "), run.describe());
        assertFalse(run.err().contains("size:"), "the size fits one cell: " + run.describe());
    }

    private Map<String, Map<String, String>> guestTree(String domain) {
        Cli.Run run = Cli.java().in(dir).run("dt", domain + ".cfg");
        assertEquals(0, run.status(), run.describe());
        assertEquals("", run.err(), run.describe());
        Map<String, Map<String, String>> tree = Dtc.compileAndDecompile(run.out(), dir);
        assertEquals("<0x02>", tree.get("/").get("#address-cells"));
        assertEquals("<0x02>", tree.get("/").get("#size-cells"));
        return tree;
    }

    private static Map<String, String> shm(String id, String role, String sharedMem) {
        return Map.of("compatible", "\"xen,domain-shared-memory-v1\"", "xen,shm-id", "\"" + id + "\"",
                "role", "\"" + role + "\"", "xen,shared-mem", sharedMem);
    }
}
