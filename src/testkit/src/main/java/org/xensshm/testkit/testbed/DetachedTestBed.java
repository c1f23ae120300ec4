package org.xensshm.testkit.testbed;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import org.xensshm.spec.SshmSpec;
import org.xensshm.testkit.DomainDirectories;
import org.xensshm.xen.XenStore;

/**
 * A test bed that outlives the process that starts it, so that a series of separate commands
 * (attach, status, detach...) can work on the same user-space Xen: a xenstored in its own session
 * and a simulated hypervisor whose state lives in a file, both in one directory (the bed's home).
 *
 * <p>The bed is described by an <em>env file</em>, a shell snippet of {@code export} lines that
 * the launcher sources so that later commands preload the simulator and reach the daemon:
 * {@code LD_PRELOAD}, {@code XENSIM_STATE} and {@code XENSTORED_PATH}, plus the bed's own
 * {@code XEN_SSHM_TESTBED_*} facts (home, daemon pid, domains), which {@link #read} and
 * {@link #stop()} use. A bed whose daemon is gone is <em>stale</em>: its env file must not be
 * used, and {@link #stop()} still cleans it up.
 */
public final class DetachedTestBed {

    static final String HOME = "XEN_SSHM_TESTBED_HOME";
    static final String PID = "XEN_SSHM_TESTBED_PID";
    static final String DOMAINS = "XEN_SSHM_TESTBED_DOMAINS";
    static final String PRELOAD = "LD_PRELOAD";
    static final String STATE = "XENSIM_STATE";
    static final String SOCKET = "XENSTORED_PATH";

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

    /**
     * A guest of a test bed: its xl name and domid.
     *
     * @param name the name xl would give it
     * @param domid its domid
     */
    public record Domain(String name, int domid) {

        /**
         * Creates the domain with {@code ramBytes} of fresh RAM from guest address 0.
         *
         * @param hypervisor the simulated hypervisor
         * @param ramBytes the RAM, in bytes
         */
        public void create(SimulatedHypervisor hypervisor, long ramBytes) {
            hypervisor.createDomain(domid);
            hypervisor.populate(domid, 0, ramBytes >>> SshmSpec.PAGE_SHIFT);
        }

        /**
         * Writes the domain's xenstore directory as xl does, with its name, so that the engine can
         * record regions there and tools can show the name next to the domid, then introduces the
         * domain to xenstored ({@code @introduceDomain}), as xl does last.
         *
         * @param store the store
         */
        public void publish(XenStore store) {
            DomainDirectories.write(store, domid, name);
            GuestDomains.introduce(store, domid);
        }
    }

    private final Path envFile;
    private final Map<String, String> values;

