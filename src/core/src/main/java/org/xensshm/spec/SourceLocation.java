package org.xensshm.spec;

import java.util.Objects;

/**
 * Where something was written: a config file (or the name given to parsed text) and a 1-based
 * line. Line 0 stands for the file as a whole, e.g. for a key that is missing from it.
 *
 * @param file the file, or the name given to parsed text
 * @param line 1-based, or 0 for the whole file
 */
public record SourceLocation(String file, int line) {

    /** Checks that the file is given and the line not negative. */
    public SourceLocation {
        Objects.requireNonNull(file, "file");
        if (line < 0) {
            throw new IllegalArgumentException("line must not be negative: " + line);
        }
    }

    /**
     * The location of a whole file rather than one of its lines.
     *
     * @param file the file
     * @return its location, line 0
     */
    public static SourceLocation wholeFile(String file) {
        return new SourceLocation(file, 0);
    }

    /** {@code file:line}, or just {@code file} for the whole file: the form editors jump to. */
    @Override
    public String toString() {
        return line == 0 ? file : file + ":" + line;
    }
}
