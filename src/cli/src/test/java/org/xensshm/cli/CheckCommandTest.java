package org.xensshm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CheckCommandTest {

    @TempDir
    Path dir;

    @Test
    void printsThePlanOfTheExample() {
        Examples.write(dir);

        Cli.Run run = Cli.java().in(dir).run("check", "vm3.cfg", "vm2.cfg", "vm1.cfg");

        assertEquals(0, run.status(), run.describe());
        assertEquals("", run.err(), run.describe());
        List<String> lines = run.out().lines().toList();
        assertEquals("2 regions among 3 domains (platform arm)", lines.getFirst());
        assertRow(lines, "ID1", "vm1", "[0x100000, 0x200000)", "0x100000", "rw", "ARM_normal", "vm2");
        assertRow(lines, "ID2", "vm1", "[0x300000, 0x400000)", "0x100000", "rw", "ARM_normal", "vm3");
        // Each borrower: its range, its offset, the owner frames it maps and where.
        assertRow(lines, "vm2", "ID1", "[0x500000, 0x600000)", "0x0", "[0x100, 0x200)", "->", "[0x500, 0x600)", "256", "rw");
        assertRow(lines, "vm3", "ID2", "[0x690000, 0x780000)", "0x10000", "[0x310, 0x400)", "->", "[0x690, 0x780)", "240", "rw");
        // vm1 owns what the others borrow, so it comes first whatever the order of the arguments.
        assertTrue(lines.getLast().startsWith("Creation order: vm1, vm3, vm2"), run.describe());
    }

    @Test
    void printsThePlanAsJson() {
        Examples.write(dir);

        Cli.Run run = Cli.java().in(dir).run("check", "--json", "--platform", "ARM", "vm1.cfg", "vm2.cfg", "vm3.cfg");

        assertEquals(0, run.status(), run.describe());
        Map<String, Object> plan = JsonReader.object(run.out());
        assertEquals(true, plan.get("ok"));
        assertEquals(List.of("vm1", "vm2", "vm3"), plan.get("creationOrder"));
        List<?> regions = (List<?>) plan.get("regions");
        assertEquals(2, regions.size());
        Map<?, ?> id2 = (Map<?, ?>) regions.get(1);
        assertEquals("ID2", id2.get("id"));
        assertEquals("vm1", id2.get("owner"));
        Map<?, ?> vm3 = (Map<?, ?>) ((List<?>) id2.get("borrowers")).getFirst();
        assertEquals("vm3", vm3.get("domain"));
        assertEquals("0x10000", vm3.get("offset"));
        assertEquals(Map.of("first", "0x310", "end", "0x400", "count", 240L), vm3.get("ownerGfns"));
        assertEquals(Map.of("first", "0x690", "end", "0x780", "count", 240L), vm3.get("gfns"));
    }

    /** One broken config set: the example with one file replaced, and where the problem must be named. */
    record Broken(String name, String domain, String text, String file, String specAndField) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> brokenConfigs() {
        return Stream.of(
                new Broken("unknown key", "vm2", "name = \"vm2\"\n\n"
                        + "static_shm = [ \"id=ID1, begin=0x500000, sise=0x100000, role=borrower\" ]\n",
                        "vm2.cfg:3", "domain vm2, static_shm[0] (id ID1), sise: "),
                new Broken("begin not page aligned", "vm2", "name = \"vm2\"\n\n"
                        + "static_shm = [ \"id=ID1, begin=0x500800, size=0x100000, role=borrower\" ]\n",
                        "vm2.cfg:3", "domain vm2, static_shm[0] (id ID1), begin: "),
                new Broken("offset past the owner's region", "vm3", "name = \"vm3\"\n\n"
                        + "static_shm = [ \"id=ID2, offset=0x100000, begin=0x690000, size=0x1000\" ]\n",
                        "vm3.cfg:3", "domain vm3, static_shm[0] (id ID2), offset: "),
                new Broken("window runs past the owner's region", "vm3", "name = \"vm3\"\n\n"
                        + "static_shm = [ \"id=ID2, offset=0x10000, begin=0x690000, size=0x100000\" ]\n",
                        "vm3.cfg:3", "domain vm3, static_shm[0] (id ID2), size: "),
                new Broken("two owners", "vm2", "name = \"vm2\"\n\n"
                        + "static_shm = [ \"id=ID1, begin=0x500000, size=0x100000, role=owner\" ]\n",
                        "vm2.cfg:3", "domain vm2, static_shm[0] (id ID1), role: "),
                new Broken("no owner", "vm1", "name = \"vm1\"\n\n"
                        + "static_shm = [ \"id=ID2, begin=0x300000, size=0x100000, role=owner\" ]\n",
                        "vm2.cfg:3", "domain vm2, static_shm[0] (id ID1), id: "),
                new Broken("unknown role", "vm3", "name = \"vm3\"\n\n"
                        + "static_shm = [ \"id=ID2, offset=0x10000, begin=0x690000, size=0xf0000, role=slavee\" ]\n",
                        "vm3.cfg:3", "domain vm3, static_shm[0] (id ID2), role: "),
                new Broken("list never closed", "vm2", "name = \"vm2\"\n\n"
                        + "static_shm = [ \"id=ID1, begin=0x500000, size=0x100000\"\n",
                        "vm2.cfg:3", "domain vm2, syntax: "),
                new Broken("regions overlap in one domain", "vm1", "name = \"vm1\"\n"
                        + "static_shm = [ \"id=ID1, begin=0x100000, size=0x100000, role=owner\",\n"
                        + "               \"id=ID2, begin=0x180000, size=0x100000, role=owner\" ]\n",
                        "vm1.cfg:3", "domain vm1, static_shm[1] (id ID2), begin: "),
                new Broken("id with a dash", "vm3", "name = \"vm3\"\n\n"
                        + "static_shm = [ \"id=ID-2, offset=0x10000, begin=0x690000, size=0xf0000\" ]\n",
                        "vm3.cfg:3", "domain vm3, static_shm[0] (id ID-2), id: "),
                new Broken("more access than granted", "vm1", "name = \"vm1\"\n"
                        + "static_shm = [ \"id=ID1, begin=0x100000, size=0x100000, role=owner, prot=ro\",\n"
                        + "               \"id=ID2, begin=0x300000, size=0x100000, role=owner\" ]\n",
                        "vm2.cfg:3", "domain vm2, static_shm[0] (id ID1), prot: "),
                new Broken("x86 cache policy on Arm", "vm1", "name = \"vm1\"\n"
                        + "static_shm = [ \"id=ID1, begin=0x100000, size=0x100000, role=owner\",\n"
                        + "          \"id=ID2, begin=0x300000, size=0x100000, role=owner, cache_policy=x86_normal\" ]\n",
                        "vm1.cfg:3", "domain vm1, static_shm[1] (id ID2), cache_policy: "),
                new Broken("window over the guest's RAM", "vm2", "name = \"vm2\"\nmemory = 16\n"
                        + "static_shm = [ \"id=ID1, begin=0x40800000, size=0x100000\" ]\n",
                        "vm2.cfg:3", "domain vm2, static_shm[0] (id ID1), begin: range [0x40800000, 0x40900000) overlaps"
                        + " RAM (bank 0) [0x40000000, 0x41000000)"),
                new Broken("window over the grant table", "vm2", "name = \"vm2\"\n\n"
                        + "static_shm = [ \"id=ID1, begin=0x38000000, size=0x100000\" ]\n",
                        "vm2.cfg:3", "domain vm2, static_shm[0] (id ID1), begin: range [0x38000000, 0x38100000) overlaps"
                        + " grant table"),
                new Broken("no name", "vm3", "static_shm = [ \"id=ID2, offset=0x10000, begin=0x690000, size=0xf0000\" ]\n",
                        "vm3.cfg", "domain (unnamed), name: "))
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenConfigs")
    void namesTheFileSpecAndFieldOfEachProblem(Broken broken) {
        Examples.write(dir);
        Examples.write(dir, broken.domain(), broken.text());

        Cli.Run run = Cli.java().in(dir).run("check", "vm1.cfg", "vm2.cfg", "vm3.cfg");

        assertEquals(2, run.status(), run.describe());
        assertEquals("", run.out(), run.describe());
        String expected = broken.file() + ": " + broken.specAndField();
        assertTrue(run.errLines().stream().anyMatch(line -> line.startsWith(expected)),
                "no line starting '" + expected + "':\n" + run.describe());
        // One line per problem, each naming its file, domain and field, nothing else.
        Pattern problemLine = Pattern.compile("vm[123]\\.cfg(:\\d+)?: domain \\S+(, static_shm\\[\\d+] \\(id \\S+\\))?,"
                + " [a-z_]+: \\S.*");
        run.errLines().forEach(line -> assertTrue(problemLine.matcher(line).matches(), "not a problem line: " + line));
    }

    @Test
    void listsEveryProblemOfEveryFileAsJson() {
        Examples.write(dir);
        Examples.write(dir, "vm2", "name = \"vm2\"\nstatic_shm = [ \"id=ID1, begin=0x500800, size=0x100000\" ]\n");
        Examples.write(dir, "vm3", "name = \"vm3\"\nstatic_shm = [ \"id=ID2, offset=0x100000, begin=0x690000,"
                + " size=0x1000\" ]\n");

        Cli.Run run = Cli.java().in(dir).run("--json", "check", "vm1.cfg", "vm2.cfg", "vm3.cfg");

        assertEquals(2, run.status(), run.describe());
        Map<String, Object> failure = JsonReader.object(run.out());
        assertEquals(false, failure.get("ok"));
        assertEquals(2L, failure.get("exitStatus"));
        List<?> problems = (List<?>) failure.get("problems");
        assertEquals(2, problems.size(), run.describe());
        assertEquals(Map.of("file", "vm2.cfg", "line", 2L, "domain", "vm2", "spec", 0L, "id", "ID1", "field", "begin"),
                withoutMessage((Map<?, ?>) problems.get(0)));
        assertEquals(Map.of("file", "vm3.cfg", "line", 2L, "domain", "vm3", "spec", 0L, "id", "ID2", "field", "offset"),
                withoutMessage((Map<?, ?>) problems.get(1)));
        assertEquals(failure.get("errors"), run.errLines(), "the same lines go to stderr");
    }

    @Test
    void anUnreadableFileIsBadInput() {
        Cli.Run run = Cli.java().in(dir).run("check", "missing.cfg");

        assertEquals(2, run.status(), run.describe());
        assertEquals(List.of("xen-sshm: cannot read missing.cfg: no such file"), run.errLines());
    }

    @Test
    void x86HostsAreRefused() {
        Examples.write(dir);

        Cli.Run run = Cli.java().in(dir).run("check", "--platform", "x86", "vm1.cfg", "vm2.cfg", "vm3.cfg");

        assertEquals(2, run.status(), run.describe());
        assertEquals(3, run.errLines().size(), run.describe());
        run.errLines().forEach(line -> assertTrue(line.matches("vm[123]\\.cfg: domain vm[123], platform: .*"), line));
    }

    private static void assertRow(List<String> lines, String... cells) {
        String row = String.join("\\s+", Stream.of(cells).map(Pattern::quote).toList());
        assertTrue(lines.stream().anyMatch(line -> line.matches(row)), "no row " + List.of(cells) + " in\n"
                + String.join("\n", lines));
    }

    private static Map<?, ?> withoutMessage(Map<?, ?> problem) {
        assertTrue(problem.get("message") instanceof String message && !message.isBlank(), "message: " + problem);
        Map<Object, Object> rest = new java.util.HashMap<>(problem);
        rest.remove("message");
        return rest;
    }
}
