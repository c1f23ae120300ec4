package org.xensshm.spec;

/**
 * User text as messages show it: cut short, so that a megabyte-long value does not become a
 * megabyte-long message, and printable on one line, so that a value holding a new line or a
 * terminal escape cannot break "one line per problem" or the terminal.
 */
final class Excerpt {

    /** The most characters of one piece of user text a message shows: any valid id fits. */
    static final int MAX_LENGTH = SpecValidator.MAX_ID_LENGTH + 32;

    private Excerpt() {
    }

    /** The most characters of one problem's line, whatever pieces it is made of. */
    static final int MAX_LINE = 1024;

    /** {@code 'text'}, cut short and made printable. */
    static String quote(String text) {
        return "'" + shorten(text) + "'";
    }

    /** The text cut to {@link #MAX_LENGTH} characters (saying how long it was), made printable. */
    static String shorten(String text) {
        return shorten(text, MAX_LENGTH);
    }

    /** The text cut to {@code max} characters (saying how long it was), made printable. */
    static String shorten(String text, int max) {
        if (text.length() <= max) {
            return printable(text);
        }
        int cut = Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
        return printable(text.substring(0, cut)) + "... (" + text.length() + " characters)";
    }

    /**
     * Control characters, line and paragraph separators, invisible format characters (such as
     * bidirectional overrides) and lone surrogates written as {@code \\uXXXX}; everything else as it is.
     */
    static String printable(String text) {
        if (text.codePoints().noneMatch(Excerpt::hidden)) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 16);
        text.codePoints().forEach(c -> {
            if (hidden(c)) {
                out.append(String.format("\\u%04X", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }

    private static boolean hidden(int codePoint) {
        return switch (Character.getType(codePoint)) {
            case Character.CONTROL, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.FORMAT,
                 Character.SURROGATE -> true;
            default -> false;
        };
    }
}
