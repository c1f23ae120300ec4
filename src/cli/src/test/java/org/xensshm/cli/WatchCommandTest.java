package org.xensshm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xensshm.engine.RegionStatus.BorrowerStatus;
import org.xensshm.engine.StaticShmEngine;
import org.xensshm.host.DomainInfo;
import org.xensshm.testkit.junit.NativeTestBed;
import org.xensshm.testkit.testbed.GuestDomains;
import org.xensshm.testkit.testbed.SimulatedHypervisor;
import org.xensshm.testkit.testbed.TestBed;
import org.xensshm.testkit.testbed.XenstoredProcess;
import org.xensshm.xen.XenControl;
import org.xensshm.xen.XenStore;

/**
 * {@code xen-sshm watch} as the service it is: a process of its own on the test bed, which this
 * JVM shares with it (the simulated hypervisor's state file and the real xenstored). This JVM acts
 * as the toolstack: it builds and destroys guests as {@code xl create -p} and {@code xl destroy}
 * do, and checks what the watcher did in the physmaps and in xenstore.
 */
@NativeTestBed
class WatchCommandTest {

    /** Where the big region lies in its owner: between Xen's GICv3 redistributors and its vPCI ECAM. */
    private static final long BIG_BEGIN = 0x410_0000L;
    /** Where the borrower maps it: clear of its RAM and of Xen's fixed areas. */
    private static final long BIG_WINDOW = 0x10_0000_0000L;

    private static final long RAM = 4 << 20;

    @TempDir
    Path configs;

    private TestBed bed;
    private SimulatedHypervisor xen;
    private XenStore toolstack;

    @BeforeEach
    void connect(TestBed bed) {
        this.bed = bed;
        this.xen = bed.hypervisor();
        this.toolstack = XenStore.open();
        Examples.write(configs);
    }

    @AfterEach
    void disconnect() {
        toolstack.close();
    }

    @Test
    void aDomainCreatedPausedIsAttachedUnpausedThenDetachedAndSigtermEndsWithStatusZero() throws Exception {
        try (Cli.Running watch = watch("--unpause")) {
            watch.awaitLine(line -> line.startsWith("watching for domains"));

            GuestDomains.create(xen, toolstack, 1, "vm1", RAM, true);
            watch.awaitLine(line -> line.equals("unpaused domain 1 (vm1)"));
            GuestDomains.create(xen, toolstack, 2, "vm2", RAM, true);
            watch.awaitLine(line -> line.equals("unpaused domain 2 (vm2)"));

            assertFalse(domainInfo(2).orElseThrow().paused());
            assertEquals(xen.frameOf(1, 0x100), xen.frameOf(2, 0x500), "vm2 maps vm1's pages");
            assertEquals(Optional.of("2"), read("/libxl/static_shm/ID1/usercnt"));

            GuestDomains.destroy(xen, toolstack, 2);
            watch.awaitLine(line -> line.startsWith("detached domain 2"));
            GuestDomains.destroy(xen, toolstack, 1);
            watch.awaitLine(line -> line.startsWith("detached domain 1"));

            Cli.Run run = watch.terminate();
            assertEquals(0, run.status(), run.describe());
            assertEquals(List.of("reconciled: every record was consistent",
                    "watching for domains with configs in " + configs + "; no domain holds regions",
                    "attached domain 1 (vm1): ID1 owner, ID2 owner",
                    "unpaused domain 1 (vm1)",
                    "attached domain 2 (vm2): ID1 borrower (256 pages of domain 1)",
                    "unpaused domain 2 (vm2)",
                    "detached domain 2 (vm2) (gone): ID1 unmapped",
                    "detached domain 1 (vm1) (gone): ID1 removed, ID2 removed",
                    "stopped"), run.out().lines().toList());
            assertEquals("", run.err(), run.describe());
            assertEquals(List.of(), toolstack.list(XenStore.NO_TRANSACTION, "/libxl/static_shm"), "entries gone");
        }
    }

