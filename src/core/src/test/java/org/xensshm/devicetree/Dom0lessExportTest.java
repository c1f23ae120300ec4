package org.xensshm.devicetree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.xensshm.spec.DomainConfig;
import org.xensshm.spec.InvalidSpecException;
import org.xensshm.spec.PlanChecker;
import org.xensshm.spec.Platform;
import org.xensshm.spec.SpecProblem;
import org.xensshm.spec.XlConfigParser;

class Dom0lessExportTest {

    private static final String HOST_TREE = """
            /dts-v1/;
            / {
            	#address-cells = <2>;
            	#size-cells = <2>;
            	memory@40000000 { device_type = "memory"; reg = <0x0 0x40000000 0x0 0x80000000>; };
            	chosen {
            		#address-cells = <2>;
            		#size-cells = <2>;
            		owner {
            			compatible = "xen,domain";
            			#address-cells = <%1$d>;
            			#size-cells = <%1$d>;
            			memory = <0x0 0x4000>;
            			module@49000000 { compatible = "multiboot,kernel", "multiboot,module"; reg = <%2$s>; };
            		};
            		borrower {
            			compatible = "xen,domain";
            			#address-cells = <%1$d>;
            			#size-cells = <%1$d>;
            			memory = <0x0 0x4000>;
            		};
            	};
            };
            """;

    static DomainConfig config(String name, String... specs) {
        StringBuilder text = new StringBuilder("name = \"" + name + "\"\nmemory = 16\nstatic_shm = [\n");
        for (String spec : specs) {
            text.append("  \"").append(spec).append("\",\n");
        }
        return XlConfigParser.parse(text.append("]\n").toString(), name + ".cfg");
    }

    static Dom0lessExport export(Dom0lessExport.Options options, DomainConfig... configs) {
        List<DomainConfig> list = List.of(configs);
        return Dom0lessExport.prepare(PlanChecker.check(list, Platform.ARM), list, options);
    }

    static HostTree hostTree(int cells) {
        String module = cells == 2 ? "0x0 0x49000000 0x0 0x10000" : "0x49000000 0x10000";
        return HostTree.parse(HOST_TREE.formatted(cells, module), "host.dts");
    }

    static final DomainConfig OWNER = config("owner", "id=shm0, begin=0x05000000, size=0x200000, role=owner");
    static final DomainConfig BORROWER = config("borrower", "id=shm0, begin=0x06000000, size=0x200000");

    private static List<String> problems(Runnable export) {
        return assertThrows(InvalidSpecException.class, export::run).problems().stream()
                .map(SpecProblem::describe).toList();
    }

    @Test
    void xenAllocatesWhenNoHostBaseIsGivenAndEveryNodeOfAnIdDescribesTheSameRegion() {
        Dom0lessExport export = export(new Dom0lessExport.Options(OptionalLong.of(0x7000_0000L), Optional.empty(),
                Optional.empty()), OWNER, BORROWER);

        assertEquals(List.of(
                new Dom0lessExport.DomainShares("owner", "owner", Cells.DEFAULT, List.of(new Dom0lessExport.Share(
                        "shm0", org.xensshm.spec.Role.OWNER, OptionalLong.of(0x7000_0000L), 0x0500_0000L, 0x20_0000L))),
                new Dom0lessExport.DomainShares("borrower", "borrower", Cells.DEFAULT, List.of(new Dom0lessExport.Share(
                        "shm0", org.xensshm.spec.Role.BORROWER, OptionalLong.of(0x7000_0000L), 0x0600_0000L,
                        0x20_0000L)))), export.domains());
        assertTrue(export(Dom0lessExport.Options.xenAllocated(), OWNER, BORROWER).domains().stream()
                .flatMap(domain -> domain.shares().stream()).allMatch(share -> share.hostAddress().isEmpty()));
    }

