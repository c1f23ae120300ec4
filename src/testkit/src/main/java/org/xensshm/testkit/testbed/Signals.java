package org.xensshm.testkit.testbed;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Stops and continues processes (SIGSTOP, SIGCONT), as an operator's mistake or a hung daemon
 * would leave them: a stopped xenstored keeps its socket open and answers nothing. For tests, and
 * for telling an operator that a test bed's daemon is stopped.
 */
public final class Signals {

    /** Linux's numbers, the same on x86_64 and arm64. */
    private static final int SIGCONT = 18;
    private static final int SIGSTOP = 19;

    private static final MethodHandle KILL = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().findOrThrow("kill"),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private Signals() {
    }

    /**
     * Stops the process (SIGSTOP), as a debugger or a hung daemon would be.
     *
     * @param pid the process
     */
    public static void stop(long pid) {
        send(pid, SIGSTOP, "SIGSTOP");
    }

    /**
     * Lets a stopped process go on (SIGCONT).
     *
     * @param pid the process
     */
    public static void resume(long pid) {
        send(pid, SIGCONT, "SIGCONT");
    }

    /**
     * Whether the process is stopped: state T in /proc/PID/stat (after the command's parenthesis).
     *
     * @param pid the process
     * @return true when it is stopped; false when it runs or is gone
     */
    public static boolean stopped(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int end = stat.lastIndexOf(')');
            return end > 0 && end + 2 < stat.length() && stat.charAt(end + 2) == 'T';
        } catch (IOException e) {
            return false;
        }
    }

    private static void send(long pid, int signal, String name) {
        int rc;
        try {
            rc = (int) KILL.invokeExact(Math.toIntExact(pid), signal);
        } catch (Throwable t) {
            throw new TestBedUnavailableException("kill(" + pid + ", " + name + ") failed", t);
        }
        if (rc != 0) {
            throw new TestBedUnavailableException("kill(" + pid + ", " + name + ") failed: no such process?");
        }
    }
}
