package org.xensshm.engine;

import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

import org.xensshm.host.StoreTransaction;
import org.xensshm.spec.SshmSpec;

/**
 * How values are written in the region records, and read back as the C toolstacks read them:
 * addresses 0x-hex, counts decimal, handles as UUIDs. A value that does not read is a
 * {@link RecordFormatException} naming the node.
 *
 * <p><b>The owner's domid</b> is written 0x-hex: both C toolstacks write it in decimal but read it
 * back with {@code strtoull(..., 16)}, so domid 10 written their way reads as 16, while "0xa" reads
 * as 10 for them and for us. Both forms are read: 0x-prefixed as hex, plain digits as the decimal
 * their writers meant.
 */
final class RecordValues {

    /** Guest domids are below DOMID_FIRST_RESERVED (0x7FF0). */
    static final int MAX_DOMID = 0x7FEF;

    private RecordValues() {
    }

    static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }

    /** The owner's domid as written: 0x-hex, which the C readers' strtoull(..., 16) and ours read alike. */
    static String domidText(int domid) {
        return "0x" + Integer.toHexString(domid);
    }

    /** A domain handle, or empty when the node is missing. */
    static Optional<UUID> handle(StoreTransaction tx, String path) {
        Optional<String> text = tx.read(path);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(UUID.fromString(text.get().strip()));
        } catch (IllegalArgumentException e) {
            throw new RecordFormatException(path + " is not a UUID: '" + text.get() + "'");
        }
    }

    /** The end of a range from its extent node: an end as such, or a size after {@code begin}. */
    static long extentEnd(String what, long begin, String text, RecordLayout layout) {
        long extent = parseHex(what, text);
        if (!layout.bySize()) {
            return extent;
        }
        try {
            return Math.addExact(begin, extent);
        } catch (ArithmeticException e) {
            throw new RecordFormatException(what + " runs past the end of the address space: '" + text + "'");
        }
    }

    /** Like strtoull(text, NULL, 16), which both C toolstacks read addresses with, but whole-string. */
    static long parseHex(String what, String text) {
        String digits = text.strip();
        if (digits.toLowerCase(Locale.ROOT).startsWith("0x")) {
            digits = digits.substring(2);
        }
        try {
            return Long.parseUnsignedLong(digits, 16);
        } catch (NumberFormatException e) {
            throw new RecordFormatException(what + " is not a hex number: '" + text + "'");
        }
    }

    /** An owner's domid: 0x-hex as we write it, or the plain decimal the C toolstacks write. */
    static int parseDomid(String what, String text) {
        String digits = text.strip();
        int domid;
        if (digits.toLowerCase(Locale.ROOT).startsWith("0x")) {
            long value = parseHex(what, digits);
            domid = value > MAX_DOMID ? MAX_DOMID + 1 : (int) value;
        } else {
            domid = parseDecimal(what, digits);
        }
        if (domid > MAX_DOMID) {
            throw new RecordFormatException(what + " is not a guest domid: '" + text + "'");
        }
        return domid;
    }

    /** A domid in a path (a borrower entry's name): always decimal, as every writer puts it. */
    static int parseDecimalDomid(String what, String text) {
        int domid = parseDecimal(what, text);
        if (domid > MAX_DOMID) {
            throw new RecordFormatException(what + " is not a guest domid: '" + text + "'");
        }
        return domid;
    }

    static int parseDecimal(String what, String text) {
        String digits = text.strip();
        if (digits.isEmpty() || digits.length() > 9 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new RecordFormatException(what + " is not a decimal number: '" + text + "'");
        }
        return Integer.parseInt(digits);
    }

    static void checkRange(String what, long begin, long end) {
        if (begin < 0 || end <= begin || begin % SshmSpec.PAGE_SIZE != 0 || end % SshmSpec.PAGE_SIZE != 0) {
            throw new RecordFormatException(what + " [" + hex(begin) + ", " + hex(end) + ") is not a page-aligned range");
        }
    }
}
