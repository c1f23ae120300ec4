package org.xensshm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dom0less} against a host tree, as a fragment and as ImageBuilder lines; what dtc makes of it. */
class Dom0lessCommandTest {

    /** A dom0less host tree as host-tree.sh writes it (dtc's style), domain nodes with {@code CELLS} cells. */
    private static final String HOST = """
            /dts-v1/;

            / {
            	#address-cells = <0x02>;
            	#size-cells = <0x02>;

            	memory@40000000 {
            		reg = <0x00 0x40000000 0x00 0x80000000>;
            		device_type = "memory";
            	};

            	chosen {
            		#address-cells = <0x02>;
            		#size-cells = <0x02>;
            		xen,xen-bootargs = "console=dtuart";

            		owner {
            			compatible = "xen,domain";
            			#address-cells = <CELLS>;
            			#size-cells = <CELLS>;
            			memory = <0x00 0x4000>;
            			cpus = <0x01>;

            			module@49000000 {
            				compatible = "multiboot,kernel\\0multiboot,module";
            				reg = <MODULE>;
            			};
            		};

            		borrower {
            			compatible = "xen,domain";
            			#address-cells = <CELLS>;
            			#size-cells = <CELLS>;
            			memory = <0x00 0x4000>;
            			cpus = <0x01>;
            		};
            	};
            };
            """;

    private static final String OWNER = "name = \"owner\"\nmemory = 16\n"
            + "static_shm = [ \"id=shm0, begin=0x05000000, size=0x200000, role=owner\" ]\n";
    private static final String BORROWER = "name = \"borrower\"\nmemory = 16\n"
            + "static_shm = [ \"id=shm0, begin=0x06000000, size=0x200000\" ]\n";

    /** The host tree's domain nodes set cells for children with no reg of their own, which dtc notes. */
    private static final String HOST_TREE_WARNING = "-Wno-avoid_unnecessary_addr_size";

    @TempDir
    Path dir;