    private DetachedTestBed(Path envFile, Map<String, String> values) {
        this.envFile = envFile;
        // In order: the env file lists them as they were put.
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /**
     * Starts a bed: creates the domains in a fresh hypervisor state, each with {@code ramBytes} of
     * RAM from guest address 0, starts xenstored, writes each domain's name there, then writes the
     * env file. This process is pointed at the new bed too (its XENSIM_STATE and XENSTORED_PATH),
     * so the simulator must not have been used in it before.
     *
     * @param envFile where to describe the bed for later processes
     * @param domains the guests to create
     * @param ramBytes each guest's RAM, in bytes
     * @return the running bed
     * @throws TestBedUnavailableException when a bed described by {@code envFile} still runs, or a
     *                                     piece of the bed cannot be started (the rest is undone)
     */
    public static DetachedTestBed start(Path envFile, List<Domain> domains, long ramBytes) {
        Optional<DetachedTestBed> existing = read(envFile);
        if (existing.isPresent()) {
            if (existing.get().alive()) {
                throw new TestBedUnavailableException("a test bed is already running (xenstored pid "
                        + existing.get().pid() + ", env file " + envFile + "); stop it first");
            }
            existing.get().stop();
        }
        // Named after the env file, and short: xenstored's socket lies two levels below, and a
        // unix socket's path must stay under 108 bytes.
        Path home = envFile.toAbsolutePath().resolveSibling(envFile.getFileName() + ".d");
        try {
            // Without an env file (or after stopping a stale bed) nothing can be using it.
            XenstoredProcess.deleteTree(home);
            Files.createDirectories(home);
        } catch (IOException e) {
            throw new TestBedUnavailableException("cannot create the test bed's directory next to " + envFile, e);
        }
        XenstoredProcess xenstored = null;
        try {
            Path state = home.resolve("hypervisor.state");
            // The simulator reads XENSIM_STATE once, when this process first calls it.
            ProcessEnvironment.set(STATE, state.toString());
            SimulatedHypervisor hypervisor = SimulatedHypervisor.preloaded();
            hypervisor.reset();
            hypervisor.personality(SimulatedHypervisor.Personality.SERIES_FIXED);
            domains.forEach(domain -> domain.create(hypervisor, ramBytes));
            xenstored = XenstoredProcess.startDetached(TestBed.nativeDir(), home);
            TestBed.useXenstored(xenstored.socket());
            TestBed.awaitReady(xenstored);
            try (XenStore store = XenStore.open()) {
                domains.forEach(domain -> domain.publish(store));
            }
            Map<String, String> values = new LinkedHashMap<>();
            values.put(HOME, home.toString());
            values.put(PID, Long.toString(xenstored.pid()));
            values.put(DOMAINS, domains.stream().map(d -> d.name() + "=" + d.domid()).collect(Collectors.joining(" ")));
            values.put(PRELOAD, SimulatedHypervisor.preloadedLibrary().orElseThrow().toString());
            values.put(STATE, state.toString());
            values.put(SOCKET, xenstored.socket().toString());
            DetachedTestBed bed = new DetachedTestBed(envFile, values);
            bed.writeEnvFile();
            return bed;
        } catch (RuntimeException e) {
            if (xenstored != null) {
                xenstored.close();
            }
            XenstoredProcess.deleteTree(home);
            throw e;
        }
    }

    /**
     * The bed an env file describes, alive or stale; empty when there is no such file.
     *
     * @param envFile the bed's env file
     * @return the bed, or empty
     */
    public static Optional<DetachedTestBed> read(Path envFile) {
        if (!Files.exists(envFile)) {
            return Optional.empty();
        }
        Map<String, String> values = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(envFile)) {
                EnvFileLine.parse(line).ifPresent(entry -> values.put(entry.getKey(), entry.getValue()));
            }
        } catch (IOException e) {
            throw new TestBedUnavailableException("cannot read the test bed's env file " + envFile, e);
        }
        for (String required : List.of(HOME, PID, STATE, SOCKET)) {
            if (!values.containsKey(required)) {
                throw new TestBedUnavailableException(envFile + " is not a test bed env file (no " + required
                        + "); remove it");
            }
        }
        return Optional.of(new DetachedTestBed(envFile, values));
    }

    /**
     * The file that describes the bed.
     *
     * @return its path
     */
    public Path envFile() {
        return envFile;
    }

    /**
     * The bed's directory: state file, xenstored's run directory.
     *
     * @return its path
     */
    public Path home() {
        return Path.of(values.get(HOME));
    }

    /**
     * The bed's xenstored.
     *
     * @return its pid
     */
    public long pid() {
        try {
            return Long.parseLong(values.get(PID));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * The simulated hypervisor's shared state.
     *
     * @return the state file
     */
    public Path stateFile() {
        return Path.of(values.get(STATE));
    }

    /**
     * The bed's xenstored socket.
     *
     * @return its path
     */
    public Path socket() {
        return Path.of(values.get(SOCKET));
    }

    /**
     * The bed's guests.
     *
     * @return their names and domids
     */
    public List<Domain> domains() {
        List<Domain> domains = new ArrayList<>();
        for (String entry : values.getOrDefault(DOMAINS, "").split(" ")) {
            int equals = entry.lastIndexOf('=');
            if (equals > 0) {
                domains.add(new Domain(entry.substring(0, equals), Integer.parseInt(entry.substring(equals + 1))));
            }
        }
        return domains;
    }

    /**
     * Whether the bed's xenstored still runs: its pid is a live xenstored started for this bed.
     * The command line is checked, not just the pid, because a pid is reused once its process is
     * gone; a zombie has an empty command line and so does not count either.
     *
     * @return true when it runs
     */
    public boolean alive() {
        try {
            String commandLine = Files.readString(Path.of("/proc", Long.toString(pid()), "cmdline"));
            return commandLine.contains(XenstoredProcess.DAEMON.toString()) && commandLine.contains(home().toString());
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Builds a guest in this bed as {@code xl create [-p]} does ({@link GuestDomains#create}: its
     * RAM from guest address 0, its directory and name, then introduced to xenstored, which fires
     * {@code @introduceDomain}) and lists it in the env file. This process is pointed at the bed
     * first, so the simulator must not have been used in it before.
     *
     * @param domain the domain's name and domid
     * @param paused whether it stays paused, as after {@code xl create -p}
     * @param ramBytes its RAM, in bytes from guest address 0
     * @return the bed as its env file now describes it
     * @throws TestBedUnavailableException when the bed is stale, or the name or domid is taken
     */
    public DetachedTestBed createDomain(Domain domain, long ramBytes, boolean paused) {
        for (Domain existing : domains()) {
            if (existing.name().equals(domain.name()) || existing.domid() == domain.domid()) {
                throw new TestBedUnavailableException("the test bed has a domain " + existing.name() + " with domid "
                        + existing.domid() + " already");
            }
        }
        useThisBed();
        try (XenStore store = XenStore.open()) {
            GuestDomains.create(SimulatedHypervisor.preloaded(), store, domain.domid(), domain.name(), ramBytes, paused);
        }
        List<Domain> domains = new ArrayList<>(domains());
        domains.add(domain);
        return withDomains(domains);
    }

    /**
     * Tears a guest of this bed down as {@code xl destroy} does ({@link GuestDomains#destroy}:
     * its directory removed, the domain destroyed and released from xenstored, which fires
     * {@code @releaseDomain}) and drops it from the env file. This process is pointed at the bed
     * first, so the simulator must not have been used in it before.
     *
     * @param domid the domain
     * @return the bed as its env file now describes it
     * @throws TestBedUnavailableException when the bed is stale or has no such domain
     */
    public DetachedTestBed destroyDomain(int domid) {
        List<Domain> domains = new ArrayList<>(domains());
        if (!domains.removeIf(d -> d.domid() == domid)) {
            throw new TestBedUnavailableException("the test bed has no domain with domid " + domid);
        }
        useThisBed();
        try (XenStore store = XenStore.open()) {
            GuestDomains.destroy(SimulatedHypervisor.preloaded(), store, domid);
        }
        return withDomains(domains);
    }

    /** Points this process's simulator and libxenstore at this bed. */
    private void useThisBed() {
        if (!alive()) {
            throw new TestBedUnavailableException("the test bed is stale: its xenstored (pid " + pid()
                    + ") is gone; 'xen-sshm testbed stop' removes what is left");
        }
        // The simulator reads XENSIM_STATE once, when this process first calls it.
        ProcessEnvironment.set(STATE, stateFile().toString());
        TestBed.useXenstored(socket());
    }

    private DetachedTestBed withDomains(List<Domain> domains) {
        Map<String, String> changed = new LinkedHashMap<>(values);
        changed.put(DOMAINS, domains.stream().map(d -> d.name() + "=" + d.domid()).collect(Collectors.joining(" ")));
        DetachedTestBed bed = new DetachedTestBed(envFile, changed);
        bed.writeEnvFile();
        return bed;
    }

    /** Stops the daemon if it runs, then removes the bed's directory (state file included) and env file. */
    public void stop() {
        if (alive()) {
            terminate();
        }
        XenstoredProcess.deleteTree(home());
        try {
            Files.deleteIfExists(envFile);
        } catch (IOException e) {
            throw new TestBedUnavailableException("cannot remove " + envFile, e);
        }
    }

    /**
     * SIGTERM (xenstored has no handler, so it ends at once), then SIGKILL if it lingers. The
     * daemon is not this process's child, so its end is seen through {@link #alive()}, which also
     * counts a zombie nobody reaps as ended.
     */
    private void terminate() {
        ProcessHandle.of(pid()).ifPresent(ProcessHandle::destroy);
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        while (alive() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (alive()) {
            ProcessHandle.of(pid()).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    /** Written to a temporary file and moved into place, so a reader never sees half of it. */
    private void writeEnvFile() {
        StringBuilder text = new StringBuilder("# xen-sshm test bed, written " + Instant.now()
                + "; 'xen-sshm testbed stop' removes it.\n");
        values.forEach((name, value) -> text.append(EnvFileLine.format(name, value)).append('\n'));
        Path partial = envFile.resolveSibling(envFile.getFileName() + ".partial");
        try {
            Files.writeString(partial, text);
            try {
                Files.move(partial, envFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, envFile, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new TestBedUnavailableException("cannot write the test bed's env file " + envFile, e);
        }
    }
}
