package org.xensshm.e2e.dom0less;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Upstream Xen with no dom0 boots bare-metal guests whose static shared memory comes from
 * {@code xen-sshm dom0less --host-dts}: the host tree is QEMU's own plus the domain nodes
 * ({@code host-tree.sh}), and the CLI alone adds the shared memory nodes. Every passing variant
 * asserts, from the console, that the owner wrote its id and a counter value only known at run
 * time, that each borrower read exactly those bytes through its own window, and what Xen says it
 * did with the host memory. The controls show that the check can fail: without the nodes the
 * borrower faults, with mismatched cells Xen panics, and Xen 4.17 given the Xen-allocated form
 * panics; the CLI refuses the last two before any boot.
 *
 * <p>Which Xen boots what: the host-address form, which every release with boot-time static shared
 * memory reads (4.17 on), boots on the hypervisor built from Debian's source (4.17 or 4.20, see
 * {@link Dom0lessHost}), and its main variant on the 4.20 reference too; the Xen-allocated form
 * (4.19 on) boots on the built one if it is new enough, else on the reference. Each boot prints
 * one line naming the variant and the Xen version its log shows.
 *
 * <p>Each domain: 16 MiB of RAM at guest 0x40000000, one vCPU; windows at guest 0x05000000
 * (owner), 0x06000000 and 0x07000000 (borrowers), clear of guest RAM and of Xen's fixed guest
 * areas. Host: images at 0x49000000 + 1 MiB per domain, host addresses from 0x70000000.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Dom0lessBootTest {

    private static final String HOST_BASE = "0x70000000";
    private static final Pattern OWNER_WROTE = Pattern.compile("\\(d\\d+\\) (\\S+): wrote \\[(.*)]$");
    private static final Pattern MATCH = Pattern.compile("\\(d\\d+\\) (\\S+): MATCH \\[(.*)]$");
    private static final Pattern FAULT = Pattern.compile("\\(d\\d+\\) (\\S+): FAULT (.*)$");
    /** 4.19 and later list regions with a host address as they read the tree, last byte included. */
    private static final Pattern SHMEM = Pattern.compile("SHMEM\\[\\d+]: ([0-9a-f]+) - ([0-9a-f]+)");
    /** 4.17 says where it put each region as it gives it to its owner, end excluded. */
    private static final Pattern BANK = Pattern.compile(
            "allocate static shared memory BANK 0x([0-9a-f]+)-0x([0-9a-f]+)");
    private static final Pattern VERSION = Pattern.compile("Xen version (\\S+)(?: \\((Debian [^)]+)\\))?");

    private Dom0lessHost host;

    /** One domain of a variant: an owner if its name starts with "owner"; no window, no static_shm. */
    private record Guest(String name, Optional<String> window) {
        static Guest of(String name, String window) {
            return new Guest(name, Optional.of(window));
        }

        boolean owner() {
            return name.startsWith("owner");
        }
    }

    /** A variant's files and, once booted, its console log. */
    private record Variant(Path dir, List<Path> configs, List<String> domains, List<String> images) {
    }

    /** What one boot showed. */
    private record Boot(Dom0lessHost.Run run, List<String> log, Path dtb, Dom0lessHost.Xen xen) {

        /** The version in Xen's banner, as "4.17.5 (Debian 4.17.5+72-g01140da4e8-1)"; empty if none. */
        Optional<String> xenVersion() {
            for (String line : log) {
                Matcher m = VERSION.matcher(line);
                if (m.find()) {
                    return Optional.of(m.group(1) + (m.group(2) == null ? "" : " (" + m.group(2) + ")"));
                }
            }
            return Optional.empty();
        }

        String verdict() {
            return run.out().lines().filter(line -> line.startsWith("verdict: ")).reduce((a, b) -> b)
                    .map(line -> line.substring("verdict: ".length())).orElse("none: " + run.describe());
        }

        Optional<String> owners(String name) {
            return find(OWNER_WROTE, name);
        }

        Optional<String> matched(String name) {
            return find(MATCH, name);
        }

        Optional<String> fault(String name) {
            return find(FAULT, name);
        }

        /** The host ranges Xen reports for regions with a host address, "0xFIRST-0xLAST". */
        List<String> hostRanges() {
            List<String> ranges = new ArrayList<>();
            log.forEach(line -> {
                Matcher listed = SHMEM.matcher(line);
                Matcher given = BANK.matcher(line);
                if (listed.find()) {
                    ranges.add(range(listed.group(1), Long.parseUnsignedLong(listed.group(2), 16)));
                } else if (given.find()) {
                    ranges.add(range(given.group(1), Long.parseUnsignedLong(given.group(2), 16) - 1));
                }
            });
            return ranges;
        }

        private static String range(String first, long last) {
            return "0x" + Long.toHexString(Long.parseUnsignedLong(first, 16)) + "-0x" + Long.toHexString(last);
        }

        private Optional<String> find(Pattern pattern, String name) {
            for (String line : log) {
                Matcher m = pattern.matcher(line);
                if (m.find() && m.group(1).equals(name)) {
                    return Optional.of(m.group(2));
                }
            }
            return Optional.empty();
        }

        String describe() {
            return xen.origin() + "\nverdict: " + verdict() + "\n"
                    + String.join("\n", log.subList(Math.max(0, log.size() - 40), log.size()));
        }
    }

    @BeforeAll
    void findTheHost() {
        host = new Dom0lessHost();
    }

    @Test
    void xenAllocatesTheRegionAndTheBorrowerReadsTheOwnersBytes() {
        Dom0lessHost.Xen xen = host.allocatingXen();
        Boot boot = shareAndBoot("xenalloc", 2, List.of(), "shm0", xen, Guest.of("owner", "0x05000000"),
                Guest.of("borrower", "0x06000000"));

        assertBytesShared(boot, "shm0", "borrower");
        assertEquals(List.of(), boot.hostRanges(), "no host address given: Xen takes the region from its heap");
        assertEquals(4, sharedMemCells(boot, "borrower", "shm0"), "<guest size>, two cells each");
        host.reference.filter(reference -> !reference.equals(xen)).ifPresent(reference -> {
            Boot again = shareAndBoot("xenalloc-reference", 2, List.of(), "shm0", reference,
                    Guest.of("owner", "0x05000000"), Guest.of("borrower", "0x06000000"));
            assertBytesShared(again, "shm0", "borrower");
        });
    }

    /** Also on the reference when the built Xen is another: both put the region where they are told. */
    @Test
    void aHostAddressIsWhereXenPutsTheRegion() {
        Dom0lessHost.Xen xen = host.hostAddressXen();
        Boot boot = shareAndBoot("hostbase", 2, List.of("--host-base", HOST_BASE, "--xen-version", xen.release()),
                "shm0", xen, Guest.of("owner", "0x05000000"), Guest.of("borrower", "0x06000000"));

        assertBytesShared(boot, "shm0", "borrower");
        assertEquals(List.of("0x70000000-0x701fffff"), boot.hostRanges(), boot.describe());
        assertEquals(6, sharedMemCells(boot, "owner", "shm0"), "<host guest size>, two cells each");
        host.reference.filter(reference -> !reference.equals(xen)).ifPresent(reference -> {
            Boot again = shareAndBoot("hostbase-reference", 2, List.of("--host-base", HOST_BASE), "shm0", reference,
                    Guest.of("owner", "0x05000000"), Guest.of("borrower", "0x06000000"));
            assertBytesShared(again, "shm0", "borrower");
            assertEquals(List.of("0x70000000-0x701fffff"), again.hostRanges(), again.describe());
        });
    }

    @Test
    void oneCellDomainNodesGetOneCellNumbers() {
        Boot boot = shareAndBoot("cells1", 1, List.of(), "shm0", host.allocatingXen(),
                Guest.of("owner", "0x05000000"), Guest.of("borrower", "0x06000000"));

        assertBytesShared(boot, "shm0", "borrower");
        assertEquals(2, sharedMemCells(boot, "owner", "shm0"), "<guest size>, one cell each");
    }

    @Test
    void oneCellDomainNodesWithAHostAddress() {
        Boot boot = shareAndBoot("hostbase-cells1", 1, List.of("--host-base", HOST_BASE), "shm0",
                host.hostAddressXen(), Guest.of("owner", "0x05000000"), Guest.of("borrower", "0x06000000"));

        assertBytesShared(boot, "shm0", "borrower");
        assertEquals(List.of("0x70000000-0x701fffff"), boot.hostRanges(), boot.describe());
        assertEquals(3, sharedMemCells(boot, "borrower", "shm0"), "<host guest size>, one cell each");
    }

    @Test
    void twoBorrowersOfOneRegionXenAllocates() {
        Boot boot = shareAndBoot("two-borrowers", 2, List.of(), "shm0", host.allocatingXen(),
                Guest.of("owner", "0x05000000"), Guest.of("borrower", "0x06000000"),
                Guest.of("borrower2", "0x07000000"));

        assertBytesShared(boot, "shm0", "borrower", "borrower2");
    }

    @Test
    void twoBorrowersOfOneRegionAtAHostAddress() {
        Boot boot = shareAndBoot("two-borrowers-hostbase", 2, List.of("--host-base", HOST_BASE), "shm0",
                host.hostAddressXen(), Guest.of("owner", "0x05000000"), Guest.of("borrower", "0x06000000"),
                Guest.of("borrower2", "0x07000000"));

        assertBytesShared(boot, "shm0", "borrower", "borrower2");
        assertEquals(List.of("0x70000000-0x701fffff"), boot.hostRanges(), boot.describe());
    }

    /** With a host address, the form every release reads: the id's length is checked the same way. */
    @Test
    void anIdOfFifteenCharactersXensLongest() {
        Boot boot = shareAndBoot("id15", 2, List.of("--host-base", HOST_BASE), "shm0_abcdefghij",
                host.hostAddressXen(), Guest.of("owner", "0x05000000"), Guest.of("borrower", "0x06000000"));

        assertBytesShared(boot, "shm0_abcdefghij", "borrower");
    }

    /** The control: the same guests with no node for the borrower, whose window then faults. */
    @Test
    void withoutItsNodeTheBorrowerFaultsSoTheCheckCanFail() {
        Boot boot = shareAndBoot("control-noshm", 2, List.of("--host-base", HOST_BASE), "shm0", host.hostAddressXen(),
                Guest.of("owner", "0x05000000"), new Guest("borrower", Optional.empty()));

        assertNotEquals(0, boot.run().status(), boot.describe());
        assertTrue(boot.verdict().startsWith("FAULT"), boot.describe());
        assertTrue(boot.fault("borrower").orElseThrow(() -> new AssertionError(boot.describe()))
                .contains("far=0x0000000006000000"), boot.describe());
        assertTrue(boot.matched("borrower").isEmpty(), boot.describe());
    }

    /**
     * Cells the domain nodes do not have are refused before anything boots; the same nodes merged
     * by hand make Xen fail to read them and panic, which is what the refusal prevents. From 4.19
     * on Xen stops right there ("Early FDT parsing failed"); 4.17 goes on without the rest of the
     * tree (the domains' kernels after the node included) and panics later.
     */
    @Test
    void cellsThatDifferFromTheHostTreesAreRefusedBeforeBoot() {
        Dom0lessHost.Xen xen = host.hostAddressXen();
        Variant variant = prepare("control-cells", 1, "shm0", Guest.of("owner", "0x05000000"),
                Guest.of("borrower", "0x06000000"));
        List<String> arguments = new ArrayList<>(List.of("dom0less", "--json", "--host-dts",
                variant.dir().resolve("base.dts").toString(), "--host-base", HOST_BASE, "--address-cells", "2",
                "--size-cells", "2"));
        variant.configs().forEach(config -> arguments.add(config.toString()));

        Dom0lessHost.Run refused = host.sshm(variant.dir(), arguments);

        assertEquals(2, refused.status(), refused.describe());
        assertTrue(refused.out().contains("\"type\": \"HOST_TREE\"")
                && refused.out().contains("\"reason\": \"CELLS_MISMATCH\""),
                refused.describe());
        assertTrue(refused.err().contains("/chosen/owner has #address-cells = <1>, #size-cells = <1>"), refused.describe());

        // Forced: a fragment written for two cells merged by the script into one-cell domain nodes.
        Boot boot = bootForced(variant, xen, List.of("--host-base", HOST_BASE), 1);
        assertTrue(boot.verdict().startsWith("PANIC"), boot.describe());
        assertTrue(boot.log().stream().anyMatch(line -> line.contains("fdt: node `shared-mem-shm0': parsing failed")),
                boot.describe());
        if (xen.allocates()) {
            assertTrue(boot.verdict().contains("Early FDT parsing failed"), boot.describe());
        }
    }

    /**
     * Xen 4.17 and 4.18 know only the host-address form: told so ({@code --xen-version}), the CLI
     * refuses the Xen-allocated form before anything boots; forced onto 4.17, Xen says the host
     * address is missing and panics. The boot runs where the built Xen is older than 4.19.
     */
    @Test
    void xenBefore419HasNoAllocatedFormWhichTheCliRefusesBeforeBoot() {
        Dom0lessHost.Xen xen = host.hostAddressXen();
        Variant variant = prepare("control-xenalloc-" + xen.release(), 2, "shm0", Guest.of("owner", "0x05000000"),
                Guest.of("borrower", "0x06000000"));
        List<String> arguments = new ArrayList<>(List.of("dom0less", "--json", "--xen-version", "4.17", "--host-dts",
                variant.dir().resolve("base.dts").toString()));
        variant.configs().forEach(config -> arguments.add(config.toString()));

        Dom0lessHost.Run refused = host.sshm(variant.dir(), arguments);

        assertEquals(2, refused.status(), refused.describe());
        assertTrue(refused.out().contains("\"type\": \"BAD_INPUT\""), refused.describe());
        assertTrue(refused.err().contains("Xen 4.17 and 4.18 read xen,shared-mem only with a host address"),
                refused.describe());
        if (xen.allocates()) {
            System.out.println("dom0less control-xenalloc: not booted, the built Xen (" + xen.release()
                    + ") allocates regions itself");
            return;
        }
        Boot boot = bootForced(variant, xen, List.of(), 2);
        assertTrue(boot.verdict().startsWith("PANIC"), boot.describe());
        assertTrue(boot.log().stream().anyMatch(line -> line.contains("host physical address must be chosen by users")),
                boot.describe());
        assertTrue(boot.matched("borrower").isEmpty(), boot.describe());
    }

    @Test
    void whatTheBootTimeFormCannotSayIsRefused() {
        assertRefused("refuse-offset", "offset: is 0x100000; at boot Xen shares regions whole",
                Guest.of("owner", "0x05000000"), Guest.of("borrower", "0x06000000"), "shm0", "size=0x100000,"
                        + " offset=0x100000");
        assertRefused("refuse-id16", "id: 'shm0_abcdefghijk' has 16 characters",
                Guest.of("owner", "0x05000000"), Guest.of("borrower", "0x06000000"), "shm0_abcdefghijk", "");
        assertRefused("refuse-owner-in-ram", "lies in the domain's RAM (bank 0) [0x40000000, 0x41000000)",
                Guest.of("owner", "0x40400000"), Guest.of("borrower", "0x06000000"), "shm0", "");
        assertRefused("refuse-fixed-area", "overlaps GICv3 redistributors",
                Guest.of("owner", "0x05000000"), Guest.of("borrower", "0x04000000"), "shm0", "");
    }

    // --- the steps -------------------------------------------------------------------------------

    /** Guests and the base tree (no shm nodes) from the scripts, the nodes from the CLI, then boot. */
    private Boot shareAndBoot(String name, int cells, List<String> options, String id, Dom0lessHost.Xen xen,
            Guest... guests) {
        Variant variant = prepare(name, cells, id, guests);
        List<String> arguments = new ArrayList<>(List.of("dom0less", "--host-dts",
                variant.dir().resolve("base.dts").toString()));
        arguments.addAll(options);
        variant.configs().forEach(config -> arguments.add(config.toString()));
        Dom0lessHost.Run export = host.sshm(variant.dir(), arguments);
        assertEquals(0, export.status(), export.describe());
        write(variant.dir().resolve("host.dts"), export.out());
        String owner = guests[0].name();
        String[] borrowers = List.of(guests).subList(1, guests.length).stream().map(Guest::name)
                .toArray(String[]::new);
        return bootTree(variant, variant.dir().resolve("host.dts"), xen, owner, borrowers);
    }

    /**
     * A fragment of the CLI's (no host tree, so unchecked) merged by host-tree.sh into domain nodes
     * of {@code cells} cells, then booted: for the controls, what the CLI would refuse.
     */
    private Boot bootForced(Variant variant, Dom0lessHost.Xen xen, List<String> options, int cells) {
        List<String> export = new ArrayList<>(List.of("dom0less"));
        export.addAll(options);
        variant.configs().forEach(config -> export.add(config.toString()));
        Dom0lessHost.Run fragment = host.sshm(variant.dir(), export);
        assertEquals(0, fragment.status(), fragment.describe());
        write(variant.dir().resolve("forced.dtsi"), fragment.out());
        List<String> tree = new ArrayList<>(List.of("--work", variant.dir().toString(), "--out",
                variant.dir().resolve("forced").toString(), "--cells", Integer.toString(cells), "--sshm-dts",
                variant.dir().resolve("forced.dtsi").toString()));
        variant.domains().forEach(domain -> tree.addAll(List.of("--domain", domain)));
        Dom0lessHost.Run merged = host.script("host-tree.sh", tree, 60);
        assertEquals(0, merged.status(), merged.describe());
        return bootTree(variant, variant.dir().resolve("forced.dtb"), xen, "owner", "borrower");
    }

    private Variant prepare(String name, int cells, String id, Guest... guests) {
        Path dir = host.variantDirectory(name);
        List<Path> configs = new ArrayList<>();
        List<String> domains = new ArrayList<>();
        List<String> images = new ArrayList<>();
        for (int slot = 0; slot < guests.length; slot++) {
            Guest guest = guests[slot];
            StringBuilder config = new StringBuilder("name = \"" + guest.name() + "\"\nmemory = 16\nvcpus = 1\n");
            guest.window().ifPresent(window -> config.append("static_shm = [ \"id=").append(id).append(", begin=")
                    .append(window).append(", size=0x200000, role=").append(guest.owner() ? "owner" : "borrower")
                    .append("\" ]\n"));
            Path file = dir.resolve(guest.name() + ".cfg");
            write(file, config.toString());
            configs.add(file);
            Path image = dir.resolve(guest.name() + ".img");
            Dom0lessHost.Run built = host.script("build-guest.sh", List.of("--role", guest.owner() ? "owner" : "borrower",
                    "--name", guest.name(), "--id", id, "--window", guest.window().orElse("0x06000000"), "--out",
                    image.toString()), 60);
            assertEquals(0, built.status(), built.describe());
            String at = image + "@0x" + Long.toHexString(0x4900_0000L + 0x10_0000L * slot);
            domains.add(guest.name() + "=" + at);
            images.add(at);
        }
        List<String> tree = new ArrayList<>(List.of("--work", dir.toString(), "--out", dir.resolve("base").toString(),
                "--cells", Integer.toString(cells)));
        domains.forEach(domain -> tree.addAll(List.of("--domain", domain)));
        Dom0lessHost.Run base = host.script("host-tree.sh", tree, 60);
        assertEquals(0, base.status(), base.describe());
        return new Variant(dir, configs, domains, images);
    }

    /** Boots, and says in one line which Xen the variant booted (from the log) and how it ended. */
    private Boot bootTree(Variant variant, Path tree, Dom0lessHost.Xen xen, String owner, String... borrowers) {
        List<String> arguments = new ArrayList<>(List.of("--work", variant.dir().toString(), "--xen",
                xen.file().toString(),
                "--dtb", tree.toString(), "--owner", owner, "--name", "boot", "--timeout", "60"));
        variant.images().forEach(image -> arguments.addAll(List.of("--image", image)));
        for (String borrower : borrowers) {
            arguments.addAll(List.of("--borrower", borrower));
        }
        Dom0lessHost.Run run = host.script("boot.sh", arguments, 120);
        try {
            Path log = variant.dir().resolve("boot.log");
            Path dtb = tree.toString().endsWith(".dts") ? variant.dir().resolve("boot.dtb") : tree;
            Boot boot = new Boot(run, Files.exists(log) ? Files.readAllLines(log) : List.of(), dtb, xen);
            String version = boot.xenVersion().orElse("?");
            System.out.println("dom0less " + variant.dir().getFileName() + ": booted Xen " + version + ", "
                    + xen.origin() + "; " + boot.verdict());
            assertTrue(version.startsWith(xen.release() + "."), "the banner names Xen " + xen.release() + ": "
                    + boot.describe());
            return boot;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void assertRefused(String name, String message, Guest owner, Guest borrower, String id, String extra) {
        Path dir = host.variantDirectory(name);
        List<String> arguments = new ArrayList<>(List.of("dom0less"));
        for (Guest guest : List.of(owner, borrower)) {
            String size = guest.owner() || extra.isEmpty() ? "size=0x200000" : extra;
            Path file = dir.resolve(guest.name() + ".cfg");
            write(file, "name = \"" + guest.name() + "\"\nmemory = 16\nstatic_shm = [ \"id=" + id + ", begin="
                    + guest.window().orElseThrow() + ", " + size + ", role=" + (guest.owner() ? "owner" : "borrower")
                    + "\" ]\n");
            arguments.add(file.toString());
        }
        Dom0lessHost.Run run = host.sshm(dir, arguments);
        assertEquals(2, run.status(), name + ": " + run.describe());
        assertEquals("", run.out(), name + ": nothing to boot");
        assertTrue(run.err().contains(message), name + ": " + run.describe());
    }

    /**
     * The owner wrote "xen-sshm:ID:cntvct=" and 16 hex digits of its counter (nonzero, so read at
     * run time), read them back, and every borrower saw exactly those bytes in its own window.
     */
    private void assertBytesShared(Boot boot, String id, String... borrowers) {
        assertEquals(0, boot.run().status(), boot.describe());
        assertEquals("PASS", boot.verdict(), boot.describe());
        String written = boot.owners("owner").orElseThrow(() -> new AssertionError("the owner wrote nothing: "
                + boot.describe()));
        Matcher pattern = Pattern.compile("xen-sshm:" + Pattern.quote(id) + ":cntvct=([0-9a-f]{16})").matcher(written);
        assertTrue(pattern.matches(), "the owner's bytes: " + written);
        assertNotEquals(0L, Long.parseUnsignedLong(pattern.group(1), 16), "a counter read at run time");
        for (String borrower : borrowers) {
            assertEquals(Optional.of(written), boot.matched(borrower), borrower + ": " + boot.describe());
            assertTrue(boot.fault(borrower).isEmpty(), boot.describe());
        }
    }

    /** How many cells a domain's node got for xen,shared-mem, as dtc compiled the tree that booted. */
    private int sharedMemCells(Boot boot, String domain, String id) {
        Dom0lessHost.Run fdt = runFdtget(boot.dtb(), "/chosen/" + domain + "/shared-mem-" + id);
        assertEquals(0, fdt.status(), fdt.describe());
        return fdt.out().strip().split("\\s+").length;
    }

    private Dom0lessHost.Run runFdtget(Path dtb, String node) {
        try {
            Process process = new ProcessBuilder("fdtget", "-t", "x", dtb.toString(), node, "xen,shared-mem")
                    .redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes());
            return new Dom0lessHost.Run(process.waitFor(), out, "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