    @Test
    void anOwnerInsideItsOwnRamIsRefusedAndTheMessageSaysWhyRunTimeDiffers() {
        DomainConfig owner = config("owner", "id=shm0, begin=0x40400000, size=0x200000, role=owner");

        List<String> problems = problems(() -> export(Dom0lessExport.Options.xenAllocated(), owner, BORROWER));

        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.getFirst().startsWith("owner.cfg:4: domain owner, static_shm[0] (id shm0), begin:"
                + " [0x40400000, 0x40600000) lies in the domain's RAM (bank 0) [0x40000000, 0x41000000)"
                + " (memory = 16 (MiB) in owner.cfg); that is fine at run time"), problems.getFirst());
    }

    @Test
    void theHostTreesMemoryWinsOverTheConfigs() {
        // 16 MiB in the config; 1 GiB (0x100000 KiB) in the tree: 0x44000000 is RAM only by the tree.
        DomainConfig owner = config("owner", "id=shm0, begin=0x44000000, size=0x200000, role=owner");
        HostTree tree = HostTree.parse(hostTree(2).text().replace("memory = <0x0 0x4000>;\n\t\t\tmodule",
                "memory = <0x0 0x100000>;\n\t\t\tmodule"), "host.dts");

        List<String> problems = problems(() -> export(new Dom0lessExport.Options(OptionalLong.empty(),
                Optional.empty(), Optional.of(tree)), owner, BORROWER));

        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.getFirst().contains("(memory = 1048576 KiB in host.dts /chosen/owner)"), problems.getFirst());
    }

    @Test
    void guestRangesOverXensFixedAreasAreRefusedInBothForms() {
        DomainConfig borrower = config("borrower", "id=shm0, begin=0x03000000, size=0x200000");
        for (OptionalLong hostBase : List.of(OptionalLong.<Long>empty(), OptionalLong.of(0x7000_0000L))) {
            List<String> problems = problems(() -> export(new Dom0lessExport.Options(hostBase, Optional.empty(),
                    Optional.empty()), OWNER, borrower));

            assertEquals(List.of("borrower.cfg:4: domain borrower, static_shm[0] (id shm0), begin: range [0x3000000,"
                    + " 0x3200000) overlaps GIC distributor (and GICv2 CPU interface) [0x3001000, 0x3011000), GICv3"
                    + " redistributors [0x3020000, 0x4020000) of an Arm guest; a borrower's window must be a hole, or"
                    + " Xen silently replaces what is there"), problems);
        }
    }

    @Test
    void aRangeWhereRamCanBeNeedsTheDomainsMemory() {
        DomainConfig owner = XlConfigParser.parse("name = \"owner\"\nstatic_shm = [ \"id=shm0, begin=0x80000000,"
                + " size=0x200000, role=owner\" ]\n", "owner.cfg");
        DomainConfig low = XlConfigParser.parse("name = \"borrower\"\nstatic_shm = [ \"id=shm0, begin=0x06000000,"
                + " size=0x200000\" ]\n", "borrower.cfg");

        List<String> problems = problems(() -> export(Dom0lessExport.Options.xenAllocated(), owner, low));

        // Below guest RAM's lowest address nothing needs the memory size.
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.getFirst().startsWith("owner.cfg:2: domain owner, static_shm[0] (id shm0), memory:"
                + " [0x80000000, 0x80200000) lies where guest RAM can be"), problems.getFirst());
    }

    @Test
    void windowsAndIdsXenCannotExpressAreRefused() {
        DomainConfig owner = config("owner", "id=shm0_abcdefghijk, begin=0x05000000, size=0x200000, role=owner");
        DomainConfig window = config("borrower", "id=shm0_abcdefghijk, begin=0x06000000, size=0x100000,"
                + " offset=0x100000");

        List<String> problems = problems(() -> export(Dom0lessExport.Options.xenAllocated(), owner, window));

        assertEquals(List.of("id", "id", "offset"), problems.stream().map(line -> line.split(", ")[2].split(":")[0])
                .toList(), problems.toString());
    }

    @Test
    void atMost32RegionsAndXenAllocatesAtMost32HeapBlocks() {
        List<String> specs = new ArrayList<>();
        IntStream.range(0, 33).forEach(i -> specs.add("id=r" + i + ", begin=0x" + Long.toHexString(0x0400_0000L
                + 0x10_0000L * (i + 1)) + ", size=0x1000, role=owner"));
        List<String> tooMany = problems(() -> export(new Dom0lessExport.Options(OptionalLong.of(0x7000_0000L),
                Optional.empty(), Optional.empty()), config("owner", specs.toArray(String[]::new))));
        assertEquals(1, tooMany.size(), tooMany.toString());
        assertTrue(tooMany.getFirst().contains("region r32 is region 33 of this host; Xen sets up at most 32"),
                tooMany.getFirst());

        // 11 regions of 7 pages each: 3 heap blocks each (4 + 2 + 1 pages), 33 blocks in all.
        List<String> sevens = IntStream.range(0, 11).mapToObj(i -> "id=r" + i + ", begin=0x" + Long.toHexString(
                0x0400_0000L + 0x10_0000L * (i + 1)) + ", size=0x7000, role=owner").toList();
        DomainConfig blocks = config("owner", sevens.toArray(String[]::new));
        List<String> heap = problems(() -> export(Dom0lessExport.Options.xenAllocated(), blocks));
        assertEquals(1, heap.size(), heap.toString());
        assertTrue(heap.getFirst().contains("with region r10 Xen would allocate at least 33 heap blocks"), heap.getFirst());
        // With host addresses Xen allocates nothing.
        assertEquals(11, export(new Dom0lessExport.Options(OptionalLong.of(0x7000_0000L), Optional.empty(),
                Optional.empty()), blocks).domains().getFirst().shares().size());
    }

    @Test
    void writesForTheHostTreesCellsAndAppendsToItsText() {
        HostTree tree = hostTree(1);
        Dom0lessExport export = export(new Dom0lessExport.Options(OptionalLong.of(0x7000_0000L), Optional.empty(),
                Optional.of(tree)), OWNER, BORROWER);

        assertEquals(List.of(new Cells(1, 1), new Cells(1, 1)), export.domains().stream()
                .map(Dom0lessExport.DomainShares::cells).toList());
        assertTrue(export.merged().startsWith(tree.text()));
        assertEquals(tree.text() + export.fragment(), export.merged());
        assertTrue(export.fragment().contains("xen,shared-mem = <0x70000000 0x5000000 0x200000>;"), export.fragment());
        assertTrue(!export.fragment().contains("/dts-v1/") && !export.fragment().contains("xen,domain\""),
                "the host's domain nodes are left as they are: " + export.fragment());
    }

    @Test
    void refusesCellsThatDifferFromTheHostTrees() {
        HostTreeException mismatch = assertThrows(HostTreeException.class, () -> export(new Dom0lessExport.Options(
                OptionalLong.empty(), Optional.of(Cells.DEFAULT), Optional.of(hostTree(1))), OWNER, BORROWER));

        assertEquals(HostTreeException.Reason.CELLS_MISMATCH, mismatch.reason());
        assertTrue(mismatch.getMessage().startsWith("host.dts: /chosen/owner has #address-cells = <1>, #size-cells ="
                + " <1>; /chosen/borrower has #address-cells = <1>, #size-cells = <1>, not the #address-cells = <2>,"
                + " #size-cells = <2> asked for"), mismatch.getMessage());
    }

    @Test
    void refusesADomainWithoutItsNode() {
        DomainConfig stranger = config("stranger", "id=shm0, begin=0x07000000, size=0x200000");

        HostTreeException missing = assertThrows(HostTreeException.class, () -> export(new Dom0lessExport.Options(
                OptionalLong.empty(), Optional.empty(), Optional.of(hostTree(2))), OWNER, BORROWER, stranger));

        assertEquals(HostTreeException.Reason.NO_DOMAIN_NODE, missing.reason());
        assertEquals("host.dts has no xen,domain node under /chosen for stranger (domain nodes are matched by the"
                + " config's name; it has owner, borrower)", missing.getMessage());
    }

    @Test
    void refusesHostAddressesOutsideRamOrOverWhatTheTreeAlreadyUses() {
        HostTree tree = hostTree(2);

        HostTreeException overModule = assertThrows(HostTreeException.class, () -> export(new Dom0lessExport.Options(
                OptionalLong.of(0x48F0_0000L), Optional.empty(), Optional.of(tree)), OWNER, BORROWER));
        assertEquals(HostTreeException.Reason.HOST_RANGE, overModule.reason());
        assertTrue(overModule.getMessage().contains("region shm0 at host [0x48f00000, 0x49100000) overlaps"
                + " /chosen/owner/module@49000000 [0x49000000, 0x49010000)"), overModule.getMessage());

        HostTreeException outside = assertThrows(HostTreeException.class, () -> export(new Dom0lessExport.Options(
                OptionalLong.of(0xC000_0000L), Optional.empty(), Optional.of(tree)), OWNER, BORROWER));
        assertTrue(outside.getMessage().contains("is not inside the host's RAM (/memory@40000000 [0x40000000,"
                + " 0xc0000000))"), outside.getMessage());
    }

    @Test
    void refusesARegionTheTreeAlreadyHas() {
        String withShare = hostTree(2).text().replace("\t\tborrower {\n", "\t\tborrower {\n\t\t\tshm {"
                + " compatible = \"xen,domain-shared-memory-v1\"; xen,shm-id = \"shm0\"; role = \"borrower\";"
                + " xen,shared-mem = <0x0 0x6000000 0x0 0x200000>; };\n");

        HostTreeException already = assertThrows(HostTreeException.class, () -> export(new Dom0lessExport.Options(
                OptionalLong.empty(), Optional.empty(), Optional.of(HostTree.parse(withShare, "host.dts"))),
                OWNER, BORROWER));

        assertEquals(HostTreeException.Reason.ALREADY_SHARED, already.reason());
        assertTrue(already.getMessage().startsWith("host.dts: /chosen/borrower/shm already describes region shm0"),
                already.getMessage());
    }

    @Test
    void imageBuilderLinesFollowTheConfigsOrderInBothForms() {
        Dom0lessExport allocated = export(Dom0lessExport.Options.xenAllocated(), BORROWER, OWNER);
        assertEquals(List.of("DOMU_SHARED_MEM[0]=\"shm0 0x6000000 0x200000\"",
                "DOMU_SHARED_MEM[1]=\"shm0 0x5000000 0x200000\""), lines(allocated.imageBuilder()));

        Dom0lessExport placed = export(new Dom0lessExport.Options(OptionalLong.of(0x7000_0000L), Optional.empty(),
                Optional.empty()), OWNER, BORROWER);
        assertEquals(List.of("DOMU_SHARED_MEM[0]=\"shm0 0x70000000 0x5000000 0x200000\"",
                "DOMU_SHARED_MEM[1]=\"shm0 0x70000000 0x6000000 0x200000\""), lines(placed.imageBuilder()));
    }

    @Test
    void imageBuilderHoldsOneRegionPerDomain() {
        DomainConfig two = config("owner", "id=a, begin=0x05000000, size=0x1000, role=owner",
                "id=b, begin=0x05100000, size=0x1000, role=owner");

        List<String> problems = problems(() -> export(Dom0lessExport.Options.xenAllocated(), two).imageBuilder());

        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.getFirst().startsWith("owner.cfg:5: domain owner, static_shm[1] (id b), static_shm: is the"
                + " domain's region 2; ImageBuilder's DOMU_SHARED_MEM holds one region per domain"), problems.getFirst());
    }

    private static List<String> lines(String text) {
        return text.lines().filter(line -> !line.startsWith("#")).toList();
    }
}
