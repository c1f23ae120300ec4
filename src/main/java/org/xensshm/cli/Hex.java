package org.xensshm.cli;

/** Addresses and frame numbers as the tool prints them: lower-case 0x-hex, ranges half-open (frame ranges print themselves the same way, see PageRange). */
final class Hex {

    private Hex() {
    }

    static String of(long value) {
        return "0x" + Long.toHexString(value);
    }

    /** {@code [begin, end)} of byte addresses. */
    static String range(long begin, long end) {
        return "[" + of(begin) + ", " + of(end) + ")";
    }
}
