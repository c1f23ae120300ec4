package org.xensshm.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One bad configuration per row, each expected to produce exactly one problem (no cascades) that
 * names the right domain, spec id and field.
 */
class BadSpecTest {

    /** A single-problem case: what to run, and whose fault it must say it is. */
    record Case(Executable action, String domain, String specId, String field) {
    }

    private static final String OWN_A = "id=A, role=owner, begin=0x100000, size=0x10000";

    /** A config file for {@code name} with the given static_shm entries. */
    static String cfg(String name, String... specs) {
        StringBuilder text = new StringBuilder("name = \"" + name + "\"\nmemory = 512\n");
        text.append("static_shm = [\n");
        for (String spec : specs) {
            text.append("    \"").append(spec).append("\",\n");
        }
        return text.append("]\n").toString();
    }

    /** Parses and validates one domain on the given platform. */
    static Executable domain(Platform platform, String config) {
        return () -> SpecValidator.validate(XlConfigParser.parse(config, "test.cfg"), platform);
    }

    static Executable arm(String name, String... specs) {
        return domain(Platform.ARM, cfg(name, specs));
    }

    /** Parses every config and checks them together as a plan. */
    static Executable plan(String... configs) {
        return () -> {
            List<DomainConfig> parsed = new ArrayList<>();
            for (int i = 0; i < configs.length; i++) {
                parsed.add(XlConfigParser.parse(configs[i], "vm" + i + ".cfg"));
            }
            PlanChecker.check(parsed, Platform.ARM);
        };
    }

    static Executable built(Platform platform, String domain, SpecDraft... drafts) {
        return () -> SpecValidator.validate(domain, Arrays.asList(drafts), platform);
    }

    static Arguments row(String title, Executable action, String domain, String specId,
                         String field) {
        return Arguments.of(Named.of(title, new Case(action, domain, specId, field)));
    }

