package org.xensshm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.xensshm.spec.CachePolicy;
import org.xensshm.spec.Prot;
import org.xensshm.spec.Role;
import org.xensshm.spec.SshmSpec;
import org.xensshm.testkit.junit.NativeTestBed;
import org.xensshm.testkit.testbed.GuestDomains;
import org.xensshm.testkit.testbed.SimulatedHypervisor;
import org.xensshm.testkit.testbed.TestBed;
import org.xensshm.xen.XenControl;
import org.xensshm.xen.XenStore;

/**
 * Eight toolstacks in eight JVMs attach and detach borrowers of one region at once, against the
 * one real xenstored and the one simulated hypervisor they share (XENSIM_STATE). Counts must be
 * exact and no entry lost.
 */
@NativeTestBed
class NativeMultiProcessTest {

    private static final int OWNER = 1;
    private static final int FIRST_BORROWER = 11;
    private static final int BORROWERS = 8;
    private static final int ROUNDS = 5;
    private static final SshmSpec OWNER_SPEC =
            new SshmSpec("ID1", Role.OWNER, 0x100000, 0x10000, 0, Prot.RW, CachePolicy.ARM_NORMAL);
    private static final SshmSpec BORROWER_SPEC =
            new SshmSpec("ID1", Role.BORROWER, 0x500000, 0x10000, 0, Prot.RW, null);

    /** One toolstack process: attach, detach, ROUNDS times, then attach and stay. */
    public static final class Borrower {
        public static void main(String[] args) {
            int domid = Integer.parseInt(args[0]);
            try (XenControl xen = XenControl.open(); XenStore store = XenStore.open()) {
                StaticShmEngine engine = new StaticShmEngine(xen, store);
                for (int round = 0; round < ROUNDS; round++) {
                    engine.attach(domid, List.of(BORROWER_SPEC));
                    engine.detach(domid);
                }
                engine.attach(domid, List.of(BORROWER_SPEC));
            }
            System.out.println("done " + domid);
        }
    }

    @Test
    void eightProcessesEndWithExactCountsAndNoLostEntries(TestBed bed, SimulatedHypervisor sim) throws Exception {
        List<Integer> borrowers = IntStream.range(FIRST_BORROWER, FIRST_BORROWER + BORROWERS).boxed().toList();
        try (XenStore xs = XenStore.open()) {
            GuestDomains.create(sim, xs, OWNER);
            borrowers.forEach(domid -> GuestDomains.create(sim, xs, domid));
        }
        sim.populate(OWNER, OWNER_SPEC.firstGfn(), OWNER_SPEC.pageCount());
        try (XenControl xen = XenControl.open(); XenStore store = XenStore.open()) {
            StaticShmEngine engine = new StaticShmEngine(xen, store);
            engine.attach(OWNER, List.of(OWNER_SPEC));

            List<Process> processes = new ArrayList<>();
            for (int domid : borrowers) {
                processes.add(start(bed, domid));
            }
            for (Process process : processes) {
                String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(process.waitFor(120, TimeUnit.SECONDS), output);
                assertEquals(0, process.exitValue(), output);
            }

            try (XenStore xs = XenStore.open()) {
                assertEquals(Optional.of(Integer.toString(1 + BORROWERS)),
                        xs.read(XenStore.NO_TRANSACTION, "/libxl/static_shm/ID1/usercnt"));
                assertEquals(borrowers.stream().map(String::valueOf).collect(Collectors.toSet()),
                        Set.copyOf(xs.list(XenStore.NO_TRANSACTION, "/libxl/static_shm/ID1/slaves")));
                for (int domid : borrowers) {
                    assertEquals(Optional.of("slave"),
                            xs.read(XenStore.NO_TRANSACTION, "/local/domain/" + domid + "/static_shm/ID1/role"));
                    assertEquals(BORROWER_SPEC.pageCount(), sim.mappedPages(domid));
                    assertEquals(sim.frameOf(OWNER, OWNER_SPEC.firstGfn()), sim.frameOf(domid, BORROWER_SPEC.firstGfn()));
                }
            }

            borrowers.forEach(engine::detach);
            engine.detach(OWNER);
            try (XenStore xs = XenStore.open()) {
                assertEquals(List.of(), xs.list(XenStore.NO_TRANSACTION, "/libxl/static_shm"));
            }
            for (int domid : borrowers) {
                assertEquals(0, sim.mappedPages(domid));
            }
        }
    }

    private static Process start(TestBed bed, int domid) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Borrower.class.getName(), Integer.toString(domid))
                .redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.putAll(bed.clientEnvironment());
        return builder.start();
    }
}