    @Test
    void eventsAreJsonLinesAndARunningDomainOrABadConfigIsReportedWhileTheWatcherGoesOn() throws Exception {
        Examples.write(configs, "vm3", "name = \"vm3\"\nstatic_shm = [ \"id=ID2, begin=0x690001, size=0x1000\" ]\n");
        try (Cli.Running watch = watch("--json")) {
            watch.awaitLine(line -> line.contains("\"event\":\"watching\""));

            GuestDomains.create(xen, toolstack, 2, "vm2", RAM, false);
            watch.awaitLine(line -> line.contains("\"event\":\"refused\""));
            GuestDomains.create(xen, toolstack, 3, "vm3", RAM, true);
            watch.awaitLine(line -> line.contains("\"event\":\"config_invalid\""));
            GuestDomains.create(xen, toolstack, 1, "vm1", RAM, true);
            watch.awaitLine(line -> line.contains("\"event\":\"attached\""));

            Cli.Run run = watch.terminate();
            assertEquals(0, run.status(), run.describe());
            List<Map<String, Object>> events = run.out().lines().map(JsonReader::object).toList();
            assertEquals(List.of("reconciled", "watching", "refused", "config_invalid", "attached", "stopped"),
                    events.stream().map(event -> event.get("event")).toList());
            Map<String, Object> refused = events.get(2);
            assertEquals(2L, refused.get("domid"));
            assertEquals("vm2", refused.get("name"));
            assertTrue(((String) refused.get("message")).contains("xl create -p"), run.describe());
            Map<String, Object> invalid = events.get(3);
            assertEquals(configs.resolve("vm3.cfg").toString(), invalid.get("config"));
            assertTrue(((List<?>) invalid.get("problems")).getFirst().toString().contains("begin"), run.describe());
            assertTrue(domainInfo(3).orElseThrow().paused(), "a domain it could not set up stays paused");
            assertEquals(List.of("ID1", "ID2"), toolstack.list(XenStore.NO_TRANSACTION, "/libxl/static_shm"));
        }
    }

    /**
     * The watcher is killed (SIGKILL) while it maps a large borrowed region, caught by watching
     * the borrower's entry say "mapping". Started again, its reconcile undoes the half-done attach
     * and the domain, still paused, is attached afresh: nothing stays half done.
     */
    @Test
    void killedInTheMiddleOfAnAttachAndStartedAgainItLeavesNothingHalfDone() throws Exception {
        long size = bigRegion();
        StaticShmEngine engine;
        try (XenControl hypervisor = XenControl.open()) {
            engine = new StaticShmEngine(hypervisor, toolstack);
            try (Cli.Running first = watch("--unpause")) {
                first.awaitLine(line -> line.startsWith("watching for domains"));
                GuestDomains.create(xen, toolstack, 1, "big1", BIG_BEGIN + size, true);
                first.awaitLine(line -> line.equals("unpaused domain 1 (big1)"));

                GuestDomains.create(xen, toolstack, 2, "big2", RAM, true);
                awaitBorrowerState(engine, first, BorrowerStatus.State.MAPPING);
                first.kill();
            }
            assertEquals(BorrowerStatus.State.MAPPING, borrower(engine).orElseThrow().state(), "left half done");
            assertTrue(domainInfo(2).orElseThrow().paused());

            try (Cli.Running again = watch("--unpause")) {
                again.awaitLine(line -> line.equals("unpaused domain 2 (big2)"));
                List<String> lines = again.outLines();
                assertTrue(lines.getFirst().startsWith("reconciled: 1 action (AttachUndone BIG)"), String.join("\n", lines));
                assertEquals(BorrowerStatus.State.MAPPED, borrower(engine).orElseThrow().state());
                assertEquals(2, engine.status().regions().getFirst().userCount());
                assertEquals(xen.frameOf(1, BIG_BEGIN >> 12), xen.frameOf(2, BIG_WINDOW >> 12));
                assertEquals(xen.frameOf(1, ((BIG_BEGIN + size) >> 12) - 1), xen.frameOf(2, ((BIG_WINDOW + size) >> 12) - 1));
                assertEquals(0, again.terminate().status());
            }
        }
    }

