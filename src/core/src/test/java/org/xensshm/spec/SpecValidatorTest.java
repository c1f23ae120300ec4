package org.xensshm.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;

class SpecValidatorTest {

    @Test
    void appliesTheSeedsDefaults() {
        List<SshmSpec> specs = SpecValidator.validate("vm1", List.of(
                SshmSpec.builder("OWN").role(Role.OWNER).begin(0x100000).size(0x10000).build(),
                SshmSpec.builder("BOR").begin(0x200000).size(0x1000).build()), Platform.ARM).specs();

        assertEquals(new SshmSpec("OWN", Role.OWNER, 0x100000, 0x10000, 0, Prot.RW,
                CachePolicy.ARM_NORMAL), specs.get(0));
        assertEquals(new SshmSpec("BOR", Role.BORROWER, 0x200000, 0x1000, 0, Prot.RW, null),
                specs.get(1));
    }

    @Test
    void acceptsEverySpellingAndFormOfTheKeys() {
        DomainConfig config = XlConfigParser.parse("""
                name = "vm1"
                static_shm = [ "id=a_1, role=MASTER, begin=1048576, end=0x110000, prot=RO,\
                 cache_policy=arm_normal",
                               "id=Z9, role=Slave, begin=0X200000, size=4096, offset=0x0" ]
                """, "vm1.cfg");
        List<SshmSpec> specs = SpecValidator.validate(config, Platform.ARM).specs();
        assertEquals(new SshmSpec("a_1", Role.OWNER, 0x100000, 0x10000, 0, Prot.RO,
                CachePolicy.ARM_NORMAL), specs.get(0));
        assertEquals(new SshmSpec("Z9", Role.BORROWER, 0x200000, 0x1000, 0, Prot.RW, null),
                specs.get(1));
    }

    @Test
    void acceptsAnIdOfExactlyTheLongestLength() {
        String id = "i".repeat(SpecValidator.MAX_ID_LENGTH);
        List<SshmSpec> specs = SpecValidator.validate("vm1",
                List.of(SshmSpec.builder(id).begin(0).size(0x1000).build()), Platform.ARM).specs();
        assertEquals(id, specs.getFirst().id());
    }

    @Test
    void acceptsTheHighestRegionBelowTwoToTheSixtyThird() {
        long begin = Long.MAX_VALUE - 0xFFF - 0x1000;
        SshmSpec spec = SpecValidator.validate("vm1",
                List.of(SshmSpec.builder("TOP").begin(begin).size(0x1000).build()), Platform.ARM).specs()
                .getFirst();
        assertEquals(Long.MAX_VALUE - 0xFFF, spec.end());
    }

    @Test
    void adjacentRegionsDoNotOverlap() {
        List<SshmSpec> specs = SpecValidator.validate("vm1", List.of(
                SshmSpec.builder("A").role(Role.OWNER).begin(0x1000).end(0x3000).build(),
                SshmSpec.builder("B").begin(0x3000).size(0x1000).build(),
                SshmSpec.builder("C").begin(0).size(0x1000).build()), Platform.ARM).specs();
        assertEquals(List.of("A", "B", "C"), specs.stream().map(SshmSpec::id).toList());
    }

    @Test
    void reportsAllProblemsOfADomainTogether() {
        DomainConfig config = XlConfigParser.parse("""
                name = "vm1"
                static_shm = [
                    "id=A, role=owner, begin=0x100000, size=0x10000, offset=0x1000",
                    "begin=0x1001, size=0",
                    "id=A, begin=0x108000, size=0x1000, prot=ro, cache_policy=x86_normal",
                    "id=ok, begin=0x200000, size=0x1000",
                    "id=ok2, begin=0x200000, end=0x100000",
                ]
                """, "vm1.cfg");
        InvalidSpecException thrown = assertThrows(InvalidSpecException.class,
                () -> SpecValidator.validate(config, Platform.X86).specs());
        List<String> found = thrown.problems().stream()
                .map(p -> p.specIndex().orElse(-1) + " " + p.specId() + " " + p.field())
                .toList();
        assertEquals(List.of(
                "-1  platform",
                "0 A offset",
                "1  id", "1  begin", "1  size",
                "2 A prot", "2 A cache_policy", "2 A id",
                "4 ok2 end"), found);
        assertEquals(found.size(), thrown.getMessage().lines().count());
        assertTrue(thrown.getMessage().lines().allMatch(line -> line.contains("domain vm1")));
        assertTrue(thrown.getMessage().lines().skip(1).allMatch(line -> line.startsWith("vm1.cfg:")));
        assertTrue(thrown.getMessage().startsWith("vm1.cfg: domain vm1, platform: static shared"
                + " memory is not supported on x86 hosts"), thrown::getMessage);
    }

