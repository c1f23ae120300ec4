package org.xensshm.testkit.testbed;

/** A piece of the user-space test bed is missing or did not start; the message says which. */
public final class TestBedUnavailableException extends RuntimeException {
    /**
     * What is missing, and how to get it.
     *
     * @param message the missing piece and the fix
     */
    public TestBedUnavailableException(String message) {
        super(message);
    }

    /**
     * What is missing, and how to get it.
     *
     * @param message the missing piece and the fix
     * @param cause the failure that showed it
     */
    public TestBedUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
