package org.xensshm.testkit.testbed;

/** A piece of the user-space test bed is missing or did not start; the message says which. */
public final class TestBedUnavailableException extends RuntimeException {
    public TestBedUnavailableException(String message) {
        super(message);
    }

    public TestBedUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
