package org.xensshm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.xensshm.spec.CachePolicy;
import org.xensshm.spec.Prot;
import org.xensshm.spec.Role;
import org.xensshm.spec.SshmSpec;
import org.xensshm.testkit.fault.Fault;
import org.xensshm.testkit.fault.FaultInjector;
import org.xensshm.testkit.fault.Operation;
import org.xensshm.testkit.junit.NativeTestBed;
import org.xensshm.testkit.testbed.GuestDomains;
import org.xensshm.testkit.testbed.Signals;
import org.xensshm.testkit.testbed.SimulatedHypervisor;
import org.xensshm.testkit.testbed.TestBed;
import org.xensshm.xen.XenControl;
import org.xensshm.xen.XenStore;

/**
 * Crash soak on the native stack: cycle after cycle, a toolstack in a JVM of its own attaches
 * and detaches an owner of three regions and two borrowers of two regions each, without end,
 * and is killed with SIGKILL: just before its nth operation through the seams (a hypercall or a
 * store request), in the middle of a xenstore transaction (before one of its writes or its
 * commit), just before or right after one of its mapping or removal hypercalls, or after a random
 * delay, wherever it then is. After each kill, reconcile; then the
 * invariants: nothing left pending, exact counts, every recorded borrower mapping exactly its
 * owner's frames and no mapped page without a record; and detaching everything and a fresh
 * attach succeed.
 *
 * <p>Seeded: the seed is printed and in every failure message; {@code -Dxensshm.soak.seed=S}
 * replays a run (the delays of the random-moment kills are the seed's, where they land is the
 * machine's), {@code -Dxensshm.soak.cycles=N} sets the number of cycles (50 by default).
 */
@NativeTestBed
class NativeCrashSoakTest {

    private static final long SEED = Long.getLong("xensshm.soak.seed", new Random().nextLong());
    private static final int CYCLES = Integer.getInteger("xensshm.soak.cycles", 50);
    /** Only a guard against a hung cycle: a child reaches its kill point in well under a second. */
    private static final long HANG_GUARD_SECONDS = 60;

    private static final int OWNER = 1;
    private static final int BORROWER_A = 2;
    private static final int BORROWER_B = 3;
    private static final long OWNER_RAM = 0x400;
    private static final long BORROWER_RAM = 0x100;
    private static final Map<Integer, Long> OWN_PAGES = Map.of(OWNER, OWNER_RAM, BORROWER_A, BORROWER_RAM,
            BORROWER_B, BORROWER_RAM);

    private static final Map<Integer, List<SshmSpec>> SPECS = specs();
    /** Small chunks: a region takes several hypercalls, so kills land between them too. */
    private static final EngineSettings SETTINGS = EngineSettings.defaults().withChunkPages(16);

    private static Map<Integer, List<SshmSpec>> specs() {
        Map<Integer, List<SshmSpec>> specs = new LinkedHashMap<>();
        specs.put(OWNER, List.of(owned("ID1", 0x100000, 0x40000), owned("ID2", 0x200000, 0x40000),
                owned("ID3", 0x300000, 0x20000)));
        specs.put(BORROWER_A, List.of(borrowed("ID1", 0x500000, 0x40000, 0),
                borrowed("ID2", 0x600000, 0x20000, 0x10000)));
        specs.put(BORROWER_B, List.of(borrowed("ID2", 0x500000, 0x40000, 0),
                borrowed("ID3", 0x700000, 0x20000, 0)));
        return specs;
    }

    private static SshmSpec owned(String id, long begin, long size) {
        return new SshmSpec(id, Role.OWNER, begin, size, 0, Prot.RW, CachePolicy.ARM_NORMAL);
    }

    private static SshmSpec borrowed(String id, long begin, long size, long offset) {
        return new SshmSpec(id, Role.BORROWER, begin, size, offset, Prot.RW, null);
    }

    /** How a cycle's toolstack dies. */
    enum Kill {
        /** Just before its nth operation through the seams, of any kind. */
        AT_OPERATION,
        /** Just before its nth write or commit in a xenstore transaction. */
        IN_TRANSACTION,
        /** Just before its nth batch of mappings or of removals. */
        BEFORE_HYPERCALL,
        /** Right after its nth batch of mappings or of removals, frozen there by the simulated hypervisor. */
        AFTER_HYPERCALL,
        /** After a random delay, wherever it is then. */
        AT_RANDOM_MOMENT
    }

