package org.xensshm.spec;

import java.util.Objects;

/**
 * Where something was written: a config file (or the name given to parsed text) and a 1-based
 * line. Line 0 stands for the file as a whole, e.g. for a key that is missing from it.
 */
public record SourceLocation(String file, int line) {

    public SourceLocation {
        Objects.requireNonNull(file, "file");
        if (line < 0) {
            throw new IllegalArgumentException("line must not be negative: " + line);
        }
    }

    /** The location of a whole file rather than one of its lines. */
    public static SourceLocation wholeFile(String file) {
        return new SourceLocation(file, 0);
    }

    /** {@code file:line}, or just {@code file} for the whole file: the form editors jump to. */
    @Override
    public String toString() {
        return line == 0 ? file : file + ":" + line;
    }
}