    @Test
    void reportsEveryOverlappingPairOnTheLaterSpec() {
        InvalidSpecException thrown = assertThrows(InvalidSpecException.class,
                () -> SpecValidator.validate("vm1", List.of(
                        SshmSpec.builder("BIG").role(Role.OWNER).begin(0).size(0x10000).build(),
                        SshmSpec.builder("X").begin(0x2000).size(0x1000).build(),
                        SshmSpec.builder("Y").begin(0x8000).size(0x10000).build(),
                        SshmSpec.builder("Z").begin(0x9000).size(0x1000).build()), Platform.ARM).specs());
        assertEquals(List.of("X begin", "Y begin", "Z begin", "Z begin"), thrown.problems().stream()
                .map(p -> p.specId() + " " + p.field()).toList());
        assertEquals("domain vm1, static_shm[3] (id Z), begin: range [0x9000, 0xa000) overlaps"
                + " [0x8000, 0x18000) of static_shm[2] (id Y); a guest page can back only one region",
                thrown.problems().getLast().describe());
    }

    @Test
    void problemsOfDraftsMadeInCodeCarryTheirIndexButNoLocation() {
        InvalidSpecException thrown = assertThrows(InvalidSpecException.class,
                () -> SpecValidator.validate("vm1", List.of(
                        SshmSpec.builder("A").begin(0x1000).size(0x1000).build(),
                        SpecDraft.builder().begin(0x1000).size(0x1000).build()), Platform.ARM).specs());
        SpecProblem missingId = thrown.problems().getFirst();
        assertEquals(OptionalInt.of(1), missingId.specIndex());
        assertEquals(Optional.empty(), missingId.location());
        assertTrue(missingId.describe().startsWith("domain vm1, static_shm[1], id: missing"),
                missingId::describe);
    }

    @Test
    void buildersLocationAppearsInMessages() {
        InvalidSpecException thrown = assertThrows(InvalidSpecException.class,
                () -> SpecValidator.validate("vm1", List.of(SshmSpec.builder("A").begin(0x1000)
                        .size(0x1000).prot(Prot.RO).at(new SourceLocation("gen.json", 12)).build()),
                        Platform.ARM).specs());
        assertTrue(thrown.getMessage().startsWith("gen.json:12: domain vm1, static_shm[0] (id A),"
                + " prot: a borrower cannot be read-only"), thrown::getMessage);
    }

    @Test
    void theResultIsImmutable() {
        List<SshmSpec> specs = SpecValidator.validate("vm1",
                List.of(SshmSpec.builder("A").begin(0).size(0x1000).build()), Platform.ARM).specs();
        assertThrows(UnsupportedOperationException.class, specs::clear);
        SpecDraft draft = SshmSpec.builder("A").build();
        assertThrows(UnsupportedOperationException.class,
                () -> draft.values().put(SpecKey.BEGIN, "0"));
    }

    @Test
    void theSpecRecordGuardsItsInvariants() {
        assertThrows(IllegalArgumentException.class,
                () -> new SshmSpec("A", Role.BORROWER, 0x1001, 0x1000, 0, Prot.RW, null));
        assertThrows(IllegalArgumentException.class,
                () -> new SshmSpec("A", Role.OWNER, 0x1000, 0x1000, 0x1000, Prot.RW,
                        CachePolicy.ARM_NORMAL));
        assertThrows(IllegalArgumentException.class,
                () -> new SshmSpec("A", Role.BORROWER, Long.MAX_VALUE - 0xFFF, 0x1000, 0, Prot.RW,
                        null));
    }

    @Test
    void aBorrowerMapsOnlyWhatLiesInItsOwnersRegion() {
        SshmSpec borrower = new SshmSpec("A", Role.BORROWER, 0x500000, 0x2000, 0x1000, Prot.RW, null);
        assertEquals(Optional.of(new PageRange(0x101, 2)),
                borrower.ownerPagesWithin(new PageRange(0x100, 3)));
        assertEquals(Optional.empty(), borrower.ownerPagesWithin(new PageRange(0x100, 2)));
        // The seed truncated page offsets to 32 bits: 2^32 pages in, it would have seen 0.
        SshmSpec far = new SshmSpec("A", Role.BORROWER, 0, 0x1000, 1L << 44, Prot.RW, null);
        assertEquals(Optional.empty(), far.ownerPagesWithin(new PageRange(0x100, 1)));
    }
}
