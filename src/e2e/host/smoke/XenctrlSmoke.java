// XenctrlSmoke.java - the smoke check's FFM test in dom0: the JVM's native linker reaches libc
// and Debian's arm64 libxenctrl, and one real hypercall goes through (xc_version).
// smoke.sh compiles it on the host (the JRE in dom0 has no javac); in dom0:
//   java --enable-native-access=ALL-UNNAMED -cp /e2e XenctrlSmoke
// Prints one line: pid=N xen_version=MAJOR.MINOR seconds=S; exits 1 if a step fails.
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

public final class XenctrlSmoke {
    private static final int XENVER_VERSION = 0;

    public static void main(String[] args) throws Throwable {
        long start = System.nanoTime();
        Linker linker = Linker.nativeLinker();
        MethodHandle getpid = linker.downcallHandle(
                linker.defaultLookup().findOrThrow("getpid"), FunctionDescriptor.of(JAVA_INT));
        int pid = (int) getpid.invokeExact();

        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup xenctrl = SymbolLookup.libraryLookup("libxenctrl.so.4.17", arena);
            MethodHandle open = linker.downcallHandle(xenctrl.findOrThrow("xc_interface_open"),
                    FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
            MethodHandle version = linker.downcallHandle(xenctrl.findOrThrow("xc_version"),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
            MethodHandle close = linker.downcallHandle(xenctrl.findOrThrow("xc_interface_close"),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS));

            MemorySegment xch = (MemorySegment) open.invokeExact(MemorySegment.NULL, MemorySegment.NULL, 0);
            if (xch.equals(MemorySegment.NULL)) {
                System.out.println("pid=" + pid + " xc_interface_open=failed");
                System.exit(1);
            }
            int v = (int) version.invokeExact(xch, XENVER_VERSION, MemorySegment.NULL);
            int closed = (int) close.invokeExact(xch);
            System.out.printf("pid=%d xen_version=%d.%d close=%d seconds=%.2f%n",
                    pid, v >> 16, v & 0xffff, closed, (System.nanoTime() - start) / 1e9);
            if (v < 0 || closed != 0) {
                System.exit(1);
            }
        }
    }
}
