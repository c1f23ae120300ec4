package org.xensshm.spec;

/**
 * The numbers of a static_shm spec: unsigned, decimal or {@code 0x}-hex, below 2^63. Values are
 * read as unsigned 64-bit and then refused from 2^63 up, so that no later sum of two accepted
 * values can wrap a Java {@code long} unnoticed.
 */
final class Numbers {

    sealed interface Parsed {
    }

    record Value(long value) implements Parsed {
    }

    record Invalid(String reason) implements Parsed {
    }

    private Numbers() {
    }

    static Parsed parse(String raw) {
        String text = raw.strip();
        if (text.isEmpty()) {
            return new Invalid("no value given");
        }
        if (text.startsWith("-")) {
            return new Invalid(Excerpt.quote(text) + " is negative; addresses and sizes are unsigned");
        }
        if (!isConfigNumber(text)) {
            return new Invalid(Excerpt.quote(text) + " is not a number (write decimal digits or 0x-hex)");
        }
        boolean hex = isHex(text);
        String digits = hex ? text.substring(2) : text;
        int radix = hex ? 16 : 10;
        if (!hex && digits.length() > 1 && digits.charAt(0) == '0') {
            // C's strtoull would read this as octal; refuse rather than guess which was meant.
            return new Invalid(Excerpt.quote(text) + " has a leading zero, which C reads as octal;"
                    + " write it without the zero or in 0x-hex");
        }
        long value;
        try {
            value = Long.parseUnsignedLong(digits, radix);
        } catch (NumberFormatException tooLong) {
            return new Invalid(Excerpt.quote(text) + " does not fit in 64 bits");
        }
        if (value < 0) {
            return new Invalid(Excerpt.quote(text) + " is 2^63 or more, beyond any guest address");
        }
        return new Value(value);
    }

    /** Lower-case hex with a 0x prefix: the form xl configs and Xen's logs use for addresses. */
    static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }

    /** Whether a syntactically valid xl config number: decimal digits or 0x-hex, any size. */
    static boolean isConfigNumber(String text) {
        boolean hex = isHex(text);
        String digits = hex ? text.substring(2) : text;
        int radix = hex ? 16 : 10;
        return !digits.isEmpty()
                && digits.chars().allMatch(c -> c < 0x80 && Character.digit(c, radix) >= 0);
    }

    private static boolean isHex(String text) {
        return text.length() > 2 && text.charAt(0) == '0'
                && (text.charAt(1) == 'x' || text.charAt(1) == 'X');
    }
}
