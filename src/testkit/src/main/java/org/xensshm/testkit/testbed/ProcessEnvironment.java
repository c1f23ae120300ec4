package org.xensshm.testkit.testbed;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * This process's C environment, which native libraries read with getenv: libxenstore reads
 * XENSTORED_PATH at each xs_open, the simulated hypervisor reads XENSIM_STATE when it first
 * attaches. Java's {@link System#getenv()} is a copy taken at start-up and does not see changes.
 */
public final class ProcessEnvironment {

    private static final Linker LINKER = Linker.nativeLinker();

    private ProcessEnvironment() {
    }

    /**
     * Sets a variable in the C environment of this process, where native libraries read it.
     *
     * @param name the variable
     * @param value its value
     */
    public static void set(String name, String value) {
        MethodHandle setenv = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("setenv"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            check("setenv", name, (int) setenv.invokeExact(arena.allocateFrom(name), arena.allocateFrom(value), 1));
        } catch (TestBedUnavailableException e) {
            throw e;
        } catch (Throwable t) {
            throw new TestBedUnavailableException("setenv(" + name + ") failed", t);
        }
    }

    /**
     * Removes a variable from the C environment of this process.
     *
     * @param name the variable
     */
    public static void unset(String name) {
        MethodHandle unsetenv = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("unsetenv"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            check("unsetenv", name, (int) unsetenv.invokeExact(arena.allocateFrom(name)));
        } catch (TestBedUnavailableException e) {
            throw e;
        } catch (Throwable t) {
            throw new TestBedUnavailableException("unsetenv(" + name + ") failed", t);
        }
    }

    private static void check(String call, String name, int rc) {
        if (rc != 0) {
            throw new TestBedUnavailableException(call + "(" + name + ") failed");
        }
    }
}
