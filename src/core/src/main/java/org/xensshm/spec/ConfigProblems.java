package org.xensshm.spec;

import java.io.Serial;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The problems one read of an xl config finds: the lexer, the parser and the check of the settings
 * all report here, so that a file's problems come out together, in the file's order. Past
 * {@link XlConfigParser#MAX_PROBLEMS}, or past a limit, reading stops.
 */
final class ConfigProblems {

    /** Thrown once a limit is passed: reading stops, and the problems so far are reported. */
    static final class Stopped extends RuntimeException {
        @Serial
        private static final long serialVersionUID = 1L;

        Stopped() {
            super(null, null, false, false);
        }
    }

    private final String source;
    private final List<SpecProblem> problems = new ArrayList<>();
    /** Why reading stopped, once it has. */
    private SpecProblem stop;

    /** @param source what messages call the text, e.g. its file name */
    ConfigProblems(String source) {
        this.source = source;
    }

    String source() {
        return source;
    }

    void add(String field, String specId, OptionalInt specIndex, int atLine, String message) {
        problems.add(new SpecProblem("", specId, specIndex, field, message,
                Optional.of(new SourceLocation(source, atLine))));
        if (problems.size() >= XlConfigParser.MAX_PROBLEMS) {
            stop(atLine, "more than " + XlConfigParser.MAX_PROBLEMS
                    + " problems; stopped reading here (is this an xl config?)");
        }
    }

    /** A problem of the file as a whole, such as a setting it lacks. */
    void addForWholeFile(String field, String message) {
        problems.add(new SpecProblem("", "", OptionalInt.empty(), field, message,
                Optional.of(SourceLocation.wholeFile(source))));
    }

    void syntax(int atLine, String message) {
        add(SpecProblem.SYNTAX, "", OptionalInt.empty(), atLine, message);
    }

    /** Records why reading stops, then stops it. */
    void stop(int atLine, String message) {
        stop = new SpecProblem("", "", OptionalInt.empty(), SpecProblem.LIMIT, message,
                Optional.of(new SourceLocation(source, atLine)));
        throw new Stopped();
    }

    /**
     * Throws the problems found, if any. Problems found before the name was known are given it
     * now; the lexer's, the parser's and the settings' problems are merged in the file's order,
     * with the reason reading stopped, if it did, last.
     *
     * @param domain the domain's name, or empty when it is not known
     */
    void throwIfAny(String domain) {
        if (problems.isEmpty() && stop == null) {
            return;
        }
        List<SpecProblem> all = new ArrayList<>(problems.stream()
                .sorted(Comparator.comparingInt(p -> p.location().orElseThrow().line()))
                .toList());
        if (stop != null) {
            all.add(stop);
        }
        throw new InvalidSpecException(all.stream()
                .map(p -> new SpecProblem(domain, p.specId(), p.specIndex(), p.field(), p.message(), p.location()))
                .toList());
    }
}
