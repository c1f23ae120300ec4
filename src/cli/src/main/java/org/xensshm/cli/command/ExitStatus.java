package org.xensshm.cli.command;

/** The tool's exit statuses; scripts rely on them, so they never change meaning. */
public final class ExitStatus {

    /** Done, or nothing to report. */
    public static final int OK = 0;
    /** The input was fine but the operation failed: Xen refused, a daemon is missing, ... */
    public static final int FAILURE = 1;
    /** The input is wrong: bad option, unreadable or invalid config; nothing was touched. */
    public static final int BAD_INPUT = 2;

    private ExitStatus() {
    }
}
