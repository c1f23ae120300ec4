package org.xensshm.spec;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What this library takes from one xl domain config: the domain's name and its static_shm specs,
 * not yet validated.
 *
 * @param name   the domain's {@code name}
 * @param source where the config came from (a file path, or a name given to parsed text), for
 *               messages
 * @param drafts the {@code static_shm} entries in order; empty when the config has none
 */
public record DomainConfig(String name, String source, List<SpecDraft> drafts) {

    public DomainConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(source, "source");
        drafts = List.copyOf(drafts);
    }

    /** Where the config wrote its {@code index}th static_shm entry; the whole file when unknown. */
    public SourceLocation location(int index) {
        Optional<SourceLocation> written = index >= 0 && index < drafts.size()
                ? drafts.get(index).location() : Optional.empty();
        return written.orElse(SourceLocation.wholeFile(source));
    }
}