    static Stream<Arguments> cases() {
        String tooLong = "x".repeat(SpecValidator.MAX_ID_LENGTH + 1);
        return Stream.of(
                // ---- spec syntax, refused by the parser
                row("unknown key", arm("vm1", "id=A, begin=0x1000, size=0x1000, colour=red"),
                        "vm1", "A", "colour"),
                row("key in upper case", arm("vm1", "id=A, BEGIN=0x1000, size=0x1000"),
                        "vm1", "A", "BEGIN"),
                row("duplicate key", arm("vm1", "id=A, begin=0x1000, begin=0x2000, size=0x1000"),
                        "vm1", "A", "begin"),
                row("key without a value", arm("vm1", "id=A, begin, size=0x1000"),
                        "vm1", "A", "begin"),
                row("empty pair", arm("vm1", "id=A,, begin=0x1000, size=0x1000"),
                        "vm1", "A", "static_shm"),
                row("pair without a key", arm("vm1", "id=A, =0x1000, size=0x1000"),
                        "vm1", "A", "static_shm"),
                row("entry that is not a string",
                        domain(Platform.ARM, "name = \"vm1\"\nstatic_shm = [ 42 ]\n"),
                        "vm1", "", "static_shm"),
                row("static_shm that is not a list",
                        domain(Platform.ARM, "name = \"vm1\"\nstatic_shm = \"id=A\"\n"),
                        "vm1", "", "static_shm"),
                row("static_shm set twice",
                        domain(Platform.ARM, cfg("vm1", OWN_A) + "static_shm = []\n"),
                        "vm1", "", "static_shm"),
                row("missing name", domain(Platform.ARM, "static_shm = [ \"" + OWN_A + "\" ]\n"),
                        "", "", "name"),
                row("empty name", domain(Platform.ARM, "name = ''\n"), "", "", "name"),
                row("name that is a number", domain(Platform.ARM, "name = 7\n"), "", "", "name"),
                row("unclosed string", domain(Platform.ARM, "name = \"vm1\"\nkernel = \"/boot/x\n"),
                        "vm1", "", "syntax"),
                row("unknown escape", domain(Platform.ARM, "name = \"vm1\"\nextra = \"a\\qb\"\n"),
                        "vm1", "", "syntax"),
                row("setting without '='", domain(Platform.ARM, "name = \"vm1\"\nmemory 512\n"),
                        "vm1", "", "syntax"),
                // ---- id
                row("missing id", arm("vm1", "role=owner, begin=0x1000, size=0x1000"),
                        "vm1", "", "id"),
                row("empty id", arm("vm1", "id=, role=owner, begin=0x1000, size=0x1000"),
                        "vm1", "", "id"),
                row("id with a slash", arm("vm1", "id=a/b, role=owner, begin=0x1000, size=0x1000"),
                        "vm1", "a/b", "id"),
                row("id escaping the path", arm("vm1", "id=.., role=owner, begin=0x1000, size=0x1000"),
                        "vm1", "..", "id"),
                row("id with a hyphen", arm("vm1", "id=a-b, role=owner, begin=0x1000, size=0x1000"),
                        "vm1", "a-b", "id"),
                row("id too long",
                        arm("vm1", "id=" + tooLong + ", role=owner, begin=0x1000, size=0x1000"),
                        "vm1", tooLong, "id"),
                row("id twice in one domain",
                        arm("vm1", OWN_A, "id=A, role=owner, begin=0x200000, size=0x1000"),
                        "vm1", "A", "id"),
                // ---- role, prot, cache_policy
                row("unknown role", arm("vm1", "id=A, role=boss, begin=0x1000, size=0x1000"),
                        "vm1", "A", "role"),
                row("read-only borrower", arm("vm1", "id=A, begin=0x1000, size=0x1000, prot=ro"),
                        "vm1", "A", "prot"),
                row("unknown prot", arm("vm1", "id=A, begin=0x1000, size=0x1000, prot=rx"),
                        "vm1", "A", "prot"),
                row("cache_policy on a borrower",
                        arm("vm1", "id=A, begin=0x1000, size=0x1000, cache_policy=ARM_normal"),
                        "vm1", "A", "cache_policy"),
                row("x86 cache policy on ARM", arm("vm1", OWN_A + ", cache_policy=x86_normal"),
                        "vm1", "A", "cache_policy"),
                row("unknown cache policy", arm("vm1", OWN_A + ", cache_policy=writeback"),
                        "vm1", "A", "cache_policy"),
                row("offset on an owner", arm("vm1", OWN_A + ", offset=0"),
                        "vm1", "A", "offset"),
                // ---- ranges
                row("missing begin", arm("vm1", "id=A, role=owner, size=0x1000"),
                        "vm1", "A", "begin"),
                row("end and size both", arm("vm1", "id=A, begin=0x1000, end=0x2000, size=0x1000"),
                        "vm1", "A", "end"),
                row("neither end nor size", arm("vm1", "id=A, begin=0x1000"),
                        "vm1", "A", "size"),
                row("unaligned begin", arm("vm1", "id=A, begin=0x1001, size=0x1000"),
                        "vm1", "A", "begin"),
                row("unaligned size", arm("vm1", "id=A, begin=0x1000, size=0x1800"),
                        "vm1", "A", "size"),
                row("unaligned end", arm("vm1", "id=A, begin=0x1000, end=0x2800"),
                        "vm1", "A", "end"),
                row("unaligned offset", arm("vm1", "id=A, begin=0x1000, size=0x1000, offset=0x10"),
                        "vm1", "A", "offset"),
                row("inverted range", arm("vm1", "id=A, begin=0x3000, end=0x2000"),
                        "vm1", "A", "end"),
                row("empty range by end", arm("vm1", "id=A, begin=0x3000, end=0x3000"),
                        "vm1", "A", "end"),
                row("zero size", arm("vm1", "id=A, begin=0x3000, size=0"),
                        "vm1", "A", "size"),
                row("begin + size overflows",
                        arm("vm1", "id=A, begin=0x7ffffffffffff000, size=0x2000"),
                        "vm1", "A", "size"),
                row("offset + size overflows",
                        arm("vm1", "id=A, begin=0x1000, size=0x2000, offset=0x7ffffffffffff000"),
                        "vm1", "A", "offset"),
                row("begin at 2^63", arm("vm1", "id=A, begin=0x8000000000000000, size=0x1000"),
                        "vm1", "A", "begin"),
                row("size beyond 64 bits", arm("vm1", "id=A, begin=0x1000, size=0x10000000000000000"),
                        "vm1", "A", "size"),
                row("decimal beyond 64 bits", arm("vm1", "id=A, begin=18446744073709551616, size=4096"),
                        "vm1", "A", "begin"),
                row("bad hex digit", arm("vm1", "id=A, begin=0x10g0, size=0x1000"),
                        "vm1", "A", "begin"),
                row("unit suffix", arm("vm1", "id=A, begin=0x1000, size=4k"),
                        "vm1", "A", "size"),
                row("bare 0x", arm("vm1", "id=A, begin=0x, size=0x1000"),
                        "vm1", "A", "begin"),
                row("negative number", arm("vm1", "id=A, begin=-4096, size=0x1000"),
                        "vm1", "A", "begin"),
                row("octal-looking number", arm("vm1", "id=A, begin=010000, size=0x1000"),
                        "vm1", "A", "begin"),
                row("empty value", arm("vm1", "id=A, begin=0x1000, size="),
                        "vm1", "A", "size"),
                // ---- one domain's regions
                row("owner and borrower overlap",
                        arm("vm1", OWN_A, "id=B, begin=0x108000, size=0x10000"),
                        "vm1", "B", "begin"),
                row("region inside another",
                        arm("vm1", OWN_A, "id=B, begin=0x101000, size=0x1000"),
                        "vm1", "B", "begin"),
                row("same begin, later spec blamed",
                        arm("vm1", "id=B, begin=0x100000, size=0x1000", OWN_A),
                        "vm1", "A", "begin"),
                // ---- platform
                row("x86 host", domain(Platform.X86, cfg("vm1", OWN_A)), "vm1", "", "platform"),
                row("x86 host through the builder", built(Platform.X86, "vm1",
                                SshmSpec.builder("A").role(Role.OWNER).begin(0x1000).size(0x1000)
                                        .build()),
                        "vm1", "", "platform"),
                row("negative long through the builder", built(Platform.ARM, "vm1",
                                SshmSpec.builder("A").begin(-4096).size(0x1000).build()),
                        "vm1", "A", "begin"),
                row("blank domain name through the builder", built(Platform.ARM, " ",
                                SshmSpec.builder("A").role(Role.OWNER).begin(0x1000).size(0x1000)
                                        .build()),
                        " ", "", "name"),
                // ---- across domains
                row("two owners", plan(cfg("vm1", OWN_A), cfg("vm2", OWN_A)), "vm2", "A", "role"),
                row("no owner", plan(cfg("vm1", OWN_A), cfg("vm2", "id=B, begin=0x1000, size=0x1000")),
                        "vm2", "B", "id"),
                row("offset past the owner's region", plan(cfg("vm1", OWN_A),
                                cfg("vm2", "id=A, begin=0x1000, size=0x1000, offset=0x10000")),
                        "vm2", "A", "offset"),
                row("offset + size past the owner's region", plan(cfg("vm1", OWN_A),
                                cfg("vm2", "id=A, begin=0x1000, size=0x2000, offset=0xf000")),
                        "vm2", "A", "size"),
                row("borrower larger than the owner's region", plan(cfg("vm1", OWN_A),
                                cfg("vm2", "id=A, begin=0x1000, size=0x11000")),
                        "vm2", "A", "size"),
                row("rw borrower of a read-only owner", plan(cfg("vm1", OWN_A + ", prot=ro"),
                                cfg("vm2", "id=A, begin=0x1000, size=0x1000, prot=rw")),
                        "vm2", "A", "prot"),
                row("two-domain cycle", plan(
                                cfg("vm1", OWN_A, "id=B, begin=0x200000, size=0x1000"),
                                cfg("vm2", "id=B, role=owner, begin=0x1000, size=0x1000",
                                        "id=A, begin=0x10000, size=0x1000")),
                        "vm1", "B", "role"),
                row("three-domain cycle", plan(
                                cfg("vm1", OWN_A, "id=C, begin=0x200000, size=0x1000"),
                                cfg("vm2", "id=B, role=owner, begin=0x1000, size=0x1000",
                                        "id=A, begin=0x10000, size=0x1000"),
                                cfg("vm3", "id=C, role=master, begin=0x1000, size=0x1000",
                                        "id=B, role=slave, begin=0x10000, size=0x1000")),
                        "vm1", "C", "role"),
                row("two domains with one name", plan(cfg("vm1", OWN_A), cfg("vm1")),
                        "vm1", "", "name"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void reportsTheFieldAtFault(Case bad) {
        InvalidSpecException thrown = assertThrows(InvalidSpecException.class, bad.action());
        List<SpecProblem> problems = thrown.problems();
        assertEquals(1, problems.size(), () -> "expected one problem, got:\n" + thrown.getMessage());
        SpecProblem problem = problems.getFirst();
        assertEquals(bad.field(), problem.field(), problem::describe);
        assertEquals(bad.specId(), problem.specId(), problem::describe);
        assertEquals(bad.domain(), problem.domain(), problem::describe);
        assertEquals(problem.describe(), thrown.getMessage());
        assertTrue(thrown.getMessage().contains(", " + bad.field() + ": "), thrown::getMessage);
        assertTrue(bad.domain().isBlank() || thrown.getMessage().contains("domain " + bad.domain()),
                thrown::getMessage);
        assertTrue(bad.specId().isEmpty() || thrown.getMessage().contains(bad.specId()),
                thrown::getMessage);
    }

    @Test
    void hasAtLeastFortyCases() {
        assertTrue(cases().count() >= 40);
    }
}
