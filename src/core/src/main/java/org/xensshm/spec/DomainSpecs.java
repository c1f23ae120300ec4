package org.xensshm.spec;

import java.util.List;
import java.util.Objects;

/**
 * One domain's regions after {@link SpecValidator} checked them together: every spec is valid on
 * its own, no two overlap, no id repeats, and the platform can share memory. Only the validator
 * (and {@link PlanChecker}, which runs it) makes these, so a value of this type is proof that the
 * checks ran; the engine takes it as it is.
 */
public final class DomainSpecs {

    private final String name;
    private final String source;
    private final List<SshmSpec> specs;
    private final Platform platform;

    DomainSpecs(String name, String source, List<SshmSpec> specs, Platform platform) {
        this.name = Objects.requireNonNull(name, "name");
        this.source = Objects.requireNonNull(source, "source");
        this.specs = List.copyOf(specs);
        this.platform = Objects.requireNonNull(platform, "platform");
    }

    /**
     * The domain's name, as its config gives it (or as the caller named specs built in code).
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Where the specs came from, for messages: a config file, or the name given with drafts.
     *
     * @return the file or name
     */
    public String source() {
        return source;
    }

    /**
     * The regions, in config order, with every default applied.
     *
     * @return the specs
     */
    public List<SshmSpec> specs() {
        return specs;
    }

    /**
     * The platform the specs were checked for.
     *
     * @return the platform
     */
    public Platform platform() {
        return platform;
    }

    @Override
    public String toString() {
        return "DomainSpecs[" + name + " from " + source + ", " + specs.size() + " spec(s) for " + platform + "]";
    }
}
