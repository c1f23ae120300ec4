package org.xensshm.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class XlConfigParserTest {

    /** The three domains of the reference's example, as its config lines are written there. */
    static final String VM1 = """
            # vm1
            name = "vm1"
            static_shm = [ "id=ID1, begin=0x100000, end=0x200000, role=master",
                           "id=ID2, begin=0x300000, end=0x400000, role=master" ]
            """;
    static final String VM2 = """
            # vm2
            name = "vm2"
            static_shm = [ "id=ID1, offset=0, begin=0x500000, end=0x600000, role=slave, prot=rw" ]
            """;
    static final String VM3 = """
            # vm3
            name = "vm3"
            static_shm = [ "id=ID2, offset=0x10000, begin=0x690000, end=0x780000, role=slave" ]
            """;

    private static Map<SpecKey, String> values(Object... keysAndValues) {
        EnumMap<SpecKey, String> map = new EnumMap<>(SpecKey.class);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((SpecKey) keysAndValues[i], (String) keysAndValues[i + 1]);
        }
        return map;
    }

    @Test
    void readsTheReferenceExampleAsWritten() {
        DomainConfig vm1 = XlConfigParser.parse(VM1, "vm1.cfg");
        assertEquals("vm1", vm1.name());
        assertEquals("vm1.cfg", vm1.source());
        assertEquals(2, vm1.drafts().size());
        assertEquals(values(SpecKey.ID, "ID1", SpecKey.ROLE, "master", SpecKey.BEGIN, "0x100000",
                SpecKey.END, "0x200000"), vm1.drafts().get(0).values());
        assertEquals(Optional.of(new SourceLocation("vm1.cfg", 3)), vm1.drafts().get(0).location());
        assertEquals(Optional.of(new SourceLocation("vm1.cfg", 4)), vm1.drafts().get(1).location());

        DomainConfig vm3 = XlConfigParser.parse(VM3, "vm3.cfg");
        assertEquals(values(SpecKey.ID, "ID2", SpecKey.ROLE, "slave", SpecKey.BEGIN, "0x690000",
                SpecKey.END, "0x780000", SpecKey.OFFSET, "0x10000"), vm3.drafts().getFirst().values());
    }

    @Test
    void theReferenceExamplePlansAndItsRangesFit() {
        Plan plan = PlanChecker.check(List.of(XlConfigParser.parse(VM1, "vm1.cfg"),
                XlConfigParser.parse(VM2, "vm2.cfg"), XlConfigParser.parse(VM3, "vm3.cfg")),
                Platform.ARM);

        assertEquals(List.of("vm1", "vm2", "vm3"), plan.creationOrder());
        Plan.Region id1 = plan.region("ID1").orElseThrow();
        assertEquals("vm1", id1.owner());
        assertEquals(new PageRange(0x100, 0x100), id1.ownerPages());
        assertEquals(CachePolicy.ARM_NORMAL, id1.ownerSpec().cachePolicy());
        Plan.Borrower vm2 = id1.borrowers().getFirst();
        assertEquals("vm2", vm2.domain());
        assertEquals(new PageRange(0x500, 0x100), vm2.pages());
        assertEquals(new PageRange(0x100, 0x100), vm2.ownerPages());

        // 0x10000 + (0x780000 - 0x690000) = 0x100000: exactly the owner's ID2 region, to the page.
        Plan.Region id2 = plan.region("ID2").orElseThrow();
        assertEquals(new PageRange(0x300, 0x100), id2.ownerPages());
        Plan.Borrower vm3 = id2.borrowers().getFirst();
        assertEquals(0x10000, vm3.spec().offset());
        assertEquals(0xF0000, vm3.spec().size());
        assertEquals(new PageRange(0x310, 0xF0), vm3.ownerPages());
        assertEquals(id2.ownerPages().end(), vm3.ownerPages().end());
    }

    @Test
    void oneMorePageInTheReferenceExampleWouldNotFit() {
        String vm3 = VM3.replace("end=0x780000", "end=0x781000");
        InvalidSpecException thrown = assertThrows(InvalidSpecException.class,
                () -> PlanChecker.check(List.of(XlConfigParser.parse(VM1, "vm1.cfg"),
                        XlConfigParser.parse(VM2, "vm2.cfg"), XlConfigParser.parse(vm3, "vm3.cfg")),
                        Platform.ARM));
        SpecProblem problem = thrown.problems().getFirst();
        assertEquals(1, thrown.problems().size());
        assertEquals("size", problem.field());
        assertEquals("vm3.cfg:3: domain vm3, static_shm[0] (id ID2), size: offset 0x10000 + size"
                + " 0xf1000 = 0x101000 runs past the end of region ID2, which owner vm1 makes"
                + " 0x100000 bytes long", thrown.getMessage());
    }

    @Test
    void readsMultiLineListsWithCommentsQuotesAndTerminators() {
        String text = """
                # a domain with everything xl allows around static_shm
                name = 'vm1'; memory = 512   # two settings on one line
                vif = [ 'bridge=xenbr0,mac=00:16:3e:00:00:01', ]
                extra = "console=hvc0 # not a comment"
                static_shm = [
                    # the owner of A
                    "id=A, role=owner, begin=0x100000, size=0x10000",

                    'id = B , begin = 0x200000 , size = 0x1000 , offset = 0x1000',  # trailing comma
                ];
                maxvcpus = 0x4
                """;
        DomainConfig config = XlConfigParser.parse(text, "vm1.cfg");
        assertEquals("vm1", config.name());
        assertEquals(2, config.drafts().size());
        SpecDraft b = config.drafts().get(1);
        assertEquals(values(SpecKey.ID, "B", SpecKey.BEGIN, "0x200000", SpecKey.SIZE, "0x1000",
                SpecKey.OFFSET, "0x1000"), b.values());
        assertEquals(Optional.of(new SourceLocation("vm1.cfg", 7)), config.drafts().get(0).location());
        assertEquals(Optional.of(new SourceLocation("vm1.cfg", 9)), b.location());
    }

    @Test
    void readsEscapesInStrings() {
        DomainConfig config = XlConfigParser.parse(
                "name = \"v\\\"m\\\\1\"\nextra = 'it\\'s\\tfine'\n", "x.cfg");
        assertEquals("v\"m\\1", config.name());
    }

    @Test
    void aConfigWithoutStaticShmHasNoDrafts() {
        DomainConfig config = XlConfigParser.parse("name = \"plain\"\nmemory = 1024\n", "p.cfg");
        assertEquals(List.of(), config.drafts());
        assertEquals(List.of(), SpecValidator.validate(config, Platform.X86).specs());
    }

    @Test
    void anEmptyListIsNoRegions() {
        assertEquals(List.of(),
                XlConfigParser.parse("name = \"v\"\nstatic_shm = [ ]\n", "e.cfg").drafts());
    }

    @Test
    void readsAFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("vm2.cfg");
        Files.writeString(file, VM2);
        DomainConfig config = XlConfigParser.parse(file);
        assertEquals(file.toString(), config.source());
        assertEquals(Optional.of(new SourceLocation(file.toString(), 3)),
                config.drafts().getFirst().location());
    }

    @Test
    void errorsNameTheFileLineSpecAndKey() {
        String text = """
                name = "vm1"
                static_shm = [
                    "id=A, role=owner, begin=0x100000, size=0x10000",
                    "id=B, begin=0x200000, size=0x1000, colour=red",
                ]
                """;
        InvalidSpecException thrown = assertThrows(InvalidSpecException.class,
                () -> XlConfigParser.parse(text, "/etc/xen/vm1.cfg"));
        SpecProblem problem = thrown.problems().getFirst();
        assertEquals(new SpecProblem("vm1", "B", OptionalInt.of(1), "colour", problem.message(),
                Optional.of(new SourceLocation("/etc/xen/vm1.cfg", 4))), problem);
        assertTrue(thrown.getMessage().startsWith(
                "/etc/xen/vm1.cfg:4: domain vm1, static_shm[1] (id B), colour: unknown key 'colour'"),
                thrown::getMessage);
    }

    @Test
    void reportsEverySyntaxProblemOfAFileTogether() {
        String text = """
                static_shm = [ "id=A, role=owner, begin=0x100000, size=0x10000, size=0x2000",
                               "id=B, begin=0x200000, Size=0x1000" ]
                memory = 12ab
                kernel = "/boot/vmlinuz
                name = "vm1"
                cpus = [ 1, 2
                """;
        InvalidSpecException thrown = assertThrows(InvalidSpecException.class,
                () -> XlConfigParser.parse(text, "vm1.cfg"));
        List<String> found = thrown.problems().stream()
                .map(p -> p.location().orElseThrow().line() + " " + p.field() + " " + p.specId())
                .toList();
        assertEquals(List.of("1 size A", "2 Size B", "3 syntax ", "4 syntax ", "6 syntax "), found);
        // The name comes after the errors in the file, yet every problem carries it.
        assertTrue(thrown.problems().stream().allMatch(p -> p.domain().equals("vm1")));
        assertEquals(5, thrown.getMessage().lines().count());
        assertTrue(thrown.getMessage().contains("keys are lower case: size"), thrown::getMessage);
        assertTrue(thrown.getMessage().contains("vm1.cfg:6: domain vm1, syntax: this '[' is never closed"), thrown::getMessage);
    }

    @Test
    void aBrokenSettingDoesNotSwallowTheNextOne() {
        for (String broken : List.of("memory\n", "memory =\n", "memory = ;", "= 5\n",
                "memory = 1 2\n", "memory = [ 1 2 ]\n", "memory = @\n")) {
            InvalidSpecException thrown = assertThrows(InvalidSpecException.class,
                    () -> XlConfigParser.parse(broken + "name = \"vm1\"\n", "b.cfg"));
            assertEquals(List.of("vm1 syntax"), thrown.problems().stream()
                    .map(p -> p.domain() + " " + p.field()).toList(), thrown::getMessage);
        }
    }

    @Test
    void aMissingNameIsReportedForTheWholeFile() {
        InvalidSpecException thrown = assertThrows(InvalidSpecException.class,
                () -> XlConfigParser.parse("memory = 512\n", "anon.cfg"));
        assertEquals("anon.cfg: domain (unnamed), name: missing: the config needs name = \"...\"",
                thrown.getMessage());
    }

    @Test
    void aSecondNameIsRefusedAtItsLine() {
        InvalidSpecException thrown = assertThrows(InvalidSpecException.class,
                () -> XlConfigParser.parse("name = \"a\"\n\nname = \"b\"\n", "two.cfg"));
        SpecProblem problem = thrown.problems().getFirst();
        assertEquals("name", problem.field());
        assertEquals("a", problem.domain());
        assertEquals(Optional.of(new SourceLocation("two.cfg", 3)), problem.location());
    }

    @Test
    void aHashInsideAStringIsNotAComment() {
        InvalidSpecException thrown = assertThrows(InvalidSpecException.class,
                () -> XlConfigParser.parse("name = \"vm1\"\nstatic_shm = [ \"id=A#1, begin=0x1000,"
                        + " size=0x1000\" ]\n", "h.cfg").drafts()
                        .forEach(d -> SpecValidator.validate("vm1", List.of(d), Platform.ARM).specs()));
        assertEquals("A#1", thrown.problems().getFirst().specId());
        assertEquals("id", thrown.problems().getFirst().field());
    }

    @Test
    void draftsRoundTripThroughTheirConfigText() {
        SpecDraft draft = SshmSpec.builder("ID2").role(Role.BORROWER).begin(0x690000)
                .end(0x780000).offset(0x10000).prot(Prot.RW).build();
        String text = "name = \"vm3\"\nstatic_shm = [ \"" + draft.toConfigString() + "\" ]\n";
        assertEquals("id=ID2, role=borrower, begin=0x690000, end=0x780000, offset=0x10000, prot=rw",
                draft.toConfigString());
        assertEquals(draft.values(),
                XlConfigParser.parse(text, "vm3.cfg").drafts().getFirst().values());
    }

    @Test
    void keepsTheRamSizeAndRefusesABadOne() {
        assertEquals(java.util.OptionalLong.of(512), XlConfigParser.parse("name = \"a\"\nmemory = 512\n", "a.cfg").memoryMiB());
        assertEquals(java.util.OptionalLong.empty(), XlConfigParser.parse("name = \"a\"\n", "a.cfg").memoryMiB());
        InvalidSpecException e = assertThrows(InvalidSpecException.class,
                () -> XlConfigParser.parse("name = \"a\"\nmemory = \"lots\"\n", "a.cfg"));
        assertEquals(List.of("memory"), e.problems().stream().map(SpecProblem::field).toList());
        assertThrows(InvalidSpecException.class, () -> XlConfigParser.parse("name = \"a\"\nmemory = 0\n", "a.cfg"));
    }
}