    /**
     * The toolstack of one cycle: starts from whatever the last cycle left (detaching
     * everything), then attaches and detaches without end, in an order of its seed's; with
     * {@code kind} and {@code nth}, it freezes just before that operation and says so on stdout.
     * Any failure ends it with status 3: without a kill, nothing may fail.
     */
    public static final class Toolstack {
        public static void main(String[] args) throws InterruptedException {
            Random random = new Random(Long.parseLong(args[0]));
            FaultInjector faults = new FaultInjector();
            if (!args[1].equals("-")) {
                Runnable freeze = () -> {
                    System.out.println("FROZEN before " + faults.lastInjected().orElseThrow());
                    System.out.flush();
                    while (true) {
                        try {
                            Thread.sleep(Long.MAX_VALUE);
                        } catch (InterruptedException e) {
                            // frozen until killed
                        }
                    }
                };
                long nth = Long.parseLong(args[2]);
                if (args[1].equals("ANY")) {
                    faults.arm(nth, Fault.before(freeze));
                } else {
                    faults.arm(Operation.valueOf(args[1]), nth, Fault.before(freeze));
                }
            }
            try (XenControl xen = XenControl.open(); XenStore store = XenStore.open()) {
                StaticShmEngine engine = new StaticShmEngine(faults.wrap(xen), faults.wrap(store), SETTINGS);
                System.out.println("READY");
                System.out.flush();
                List<Integer> borrowers = List.of(BORROWER_A, BORROWER_B);
                borrowers.forEach(engine::detach);
                engine.detach(OWNER);
                while (true) {
                    engine.attach(OWNER, SPECS.get(OWNER));
                    for (int domid : random.nextBoolean() ? borrowers : borrowers.reversed()) {
                        engine.attach(domid, SPECS.get(domid));
                    }
                    List<Integer> order = new ArrayList<>(List.of(OWNER, BORROWER_A, BORROWER_B));
                    Collections.shuffle(order, random);
                    order.forEach(engine::detach);
                }
            } catch (RuntimeException e) {
                e.printStackTrace(System.out);
                System.exit(3);
            }
        }
    }

    @Test
    void toolstacksKilledAtRandomLeaveNothingThatReconcileCannotSettle(TestBed bed, SimulatedHypervisor sim)
            throws Exception {
        System.out.println("crash soak: seed=" + SEED + " cycles=" + CYCLES + " (replay: -Dxensshm.soak.seed=" + SEED
                + ")");
        try (XenStore admin = XenStore.open()) {
            OWN_PAGES.forEach((domid, pages) -> {
                GuestDomains.create(sim, admin, domid);
                sim.populate(domid, 0, pages);
            });
        }
        attachAll(sim, "seed=" + SEED + " before the first cycle");
        Random random = new Random(SEED);
        Map<Kill, Integer> kills = new LinkedHashMap<>();
        int reconciled = 0;
        for (int cycle = 1; cycle <= CYCLES; cycle++) {
            Kill kill = Kill.values()[random.nextInt(Kill.values().length)];
            long childSeed = random.nextLong();
            boolean mapping = random.nextBoolean();
            String at = switch (kill) {
                case AT_OPERATION -> "ANY " + (1 + random.nextInt(400));
                case IN_TRANSACTION -> (random.nextBoolean() ? "STORE_WRITE " : "STORE_COMMIT ") + (1 + random.nextInt(40));
                case BEFORE_HYPERCALL -> (mapping ? "ADD_TO_PHYSMAP_BATCH " : "REMOVE_FROM_PHYSMAP_BATCH ")
                        + (1 + random.nextInt(24));
                // The simulator counts removals page by page, and stops after the batch holding the nth.
                case AFTER_HYPERCALL -> mapping ? "ADD_TO_PHYSMAP_BATCH " + (1 + random.nextInt(24))
                        : "REMOVE_FROM_PHYSMAP " + (1 + random.nextInt(600));
                case AT_RANDOM_MOMENT -> "- " + random.nextInt(300);
            };
            String context = "seed=" + SEED + " cycle=" + cycle + " kill=" + kill + " at=" + at;
            String where = runAndKill(bed, sim, childSeed, kill, at, context);
            kills.merge(kill, 1, Integer::sum);
            ReconcileReport report = settle(sim, context + " (" + where + ")");
            if (!report.isEmpty()) {
                reconciled++;
            }
            System.out.println("crash soak: cycle " + cycle + ": " + kill + " " + where + "; reconcile: "
                    + report.actions());
        }
        System.out.println("crash soak: seed=" + SEED + ", " + CYCLES + " cycles, kills " + kills + ", " + reconciled
                + " left work that reconcile settled");
    }

