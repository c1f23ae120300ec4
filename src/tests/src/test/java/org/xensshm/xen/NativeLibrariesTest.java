package org.xensshm.xen;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** Graceful degradation: one exception, with the exact remedy, instead of a linkage error. */
class NativeLibrariesTest {

    /** Entry point for the child JVM: prints what opening the native stack says. */
    public static final class Probe {
        public static void main(String[] args) {
            try {
                XenControl.open().close();
                System.out.println("opened");
            } catch (NativeAccessUnavailableException e) {
                System.out.println(e.getMessage());
            }
        }
    }

    @Test
    void withoutNativeAccessTheErrorNamesTheJvmFlag() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Probe.class.getName())
                .redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(60, TimeUnit.SECONDS));
        assertTrue(output.contains("native access is not enabled for the class path: "
                + "start the JVM with --enable-native-access=ALL-UNNAMED"), output);
    }

    @Test
    void aMissingLibraryNamesTheDebianPackage() {
        RuntimeException failure = NativeLibraries.probeLibrary("libxenctrl.so.0.0-missing", "libxenmisc4.17");
        NativeAccessUnavailableException e = assertInstanceOf(NativeAccessUnavailableException.class, failure);
        assertTrue(e.getMessage().startsWith("libxenctrl.so.0.0-missing cannot be loaded"), e.getMessage());
        assertTrue(e.getMessage().endsWith("install it with 'apt-get install libxenmisc4.17' (Debian 12, Xen 4.17)"),
                e.getMessage());
    }

    @Test
    void theInstalledLibrariesLoad() {
        assertNull(NativeLibraries.probeLibrary(NativeLibraries.XENCTRL_SONAME, "libxenmisc4.17"));
        assertNull(NativeLibraries.probeLibrary(NativeLibraries.XENSTORE_SONAME, "libxenstore4"));
    }
}
