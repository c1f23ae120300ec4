package org.xensshm.xen;

/**
 * The native stack cannot be used in this JVM: native access is not enabled for this module, or a
 * Xen library is not installed. The message says exactly what to change.
 */
public final class NativeAccessUnavailableException extends RuntimeException {
    public NativeAccessUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