    private void write(int cells) {
        Examples.write(dir, "owner", OWNER);
        Examples.write(dir, "borrower", BORROWER);
        try {
            Files.writeString(dir.resolve("host.dts"), HOST.replace("CELLS", "0x0" + cells)
                    .replace("MODULE", cells == 2 ? "0x00 0x49000000 0x00 0x10000" : "0x49000000 0x10000"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void mergesIntoTheHostTreeForItsCellsLeavingTheRestAsItWas() {
        write(1);

        Cli.Run run = Cli.java().in(dir).run("dom0less", "--host-dts", "host.dts", "--host-base", "0x70000000",
                "owner.cfg", "borrower.cfg");

        assertEquals(0, run.status(), run.describe());
        assertEquals("", run.err());
        Map<String, Map<String, String>> tree = Dtc.compileAndDecompile(run.out(), dir, HOST_TREE_WARNING);
        assertEquals("<0x70000000 0x5000000 0x200000>", tree.get("/chosen/owner/shared-mem-shm0").get("xen,shared-mem"));
        assertEquals("<0x70000000 0x6000000 0x200000>", tree.get("/chosen/borrower/shared-mem-shm0").get("xen,shared-mem"));
        assertEquals("\"borrower\"", tree.get("/chosen/borrower/shared-mem-shm0").get("role"));
        assertEquals("<0x49000000 0x10000>", tree.get("/chosen/owner/module@49000000").get("reg"));
        assertEquals("\"console=dtuart\"", tree.get("/chosen").get("xen,xen-bootargs"));
        assertTrue(run.out().startsWith(HOST.replace("CELLS", "0x01").replace("MODULE", "0x49000000 0x10000")),
                "the host's text comes first, unchanged");
    }

    @Test
    void aFragmentHasNoHeaderAndDropsIntoTheHostTree() throws IOException {
        write(2);

        Cli.Run run = Cli.java().in(dir).run("dom0less", "--fragment", "owner.cfg", "borrower.cfg");

        assertEquals(0, run.status(), run.describe());
        assertFalse(run.out().contains("/dts-v1/"), run.out());
        Map<String, Map<String, String>> tree = Dtc.compileAndDecompile(Files.readString(dir.resolve("host.dts"))
                + run.out(), dir, HOST_TREE_WARNING);
        // Xen allocates: <guest size>, two cells each.
        assertEquals("<0x00 0x5000000 0x00 0x200000>", tree.get("/chosen/owner/shared-mem-shm0").get("xen,shared-mem"));
        assertEquals("<0x00 0x4000>", tree.get("/chosen/borrower").get("memory"));
    }

    @Test
    void refusesCellsThatDifferFromTheHostTreesBeforeAnythingBoots() {
        write(1);

        Cli.Run run = Cli.java().in(dir).run("dom0less", "--json", "--host-dts", "host.dts", "--address-cells", "2",
                "--size-cells", "2", "owner.cfg", "borrower.cfg");

        assertEquals(2, run.status(), run.describe());
        Map<String, Object> json = JsonReader.object(run.out());
        assertEquals("HOST_TREE", json.get("type"));
        assertEquals("CELLS_MISMATCH", json.get("reason"));
        assertTrue(run.err().startsWith("xen-sshm: host.dts: /chosen/owner has #address-cells = <1>"), run.describe());
    }

    @Test
    void refusesAConfigWhoseDomainHasNoNode() {
        write(2);
        Examples.write(dir, "third", "name = \"third\"\nmemory = 16\n");

        Cli.Run run = Cli.java().in(dir).run("dom0less", "--host-dts", "host.dts", "owner.cfg", "borrower.cfg",
                "third.cfg");

        assertEquals(2, run.status(), run.describe());
        assertEquals(List.of("xen-sshm: host.dts has no xen,domain node under /chosen for third (domain nodes are"
                + " matched by the config's name; it has owner, borrower)"), run.errLines());
    }

    @Test
    void refusesAnOwnerInsideItsRamSayingWhyRunTimeIsDifferent() {
        write(2);
        Examples.write(dir, "owner", OWNER.replace("0x05000000", "0x40400000"));

        Cli.Run run = Cli.java().in(dir).run("dom0less", "--host-dts", "host.dts", "owner.cfg", "borrower.cfg");

        assertEquals(2, run.status(), run.describe());
        assertEquals(1, run.errLines().size(), run.describe());
        assertTrue(run.err().startsWith("owner.cfg:3: domain owner, static_shm[0] (id shm0), begin: [0x40400000,"
                + " 0x40600000) lies in the domain's RAM (bank 0) [0x40000000, 0x41000000) (memory = 16384 KiB in"
                + " host.dts /chosen/owner); that is fine at run time"), run.describe());
    }

    @Test
    void imageBuilderLinesCountTheConfigsAsGiven() {
        write(2);

        Cli.Run run = Cli.java().in(dir).run("dom0less", "--imagebuilder", "--host-base", "0x70000000", "borrower.cfg",
                "owner.cfg");

        assertEquals(0, run.status(), run.describe());
        assertEquals(List.of("DOMU_SHARED_MEM[0]=\"shm0 0x70000000 0x6000000 0x200000\"",
                "DOMU_SHARED_MEM[1]=\"shm0 0x70000000 0x5000000 0x200000\""),
                run.out().lines().filter(line -> !line.startsWith("#")).toList());
        assertTrue(run.out().contains("0 borrower, 1 owner"), run.out());

        Cli.Run withTree = Cli.java().in(dir).run("dom0less", "--imagebuilder", "--host-dts", "host.dts", "owner.cfg");
        assertEquals(2, withTree.status(), withTree.describe());
    }

    /** Xen 4.17 and 4.18 read the host-address form only; the nodes are the same as for later releases. */
    @Test
    void xenBefore419NeedsHostAddressesAndGetsTheSameNodes() {
        write(2);

        Cli.Run allocated = Cli.java().in(dir).run("dom0less", "--json", "--xen-version", "4.17", "--host-dts",
                "host.dts", "owner.cfg", "borrower.cfg");
        assertEquals(2, allocated.status(), allocated.describe());
        assertEquals("BAD_INPUT", JsonReader.object(allocated.out()).get("type"));
        assertTrue(allocated.err().contains("--xen-version 4.17: Xen 4.17 and 4.18 read xen,shared-mem only with a host"
                + " address (<host guest size>) and stop at boot without one; give --host-base"), allocated.describe());

        Cli.Run for417 = Cli.java().in(dir).run("dom0less", "--xen-version", "4.17.5", "--host-dts", "host.dts",
                "--host-base", "0x70000000", "owner.cfg", "borrower.cfg");
        Cli.Run unstated = Cli.java().in(dir).run("dom0less", "--host-dts", "host.dts", "--host-base", "0x70000000",
                "owner.cfg", "borrower.cfg");
        assertEquals(0, for417.status(), for417.describe());
        assertEquals(unstated.out(), for417.out());

        Cli.Run allocating = Cli.java().in(dir).run("dom0less", "--xen-version", "4.19", "--host-dts", "host.dts",
                "owner.cfg", "borrower.cfg");
        assertEquals(0, allocating.status(), allocating.describe());

        Cli.Run old = Cli.java().in(dir).run("dom0less", "--xen-version", "4.16", "--host-base", "0x70000000",
                "owner.cfg", "borrower.cfg");
        assertEquals(2, old.status(), old.describe());
        assertTrue(old.err().contains("from 4.17 on"), old.describe());
        Cli.Run notARelease = Cli.java().in(dir).run("dom0less", "--xen-version", "four", "owner.cfg", "borrower.cfg");
        assertEquals(2, notARelease.status(), notARelease.describe());
        assertEquals(List.of("xen-sshm: --xen-version: 'four' is not a Xen release such as 4.17 or 4.20"),
                notARelease.errLines());
    }

    @Test
    void aBinaryTreeIsRefusedWithHowToDecompileIt() throws IOException {
        write(2);
        Files.write(dir.resolve("host.dtb"), new byte[] {(byte) 0xd0, 0x0d, (byte) 0xfe, (byte) 0xed, 0, 0, 0, 0x40});

        Cli.Run run = Cli.java().in(dir).run("dom0less", "--host-dts", "host.dtb", "owner.cfg", "borrower.cfg");

        assertEquals(2, run.status(), run.describe());
        assertTrue(run.err().contains("dtc -I dtb -O dts"), run.describe());
    }
}
