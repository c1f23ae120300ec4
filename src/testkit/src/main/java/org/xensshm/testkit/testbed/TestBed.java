package org.xensshm.testkit.testbed;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import org.xensshm.host.XenCallException;
import org.xensshm.xen.XenStore;

/**
 * Xen in user space: the simulated hypervisor preloaded into this JVM plus a real xenstored in a
 * private directory. Once started, {@link XenStore#open()} and
 * {@link org.xensshm.xen.XenControl#open()} in this process talk to them through the unmodified
 * Debian libraries. Close it to stop the daemon and remove its directory.
 */
public final class TestBed implements AutoCloseable {

    /** Environment variable naming the directory that holds libxensim.so and libxsdshim.so. */
    public static final String DIR_VARIABLE = "XEN_SSHM_TESTBED_DIR";

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);

    private final SimulatedHypervisor hypervisor;
    private final XenstoredProcess xenstored;

    private TestBed(SimulatedHypervisor hypervisor, XenstoredProcess xenstored) {
        this.hypervisor = hypervisor;
        this.xenstored = xenstored;
    }

    /**
     * Starts the test bed: checks the simulated hypervisor is preloaded, resets it, starts
     * xenstored under {@code workDir} and points this process's libxenstore at it.
     *
     * @param workDir where xenstored runs
     * @return the running test bed; close it to stop xenstored
     * @throws TestBedUnavailableException naming the missing piece and how to get it
     */
    public static TestBed start(Path workDir) {
        SimulatedHypervisor hypervisor = SimulatedHypervisor.preloaded();
        hypervisor.reset();
        XenstoredProcess xenstored = XenstoredProcess.start(nativeDir(), workDir);
        try {
            useXenstored(xenstored.socket());
            awaitReady(xenstored);
            return new TestBed(hypervisor, xenstored);
        } catch (RuntimeException e) {
            xenstored.close();
            throw e;
        }
    }

    /**
     * Where the test bed's shared libraries are: $XEN_SSHM_TESTBED_DIR, else beside the preloaded simulator.
     *
     * @return the directory
     */
    public static Path nativeDir() {
        String configured = System.getenv(DIR_VARIABLE);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        Optional<Path> preloaded = SimulatedHypervisor.preloadedLibrary();
        return preloaded.map(Path::getParent).orElse(Path.of("target", "testbed")).toAbsolutePath();
    }

    /**
     * The simulated hypervisor.
     *
     * @return its control API
     */
    public SimulatedHypervisor hypervisor() {
        return hypervisor;
    }

    /**
     * The test bed's xenstored.
     *
     * @return the daemon
     */
    public XenstoredProcess xenstored() {
        return xenstored;
    }

    /**
     * The environment a child process needs to use this test bed: the simulator preloaded, its
     * shared state file, and the xenstored socket.
     *
     * @return the variables and their values
     */
    public Map<String, String> clientEnvironment() {
        String state = System.getenv("XENSIM_STATE");
        Path simulator = SimulatedHypervisor.preloadedLibrary().orElseThrow();
        return state == null
                ? Map.of("LD_PRELOAD", simulator.toString(), "XENSTORED_PATH", xenstored.socket().toString())
                : Map.of("LD_PRELOAD", simulator.toString(), "XENSTORED_PATH", xenstored.socket().toString(),
                        "XENSIM_STATE", state);
    }

    @Override
    public void close() {
        xenstored.close();
    }

    static void awaitReady(XenstoredProcess xenstored) {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        XenCallException last = null;
        while (System.nanoTime() < deadline && xenstored.alive()) {
            try (XenStore store = XenStore.open()) {
                store.read(XenStore.NO_TRANSACTION, "/tool/xenstored");
                return;
            } catch (XenCallException e) {
                last = e;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new TestBedUnavailableException("xenstored at " + xenstored.socket() + " did not answer"
                + (last == null ? "" : ": " + last.getMessage()));
    }

    /**
     * Points every later {@link XenStore#open()} in this process at the daemon behind
     * {@code socket}: libxenstore reads XENSTORED_PATH from the C environment at each xs_open,
     * which Java's own environment view cannot change.
     *
     * @param socket the daemon's socket
     */
    public static void useXenstored(Path socket) {
        ProcessEnvironment.set("XENSTORED_PATH", socket.toString());
    }
}
