package org.xensshm.spec;

import java.io.Serial;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A configuration was refused before anything was touched. Carries every problem found, not just
 * the first, so that one run tells the user all there is to fix; the message has one line each.
 */
public class InvalidSpecException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** Transient: records with Optionals do not serialize; the message keeps the same text. */
    private final transient List<SpecProblem> problems;

    /**
     * Every problem found.
     *
     * @param problems at least one
     */
    public InvalidSpecException(List<SpecProblem> problems) {
        super(describe(problems));
        this.problems = List.copyOf(problems);
    }

    private static String describe(List<SpecProblem> problems) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("an InvalidSpecException needs at least one problem");
        }
        return problems.stream().map(SpecProblem::describe).collect(Collectors.joining("\n"));
    }

    /**
     * All problems, in the order they were found (domain by domain, spec by spec).
     *
     * @return the problems, in the order they were found
     */
    public List<SpecProblem> problems() {
        return problems;
    }
}