    /** Starts a toolstack, kills it (SIGKILL) as told, reaps it; returns where it died. */
    private static String runAndKill(TestBed bed, SimulatedHypervisor sim, long childSeed, Kill kill, String at,
                                     String context) throws IOException, InterruptedException {
        String[] point = at.split(" ");
        boolean frozenByTheHypervisor = kill == Kill.AFTER_HYPERCALL;
        if (frozenByTheHypervisor) {
            sim.stopAfterNth(SimulatedHypervisor.Op.valueOf(point[0]), Long.parseLong(point[1]));
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"), Toolstack.class.getName(), Long.toString(childSeed),
                kill == Kill.AT_RANDOM_MOMENT || frozenByTheHypervisor ? "-" : point[0], point[1])
                .redirectErrorStream(true);
        builder.environment().putAll(bed.clientEnvironment());
        Process child = builder.start();
        // A guard against a hung cycle: whatever happens, the child is gone by then.
        CompletableFuture.delayedExecutor(HANG_GUARD_SECONDS, TimeUnit.SECONDS).execute(child::destroyForcibly);
        List<String> output = new ArrayList<>();
        String where = null;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            while (where == null) {
                String line = lines.readLine();
                if (line == null) {
                    break;
                }
                output.add(line);
                if (line.equals("READY") && kill == Kill.AT_RANDOM_MOMENT) {
                    Thread.sleep(Long.parseLong(point[1]));
                    where = "after " + point[1] + " ms";
                } else if (line.equals("READY") && frozenByTheHypervisor) {
                    while (child.isAlive() && !Signals.stopped(child.pid())) {
                        Thread.sleep(2);
                    }
                    where = "frozen after " + at;
                } else if (line.startsWith("FROZEN ")) {
                    where = line;
                }
            }
            child.destroyForcibly();
        }
        assertTrue(child.waitFor(HANG_GUARD_SECONDS, TimeUnit.SECONDS), context);
        sim.clearFaults();
        if (where == null || child.exitValue() == 3) {
            fail("the toolstack ended before it was killed: " + context + "\n" + String.join("\n", output));
        }
        return where;
    }

    /** Reconcile, the invariants, then detaching everything and a fresh attach; returns what reconcile did. */
    private static ReconcileReport settle(SimulatedHypervisor sim, String context) {
        ReconcileReport report;
        assertFalse(sim.panicMessage().isPresent(), () -> "the hypervisor panicked: " + sim.panicMessage() + "; " + context);
        try (XenControl xen = XenControl.open(); XenStore store = XenStore.open()) {
            StaticShmEngine engine = new StaticShmEngine(xen, store, SETTINGS);
            ReconcileReport reconciled = engine.reconcile();
            report = reconciled;
            assertFalse(reconciled.hasFailures(), () -> reconciled + "; " + context);
            HostInvariants.check(engine, sim, OWN_PAGES, () -> "after reconcile " + reconciled + "; " + context);

            List.of(BORROWER_A, BORROWER_B, OWNER).forEach(engine::detach);
            assertEquals(List.of(), engine.status().regions(), () -> "left after detaching everything; " + context);
            OWN_PAGES.forEach((domid, pages) -> assertEquals(pages.longValue(), sim.mappedPages(domid),
                    () -> "domain " + domid + " maps pages beyond its RAM after detaching everything; " + context));
        }
        attachAll(sim, context);
        return report;
    }

    private static void attachAll(SimulatedHypervisor sim, String context) {
        try (XenControl xen = XenControl.open(); XenStore store = XenStore.open()) {
            StaticShmEngine engine = new StaticShmEngine(xen, store, SETTINGS);
            SPECS.forEach(engine::attach);
            HostInvariants.check(engine, sim, OWN_PAGES, () -> "after a fresh attach; " + context);
            assertEquals(3, engine.status().regions().size(), context);
        }
    }
}
