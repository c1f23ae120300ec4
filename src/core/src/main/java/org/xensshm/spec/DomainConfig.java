package org.xensshm.spec;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What this library takes from one xl domain config: the domain's name, its RAM and its
 * static_shm specs, not yet validated.
 *
 * @param name      the domain's {@code name}
 * @param source    where the config came from (a file path, or a name given to parsed text), for
 *                  messages
 * @param memoryMiB the config's {@code memory}: the guest's RAM in MiB, when it says
 * @param drafts    the {@code static_shm} entries in order; empty when the config has none
 */
public record DomainConfig(String name, String source, OptionalLong memoryMiB, List<SpecDraft> drafts) {

    /** Checks that the parts are given; copies the drafts. */
    public DomainConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(memoryMiB, "memoryMiB");
        drafts = List.copyOf(drafts);
    }

    /**
     * A config that does not say how much RAM the domain has.
     *
     * @param name the domain's name
     * @param source where it came from
     * @param drafts its static_shm entries
     */
    public DomainConfig(String name, String source, List<SpecDraft> drafts) {
        this(name, source, OptionalLong.empty(), drafts);
    }

    /**
     * Where the config wrote its {@code index}th static_shm entry; the whole file when unknown.
     *
     * @param index the entry's position
     * @return its line, or the whole file
     */
    public SourceLocation location(int index) {
        Optional<SourceLocation> written = index >= 0 && index < drafts.size()
                ? drafts.get(index).location() : Optional.empty();
        return written.orElse(SourceLocation.wholeFile(source));
    }
}
