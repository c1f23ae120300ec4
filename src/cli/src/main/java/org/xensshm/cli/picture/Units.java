package org.xensshm.cli.picture;

/** Sizes as people read them: {@code 960 KiB}, {@code 3 GiB}; exact, or in bytes when no unit divides. */
final class Units {

    private static final String[] NAMES = {"EiB", "PiB", "TiB", "GiB", "MiB", "KiB"};

    private Units() {
    }

    static String size(long bytes) {
        for (int i = 0; i < NAMES.length; i++) {
            int shift = 10 * (NAMES.length - i);
            if (bytes >= 1L << shift && (bytes & ((1L << shift) - 1)) == 0) {
                return (bytes >>> shift) + " " + NAMES[i];
            }
        }
        return bytes + " bytes";
    }

    /** About how large, to one decimal: {@code 24.5 MiB}. */
    static String approximately(long bytes) {
        for (int i = 0; i < NAMES.length; i++) {
            int shift = 10 * (NAMES.length - i);
            if (bytes >= 1L << shift) {
                String amount = String.format(java.util.Locale.ROOT, "%.1f", (double) bytes / (1L << shift));
                return (amount.endsWith(".0") ? amount.substring(0, amount.length() - 2) : amount) + " " + NAMES[i];
            }
        }
        return bytes + " bytes";
    }
}
