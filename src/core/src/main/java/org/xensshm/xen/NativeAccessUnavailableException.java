package org.xensshm.xen;

/**
 * The native stack cannot be used in this JVM: native access is not enabled for this module, or a
 * Xen library is not installed. The message says exactly what to change.
 */
public final class NativeAccessUnavailableException extends RuntimeException {
    /**
     * What is missing.
     *
     * @param message what to do about it
     * @param cause the failure that showed it
     */
    public NativeAccessUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
