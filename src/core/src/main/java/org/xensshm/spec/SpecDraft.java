package org.xensshm.spec;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * One static_shm spec as given, before validation: the raw text of each key that was set, and
 * where the spec was written. Nothing is checked here; {@link SpecValidator} turns drafts into
 * {@link SshmSpec}s or reports what is wrong with them.
 *
 * <p>Values are kept as text because that is what a config holds, and so that a bad value reaches
 * the validator to be reported with its field instead of failing earlier. The typed setters of
 * {@link Builder} write the canonical text for their value.
 *
 * @param values   the keys that were set, with their text
 * @param location where the spec was written, when it came from a config
 */
public record SpecDraft(Map<SpecKey, String> values, Optional<SourceLocation> location) {

    public SpecDraft {
        Objects.requireNonNull(location, "location");
        EnumMap<SpecKey, String> copy = new EnumMap<>(SpecKey.class);
        values.forEach((key, value) -> copy.put(Objects.requireNonNull(key, "key"),
                Objects.requireNonNull(value, () -> "value of " + key)));
        values = Collections.unmodifiableMap(copy);
    }

    public static Builder builder() {
        return new Builder();
    }

    public Optional<String> value(SpecKey key) {
        return Optional.ofNullable(values.get(key));
    }

    /**
     * The spec as an xl {@code static_shm} entry, keys in a fixed order, e.g.
     * {@code id=ID1, role=owner, begin=0x100000, size=0x100000}. Parses back to an equal draft
     * (without location) unless a raw value itself holds a comma or a quote.
     */
    public String toConfigString() {
        return values.entrySet().stream()
                .map(entry -> entry.getKey().configKey() + "=" + entry.getValue())
                .collect(Collectors.joining(", "));
    }

    /** Builds drafts from Java values, so a toolstack need not write config text. */
    public static final class Builder {
        private final EnumMap<SpecKey, String> values = new EnumMap<>(SpecKey.class);
        private SourceLocation location;

        private Builder() {
        }

        /** Sets a key to raw text, checked only by the validator. */
        public Builder set(SpecKey key, String rawValue) {
            values.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(rawValue, "rawValue"));
            return this;
        }

        public Builder id(String id) {
            return set(SpecKey.ID, id);
        }

        public Builder role(Role role) {
            return set(SpecKey.ROLE, role.toString());
        }

        /**
         * Guest-physical start address. Like all addresses here it is read as unsigned, so a
         * negative {@code long} stands for a value of 2^63 or more and is refused as such.
         */
        public Builder begin(long begin) {
            return set(SpecKey.BEGIN, Numbers.hex(begin));
        }

        /** Exclusive end address; give this or {@link #size(long)}, not both. */
        public Builder end(long end) {
            return set(SpecKey.END, Numbers.hex(end));
        }

        public Builder size(long size) {
            return set(SpecKey.SIZE, Numbers.hex(size));
        }

        /** Borrower only: where in the owner's region the mapping starts. */
        public Builder offset(long offset) {
            return set(SpecKey.OFFSET, Numbers.hex(offset));
        }

        public Builder prot(Prot prot) {
            return set(SpecKey.PROT, prot.toString());
        }

        /** Owner only. */
        public Builder cachePolicy(CachePolicy cachePolicy) {
            return set(SpecKey.CACHE_POLICY, cachePolicy.configName());
        }

        public Builder at(SourceLocation location) {
            this.location = Objects.requireNonNull(location, "location");
            return this;
        }

        public SpecDraft build() {
            return new SpecDraft(values, Optional.ofNullable(location));
        }
    }
}
