package org.xensshm.spec;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One thing wrong with a domain's static shared memory configuration.
 * {@link #describe()} makes it one printable line whatever text the config held.
 *
 * @param domain    the domain's name; empty only when a config file gives no usable name
 * @param specId    the region id as written (possibly invalid); empty when the spec has none or
 *                  the problem is not about one spec
 * @param specIndex position of the spec in the domain's {@code static_shm} list, when the problem
 *                  is about one spec
 * @param field     the config key at fault: a {@link SpecKey#configKey() spec key}, or
 *                  {@code "name"}, {@code "memory"}, {@code "platform"}, {@code "static_shm"}, or
 *                  {@code "syntax"} for text that is not valid xl config syntax, or
 *                  {@code "limit"} for a config beyond one of {@link XlConfigParser}'s limits
 * @param message   what is wrong and, where it helps, what would be right
 * @param location  where the offending text was written, when it came from a config
 */
public record SpecProblem(String domain, String specId, OptionalInt specIndex, String field,
                          String message, Optional<SourceLocation> location) {

    public static final String NAME = "name";
    public static final String MEMORY = "memory";
    public static final String PLATFORM = "platform";
    public static final String STATIC_SHM = "static_shm";
    public static final String SYNTAX = "syntax";
    /** The field of a problem that is a config beyond one of {@link XlConfigParser}'s limits. */
    public static final String LIMIT = "limit";

    /** Checks that every part is given (possibly empty). */
    public SpecProblem {
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(specId, "specId");
        Objects.requireNonNull(specIndex, "specIndex");
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(location, "location");
    }

    /**
     * One line naming everything known: {@code vm3.cfg:4: domain vm3, static_shm[0] (id ID2),
     * size: ...}.
     *
     * @return the line
     */
    public String describe() {
        StringBuilder line = new StringBuilder();
        location.ifPresent(where -> line.append(Excerpt.shorten(where.toString(), Excerpt.MAX_LINE / 4)).append(": "));
        line.append("domain ").append(domain.isEmpty() ? "(unnamed)" : Excerpt.shorten(domain));
        if (specIndex.isPresent()) {
            line.append(", static_shm[").append(specIndex.getAsInt()).append(']');
            if (!specId.isEmpty()) {
                line.append(" (id ").append(Excerpt.shorten(specId)).append(')');
            }
        } else if (!specId.isEmpty()) {
            line.append(", region ").append(Excerpt.shorten(specId));
        }
        line.append(", ").append(Excerpt.shorten(field)).append(": ").append(Excerpt.printable(message));
        // Config text reaches messages only as short excerpts; this is the backstop.
        return line.length() <= Excerpt.MAX_LINE ? line.toString() : Excerpt.shorten(line.toString(), Excerpt.MAX_LINE);
    }

    @Override
    public String toString() {
        return describe();
    }
}
