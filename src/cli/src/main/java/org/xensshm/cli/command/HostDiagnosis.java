package org.xensshm.cli.command;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.xensshm.host.StoreUnreachableException;
import org.xensshm.testkit.testbed.DetachedTestBed;
import org.xensshm.testkit.testbed.Signals;
import org.xensshm.testkit.testbed.SimulatedHypervisor;
import org.xensshm.testkit.testbed.TestBedUnavailableException;

/**
 * Names what is unreachable when the host cannot be used, and how to start it. Without Xen, the
 * host is a test bed; when none is in use here, libxenctrl would open the real
 * {@code /dev/xen/privcmd}, fail, and print that it "could not obtain a handle on the privileged
 * command interface", which names neither the cause (no Xen here, or a test bed whose xenstored
 * is gone) nor the cure.
 */
public final class HostDiagnosis {

    static final Path PRIVCMD = Path.of("/dev/xen/privcmd");

    private HostDiagnosis() {
    }

    /**
     * Before the Xen libraries are opened: refuses when neither Xen nor a test bed can be used
     * here, naming what is missing and how to start it.
     *
     * @throws HostUnreachableException when there is nothing to open
     */
    static void requireSomeXen() {
        if (SimulatedHypervisor.preloadedLibrary().isPresent() || Files.exists(PRIVCMD)) {
            return;
        }
        Path envFile = TestbedCommand.envFile();
        Optional<DetachedTestBed> bed = testBed(envFile);
        if (bed.isPresent() && !bed.get().alive()) {
            throw gone(envFile, bed.get());
        }
        if (bed.isPresent()) {
            throw new HostUnreachableException("TESTBED_NOT_USED", "", "a test bed runs (" + envFile + "), but this"
                    + " process does not use it and there is no Xen here (no " + PRIVCMD + "): run the command"
                    + " through the xen-sshm launcher, which points it at the test bed");
        }
        throw new HostUnreachableException("HYPERVISOR_UNREACHABLE", "ENOENT", "there is no " + PRIVCMD + ": this"
                + " is not a Xen dom0, or its privcmd driver is not loaded (modprobe xen-privcmd); to try xen-sshm"
                + " without Xen, start a test bed: xen-sshm testbed start");
    }

    /**
     * After xenstored could not be reached: says so in the test bed's terms when the socket is
     * a test bed's, or empty.
     */
    static Optional<HostUnreachableException> testBedCause(StoreUnreachableException e) {
        Path envFile = TestbedCommand.envFile();
        return testBed(envFile).filter(bed -> e.arguments().contains(bed.socket().toString()))
                .filter(bed -> e.reason() == StoreUnreachableException.Reason.NOT_RUNNING && !bed.alive())
                .map(bed -> gone(envFile, bed));
    }

    private static HostUnreachableException gone(Path envFile, DetachedTestBed bed) {
        return new HostUnreachableException("TESTBED_GONE", "", "the test bed of " + envFile + " is gone: its"
                + " xenstored (pid " + bed.pid() + ") no longer runs; start a new one: xen-sshm testbed stop && xen-sshm"
                + " testbed start");
    }

    /**
     * When a request timed out on a test bed whose xenstored is stopped (SIGSTOP, state T): how
     * to let it go on.
     */
    public static Optional<String> stoppedTestBedHint() {
        Path envFile = TestbedCommand.envFile();
        return testBed(envFile).filter(DetachedTestBed::alive).filter(bed -> Signals.stopped(bed.pid()))
                .map(bed -> "the test bed's xenstored (pid " + bed.pid() + ") is stopped; let it go on: kill -CONT "
                        + bed.pid());
    }

    private static Optional<DetachedTestBed> testBed(Path envFile) {
        try {
            return DetachedTestBed.read(envFile);
        } catch (TestBedUnavailableException unreadable) {
            // Not a test bed's file: nothing to say about a test bed.
            return Optional.empty();
        }
    }
}
