package org.xensshm.spec;

import java.util.List;
import java.util.Objects;

/**
 * One domain's validated regions.
 *
 * @param name   the domain's name
 * @param source where its config came from, for messages
 * @param specs  its regions, in config order
 */
public record DomainSpecs(String name, String source, List<SshmSpec> specs) {

    public DomainSpecs {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(source, "source");
        specs = List.copyOf(specs);
    }
}