    /** SIGTERM in the middle of an attach: the attach completes, then the watcher stops with status 0. */
    @Test
    void sigtermInTheMiddleOfAnAttachLetsItFinishFirst() throws Exception {
        long size = bigRegion();
        try (XenControl hypervisor = XenControl.open(); Cli.Running watch = watch()) {
            StaticShmEngine engine = new StaticShmEngine(hypervisor, toolstack);
            watch.awaitLine(line -> line.startsWith("watching for domains"));
            GuestDomains.create(xen, toolstack, 1, "big1", BIG_BEGIN + size, true);
            watch.awaitLine(line -> line.startsWith("attached domain 1"));
            GuestDomains.create(xen, toolstack, 2, "big2", RAM, true);
            awaitBorrowerState(engine, watch, BorrowerStatus.State.MAPPING);

            Cli.Run run = watch.terminate();

            assertEquals(0, run.status(), run.describe());
            List<String> lines = run.out().lines().toList();
            assertEquals("stopped", lines.getLast(), run.describe());
            assertTrue(lines.get(lines.size() - 2).startsWith("attached domain 2 (big2): BIG borrower"), run.describe());
            assertEquals(BorrowerStatus.State.MAPPED, borrower(engine).orElseThrow().state());
            assertEquals(xen.frameOf(1, ((BIG_BEGIN + size) >> 12) - 1), xen.frameOf(2, ((BIG_WINDOW + size) >> 12) - 1));
        }
    }

    @Test
    void losingXenstoredEndsTheWatcherWithStatusOne() throws Exception {
        XenstoredProcess doomed = XenstoredProcess.start(TestBed.nativeDir(), Path.of(System.getProperty("java.io.tmpdir")));
        try (Cli.Running watch = Cli.java().env(bed.clientEnvironment()).env("XENSTORED_PATH", doomed.socket().toString())
                .in(configs).launch("watch", "--config-dir", configs.toString())) {
            watch.awaitLine(line -> line.startsWith("watching for domains"));

            doomed.kill();

            Cli.Run run = watch.awaitEnd();
            assertEquals(1, run.status(), run.describe());
            assertTrue(run.out().lines().anyMatch(line -> line.startsWith("lost the connection to xenstored: ")),
                    run.describe());
            assertEquals(List.of("xen-sshm: watch: lost the connection to xenstored; exiting for a supervisor to"
                    + " start it again"), run.errLines());
        } finally {
            doomed.close();
        }
    }

    @Test
    void aConfigDirectoryThatIsNotOneIsBadInput() {
        Cli.Run run = Cli.java().run("watch", "--config-dir", configs.resolve("nowhere").toString());

        assertEquals(2, run.status(), run.describe());
        assertEquals(List.of("xen-sshm: --config-dir " + configs.resolve("nowhere") + " is not a directory"),
                run.errLines());
    }

    private Cli.Running watch(String... options) {
        List<String> arguments = new ArrayList<>(List.of("watch", "--config-dir", configs.toString()));
        arguments.addAll(List.of(options));
        return Cli.java().env(bed.clientEnvironment()).in(configs).launch(arguments.toArray(String[]::new));
    }

    /**
     * Configs big1 (owner) and big2 (borrower) of a region large enough that mapping it takes a
     * while, long enough to catch the watcher in the middle of it; returns its size.
     */
    private long bigRegion() {
        long size = 64L << 20;
        Examples.write(configs, "big1", "name = \"big1\"\nstatic_shm = [ \"id=BIG, begin=" + BIG_BEGIN + ", size=" + size
                + ", role=owner\" ]\n");
        Examples.write(configs, "big2", "name = \"big2\"\nstatic_shm = [ \"id=BIG, begin=" + BIG_WINDOW + ", size=" + size
                + ", role=borrower\" ]\n");
        return size;
    }

    private Optional<String> read(String path) {
        return toolstack.read(XenStore.NO_TRANSACTION, path);
    }

    private static Optional<BorrowerStatus> borrower(StaticShmEngine engine) {
        return engine.status().regions().stream().flatMap(region -> region.borrowers().stream()).findFirst();
    }

    /** Polls xenstore until the borrower's entry is in {@code state}; fails if the watcher gets past it. */
    private static void awaitBorrowerState(StaticShmEngine engine, Cli.Running watch, BorrowerStatus.State state) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            Optional<BorrowerStatus> borrower = borrower(engine);
            if (borrower.isPresent() && borrower.get().state() == state) {
                return;
            }
            if (borrower.isPresent() && borrower.get().state() == BorrowerStatus.State.MAPPED) {
                throw new AssertionError("the attach finished before it could be interrupted: " + watch.outLines());
            }
            try {
                // Leaves xenstored (single-threaded) free for the watcher's own requests.
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
        throw new AssertionError("the borrower's entry never said " + state + ": " + watch.outLines());
    }

    /** The domain as libxenctrl reports it, over the test bed. */
    private static Optional<DomainInfo> domainInfo(int domid) {
        try (XenControl control = XenControl.open()) {
            return control.domainInfo(domid);
        }
    }
}
