package org.xensshm.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;

/**
 * Checks, once, that the native stack can be used before anything touches the generated
 * bindings: their static initialisers would otherwise fail with an opaque
 * {@link ExceptionInInitializerError}. The checks are cheap and their outcome is cached.
 */
public final class NativeLibraries {

    /** The sonames the bindings load; only Debian's runtime packages are needed for them. */
    public static final String XENCTRL_SONAME = "libxenctrl.so.4.17";
    /** libxenstore's soname. */
    public static final String XENSTORE_SONAME = "libxenstore.so.4";
    /** libxencall's soname. */
    public static final String XENCALL_SONAME = "libxencall.so.1";

    private static volatile RuntimeException failure;
    private static volatile boolean checked;

    private NativeLibraries() {
    }

    /**
     * Returns normally when native calls into both Xen libraries can be made.
     *
     * @throws NativeAccessUnavailableException naming the JVM flag or the Debian package to add
     */
    public static void require() {
        if (!checked) {
            synchronized (NativeLibraries.class) {
                if (!checked) {
                    failure = probe();
                    checked = true;
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static RuntimeException probe() {
        Module module = NativeLibraries.class.getModule();
        if (!module.isNativeAccessEnabled()) {
            String target = module.isNamed() ? module.getName() : "ALL-UNNAMED";
            return new NativeAccessUnavailableException(
                    "native access is not enabled for " + (module.isNamed() ? "module " + target : "the class path")
                            + ": start the JVM with --enable-native-access=" + target, null);
        }
        RuntimeException missing = probeLibrary(XENCTRL_SONAME, "libxenmisc4.17");
        if (missing == null) {
            missing = probeLibrary(XENSTORE_SONAME, "libxenstore4");
        }
        return missing != null ? missing : probeLibrary(XENCALL_SONAME, "libxencall1");
    }

    static RuntimeException probeLibrary(String soname, String debianPackage) {
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup.libraryLookup(soname, arena);
            return null;
        } catch (IllegalArgumentException e) {
            return new NativeAccessUnavailableException(
                    soname + " cannot be loaded (" + e.getMessage() + "): install it with "
                            + "'apt-get install " + debianPackage + "' (Debian 12, Xen 4.17)", e);
        }
    }
}
