package org.xensshm.testkit.testbed;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Debian's real C xenstored (xen-utils-4.17), run in the foreground in a private directory with
 * libxsdshim.so preloaded to stand in for the hypervisor handles it opens at start (see
 * src/testkit/native/XENSTORED.md). Clients reach it through {@link #socket()}. {@link #close()} stops it
 * by PID and deletes the directory, so nothing is left behind.
 */
public final class XenstoredProcess implements AutoCloseable {

    /** Where xen-utils-4.17 installs the C daemon. */
    public static final Path DAEMON = Path.of("/usr/lib/xen-4.17/bin/xenstored");
    /** The preload library that lets the daemon start without a hypervisor. */
    public static final String SHIM = "libxsdshim.so";
    /** util-linux's setsid; it runs the daemon without forking when the caller is no group leader. */
    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_SOCKET_PATH = 108;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

    private final Path runDir;
    private final Process process;

    private XenstoredProcess(Path runDir, Process process) {
        this.runDir = runDir;
        this.process = process;
    }

    /**
     * Starts a daemon in a new directory under {@code parent} and waits until its socket accepts
     * connections.
     *
     * @param shimDir directory holding libxsdshim.so
     * @param parent where its run directory is made
     * @return the running daemon; close it to stop it
     */
    public static XenstoredProcess start(Path shimDir, Path parent) {
        return start(shimDir, parent, false);
    }

    /**
     * Like {@link #start}, but the daemon runs in a session of its own (setsid), so that it
     * outlives this JVM and is not hit by signals meant for the terminal's foreground job. Nobody
     * closes the returned handle: the daemon is stopped later, by another process, through the
     * pid in {@link #pidFile()}.
     *
     * @param shimDir directory holding libxsdshim.so
     * @param parent where its run directory is made
     * @return the running daemon
     */
    public static XenstoredProcess startDetached(Path shimDir, Path parent) {
        return start(shimDir, parent, true);
    }

    private static XenstoredProcess start(Path shimDir, Path parent, boolean detached) {
        Path shim = shimDir.resolve(SHIM).toAbsolutePath();
        if (!Files.isExecutable(DAEMON)) {
            throw new TestBedUnavailableException(DAEMON + " is missing: apt-get install xen-utils-4.17");
        }
        if (!Files.isReadable(shim)) {
            throw new TestBedUnavailableException(shim + " is missing: build it with 'make -C src/testkit/native'");
        }
        Path runDir;
        try {
            Files.createDirectories(parent);
            runDir = Files.createTempDirectory(parent, "xenstored-");
        } catch (IOException e) {
            throw new TestBedUnavailableException("cannot create a run directory under " + parent, e);
        }
        // sun_path holds 108 bytes with its NUL; a longer path fails deep inside xenstored.
        if (runDir.resolve("socket").toString().getBytes(StandardCharsets.UTF_8).length >= MAX_SOCKET_PATH) {
            deleteTree(runDir);
            throw new TestBedUnavailableException("the xenstored socket path under " + parent
                    + " would exceed " + (MAX_SOCKET_PATH - 1) + " bytes; use a shorter directory");
        }
        List<String> command = new ArrayList<>(List.of(DAEMON.toString(), "-N", "-F", pidFile(runDir).toString()));
        if (detached) {
            command.addFirst(SETSID.toString());
        }
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(runDir.resolve("xenstored.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().put("XENSTORED_RUNDIR", runDir.toString());
        // Only the shim: the daemon must not see the simulated hypervisor the JVM may carry.
        builder.environment().put("LD_PRELOAD", shim.toString());
        builder.environment().remove("XENSTORED_PATH");
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            deleteTree(runDir);
            throw new TestBedUnavailableException("cannot start " + DAEMON, e);
        }
        XenstoredProcess daemon = new XenstoredProcess(runDir, process);
        daemon.awaitSocket();
        return daemon;
    }

    /**
     * Where the daemon writes its pid; it holds a lock on the file while it runs.
     *
     * @return the pid file
     */
    public Path pidFile() {
        return pidFile(runDir);
    }

    private static Path pidFile(Path runDir) {
        return runDir.resolve("xenstored.pid");
    }

    /**
     * The unix socket clients connect to: give it to libxenstore as XENSTORED_PATH.
     *
     * @return the socket
     */
    public Path socket() {
        return runDir.resolve("socket");
    }

    /**
     * The daemon's process id.
     *
     * @return the pid
     */
    public long pid() {
        return process.pid();
    }

    /**
     * Whether the daemon still runs.
     *
     * @return true when it does
     */
    public boolean alive() {
        return process.isAlive();
    }

    /**
     * Stops the daemon (SIGSTOP), as a hung xenstored: its socket stays open, requests go
     * unanswered. {@link #resume()} lets it go on; {@link #close()} resumes it before stopping it.
     */
    public void suspend() {
        Signals.stop(process.pid());
    }

    /** Lets a {@link #suspend() suspended} daemon go on (SIGCONT) with the requests that waited. */
    public void resume() {
        Signals.resume(process.pid());
    }

    /** Kills the daemon at once (SIGKILL), as a crash would; the directory stays until close. */
    public void kill() {
        process.destroyForcibly();
        waitFor(STOP_TIMEOUT);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            // A stopped daemon would take SIGTERM only once continued.
            resume();
            process.destroy();
            if (!waitFor(STOP_TIMEOUT)) {
                process.destroyForcibly();
                waitFor(STOP_TIMEOUT);
            }
        }
        deleteTree(runDir);
    }

    /**
     * Whether the daemon takes a connection: it binds the socket before it listens, and a client
     * in between gets ECONNREFUSED.
     */
    private boolean accepts() {
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket()))) {
            return probe.isConnected();
        } catch (IOException notYet) {
            return false;
        }
    }

    private void awaitSocket() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                String log = readLog();
                close();
                throw new TestBedUnavailableException("xenstored exited during start-up (status "
                        + process.exitValue() + "): " + log);
            }
            if (Files.exists(socket()) && accepts()) {
                return;
            }
            sleepBriefly();
        }
        close();
        throw new TestBedUnavailableException("xenstored did not listen on " + socket() + " within " + READY_TIMEOUT);
    }

    private String readLog() {
        try {
            return Files.readString(runDir.resolve("xenstored.log")).strip();
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private boolean waitFor(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestBedUnavailableException("interrupted while waiting for xenstored", e);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            List<Path> all = paths.sorted(Comparator.reverseOrder()).toList();
            for (Path path : all) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new TestBedUnavailableException("cannot remove " + root, e);
        }
    }
}
