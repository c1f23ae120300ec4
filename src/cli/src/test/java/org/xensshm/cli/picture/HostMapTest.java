package org.xensshm.cli.picture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;
import org.xensshm.cli.picture.HostMap.Arrow;
import org.xensshm.cli.picture.HostMap.Band;
import org.xensshm.cli.picture.HostMap.Kind;
import org.xensshm.cli.picture.HostMap.Mark;
import org.xensshm.cli.picture.HostMap.Severity;
import org.xensshm.spec.ArmGuestLayout;
import org.xensshm.spec.DomainConfig;
import org.xensshm.spec.InvalidSpecException;
import org.xensshm.spec.PlanChecker;
import org.xensshm.spec.Platform;
import org.xensshm.spec.SourceLocation;
import org.xensshm.spec.SpecProblem;
import org.xensshm.spec.XlConfigParser;

class HostMapTest {

    private static final String VM1 = "name = \"vm1\"\n"
            + "static_shm = [ \"id=ID1, begin=0x100000, size=0x100000, role=owner\",\n"
            + "               \"id=ID2, begin=0x300000, size=0x100000, role=owner\" ]\n";
    private static final String VM2 = "name = \"vm2\"\n"
            + "static_shm = [ \"id=ID1, begin=0x500000, size=0x100000\" ]\n";
    private static final String VM3 = "name = \"vm3\"\n"
            + "static_shm = [ \"id=ID2, offset=0x10000, begin=0x690000, size=0xf0000\" ]\n";

    private static DomainConfig config(String text, String file) {
        return XlConfigParser.parse(text, file);
    }

    /** The map of these configs with the problems the check really finds. */
    private static HostMap checked(Platform platform, DomainConfig... configs) {
        List<SpecProblem> problems;
        try {
            PlanChecker.check(List.of(configs), platform);
            problems = List.of();
        } catch (InvalidSpecException e) {
            problems = e.problems();
        }
        return HostMap.of(List.of(configs), platform, problems);
    }

    @Test
    void eachBorrowerPointsAtTheOwnersPagesItMaps() {
        HostMap map = checked(Platform.ARM, config(VM1, "vm1.cfg"), config(VM2, "vm2.cfg"), config(VM3, "vm3.cfg"));

        assertEquals(List.of("vm1", "vm2", "vm3"), map.columns().stream().map(HostMap.Column::domain).toList());
        assertEquals(2, map.arrows().size());
        Arrow vm3 = map.arrows().get(1);
        assertEquals(List.of(2, 0), List.of(vm3.borrower(), vm3.owner()));
        assertEquals("ID2", vm3.id());
        assertEquals(0x10000, vm3.offset());
        assertEquals(List.of(0x310000L, 0x400000L), List.of(vm3.targetBegin(), vm3.targetEnd()));
        assertFalse(vm3.broken());
        assertTrue(map.marks().isEmpty());
        assertTrue(map.notes().isEmpty());
        // Xen's fixed areas in every domain, no RAM: the configs do not say how much.
        map.columns().forEach(column -> assertEquals(ArmGuestLayout.FIXED.size(),
                column.bands().stream().filter(band -> band.kind() == Kind.XEN).count()));
        map.columns().forEach(column -> assertTrue(column.bands().stream().noneMatch(band -> band.kind() == Kind.RAM)));
    }

    @Test
    void aProblemGoesOnItsSpecAndAnOverlapIsMarkedWhereItIs() {
        DomainConfig vm2 = config("name = \"vm2\"\n"
                + "static_shm = [ \"id=ID1, begin=0x500000, size=0x100000\",\n"
                + "               \"id=ID3, begin=0x5ff000, size=0x2000, role=owner\" ]\n", "vm2.cfg");

        HostMap map = checked(Platform.ARM, config(VM1, "vm1.cfg"), vm2, config(VM3, "vm3.cfg"));

        assertEquals(1, map.notes().size());
        assertEquals(Severity.ERROR, map.notes().getFirst().severity());
        Band id3 = map.columns().get(1).spec(1).orElseThrow();
        assertEquals(List.of("1"), id3.notes());
        assertEquals(List.of(), map.columns().get(1).spec(0).orElseThrow().notes());
        assertEquals(List.of(new Mark(1, 0x5ff000, 0x600000, Severity.ERROR,
                "static_shm[0] (ID1) and static_shm[1] (ID3) overlap")), map.marks());
    }

