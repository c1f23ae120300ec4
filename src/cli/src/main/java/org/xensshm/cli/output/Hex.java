package org.xensshm.cli.output;

/** Addresses and frame numbers as the tool prints them: lower-case 0x-hex, ranges half-open (frame ranges print themselves the same way, see PageRange). */
public final class Hex {

    private Hex() {
    }

    public static String of(long value) {
        return "0x" + Long.toHexString(value);
    }

    /** {@code [begin, end)} of byte addresses. */
    public static String range(long begin, long end) {
        return "[" + of(begin) + ", " + of(end) + ")";
    }
}