    @Test
    void aWindowPastItsOwnersRegionPointsPastItsEnd() {
        DomainConfig vm3 = config("name = \"vm3\"\n"
                + "static_shm = [ \"id=ID2, offset=0x100000, begin=0x690000, size=0x2000\" ]\n", "vm3.cfg");

        HostMap map = checked(Platform.ARM, config(VM1, "vm1.cfg"), config(VM2, "vm2.cfg"), vm3);

        Arrow arrow = map.arrows().get(1);
        assertTrue(arrow.broken());
        assertEquals(List.of(0x400000L, 0x402000L), List.of(arrow.targetBegin(), arrow.targetEnd()));
        Mark mark = map.marks().getFirst();
        assertEquals(List.of(0, 0x400000L, 0x402000L), List.of(mark.column(), mark.begin(), mark.end()));
        assertEquals(Severity.ERROR, mark.severity());
    }

    @Test
    void aSpecThatCannotBePlacedIsNotedOnItsDomain() {
        DomainConfig vm2 = config("name = \"vm2\"\nstatic_shm = [ \"id=ID1, begin=0x500800, size=0x100000\" ]\n",
                "vm2.cfg");

        HostMap map = checked(Platform.ARM, config(VM1, "vm1.cfg"), vm2, config(VM3, "vm3.cfg"));

        assertTrue(map.columns().get(1).shared().isEmpty(), "an unaligned begin cannot be drawn");
        assertEquals(List.of("1"), map.columns().get(1).notes());
        assertTrue(map.notes().getFirst().text().startsWith("vm2.cfg:2: domain vm2, static_shm[0] (id ID1), begin: "));
        assertEquals(1, map.arrows().size(), "vm3 still borrows ID2");
    }

    @Test
    void aProblemFindsItsFileWhenTwoConfigsShareADomainName() {
        DomainConfig first = config(VM2, "a.cfg");
        DomainConfig second = config(VM2, "b.cfg");
        SpecProblem aboutB = new SpecProblem("vm2", "ID1", OptionalInt.of(0), "size", "made up",
                Optional.of(new SourceLocation("b.cfg", 2)));

        HostMap map = HostMap.of(List.of(config(VM1, "vm1.cfg"), first, second), Platform.ARM, List.of(aboutB));

        assertEquals(List.of(), map.columns().get(1).spec(0).orElseThrow().notes());
        assertEquals(List.of("1"), map.columns().get(2).spec(0).orElseThrow().notes());
    }

    @Test
    void anOwnerOutsideItsRamIsAWarningAndAWindowOverXensAreasTheChecksError() {
        DomainConfig vm1 = config("name = \"vm1\"\nmemory = 16\n"
                + "static_shm = [ \"id=ID1, begin=0x40f00000, size=0x200000, role=owner\" ]\n", "vm1.cfg");
        DomainConfig vm2 = config("name = \"vm2\"\nmemory = 512\n"
                + "static_shm = [ \"id=ID1, begin=0x38000000, size=0x100000\" ]\n", "vm2.cfg");
        List<SpecProblem> problems = assertThrows(InvalidSpecException.class,
                () -> PlanChecker.check(List.of(vm1, vm2), Platform.ARM)).problems();

        HostMap map = HostMap.of(List.of(vm1, vm2), Platform.ARM, problems);

        assertEquals(List.of(new Band(Kind.RAM, 0x40000000L, 0x41000000L, "RAM (bank 0)", OptionalInt.empty(), List.of())),
                map.columns().getFirst().bands().stream().filter(band -> band.kind() == Kind.RAM).toList());
        assertEquals(List.of(new Mark(0, 0x41000000L, 0x41100000L, Severity.WARNING,
                        "is not in the domain's RAM at [0x41000000, 0x41100000)"),
                new Mark(1, 0x38000000L, 0x38100000L, Severity.ERROR, "overlaps grant table [0x38000000, 0x38100000)")),
                map.marks());
        assertTrue(map.notes().stream().anyMatch(note -> note.text().contains("overlaps grant table")),
                map.notes().toString());
        assertTrue(map.notes().stream().anyMatch(note -> note.label().equals("W1")
                && note.text().endsWith("an owner shares its own RAM")), map.notes().toString());
    }

    @Test
    void onX86NoArmLayoutIsDrawn() {
        HostMap map = checked(Platform.X86, config(VM1, "vm1.cfg"), config(VM2, "vm2.cfg"));

        map.columns().forEach(column -> assertTrue(column.bands().stream().allMatch(band -> band.kind().shared())));
        assertEquals(2, map.notes().size(), "x86 is refused for each domain");
        assertEquals(1, map.arrows().size(), "the regions are still drawn");
    }
}
