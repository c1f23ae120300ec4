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

    /** Copies the values, refusing null keys and values. */
    public SpecDraft {
        Objects.requireNonNull(location, "location");
        EnumMap<SpecKey, String> copy = new EnumMap<>(SpecKey.class);
        values.forEach((key, value) -> copy.put(Objects.requireNonNull(key, "key"),
                Objects.requireNonNull(value, () -> "value of " + key)));
        values = Collections.unmodifiableMap(copy);
    }

    /**
     * A builder for drafts made in code.
     *
     * @return an empty builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The raw text of one key.
     *
     * @param key the key
     * @return its text, or empty when it was not set
     */
    public Optional<String> value(SpecKey key) {
        return Optional.ofNullable(values.get(key));
    }

    /**
     * The spec as an xl {@code static_shm} entry, keys in a fixed order, e.g.
     * {@code id=ID1, role=owner, begin=0x100000, size=0x100000}. Parses back to an equal draft
     * (without location) unless a raw value itself holds a comma or a quote.
     *
     * @return the entry's text
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

        /**
         * Sets a key to raw text, checked only by the validator.
         *
         * @param key the key
         * @param rawValue its text, as a config would give it
         * @return this builder
         */
        public Builder set(SpecKey key, String rawValue) {
            values.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(rawValue, "rawValue"));
            return this;
        }

        /**
         * Sets the region's id.
         *
         * @param id the same in every domain sharing the region
         * @return this builder
         */
        public Builder id(String id) {
            return set(SpecKey.ID, id);
        }

        /**
         * Sets the role.
         *
         * @param role owner or borrower
         * @return this builder
         */
        public Builder role(Role role) {
            return set(SpecKey.ROLE, role.toString());
        }

        /**
         * Guest-physical start address. Like all addresses here it is read as unsigned, so a
         * negative {@code long} stands for a value of 2^63 or more and is refused as such.
         *
         * @param begin the address
         * @return this builder
         */
        public Builder begin(long begin) {
            return set(SpecKey.BEGIN, Numbers.hex(begin));
        }

        /**
         * Exclusive end address; give this or {@link #size(long)}, not both.
         *
         * @param end the address past the region
         * @return this builder
         */
        public Builder end(long end) {
            return set(SpecKey.END, Numbers.hex(end));
        }

        /**
         * Sets the size; give this or {@link #end(long)}, not both.
         *
         * @param size in bytes
         * @return this builder
         */
        public Builder size(long size) {
            return set(SpecKey.SIZE, Numbers.hex(size));
        }

        /**
         * Borrower only: where in the owner's region the mapping starts.
         *
         * @param offset in bytes, page aligned
         * @return this builder
         */
        public Builder offset(long offset) {
            return set(SpecKey.OFFSET, Numbers.hex(offset));
        }

        /**
         * Sets the access: what an owner grants, or what a borrower asks for.
         *
         * @param prot the access
         * @return this builder
         */
        public Builder prot(Prot prot) {
            return set(SpecKey.PROT, prot.toString());
        }

        /**
         * Owner only.
         *
         * @param cachePolicy the policy
         * @return this builder
         */
        public Builder cachePolicy(CachePolicy cachePolicy) {
            return set(SpecKey.CACHE_POLICY, cachePolicy.configName());
        }

        /**
         * Says where the spec was written, for messages.
         *
         * @param location the file and line
         * @return this builder
         */
        public Builder at(SourceLocation location) {
            this.location = Objects.requireNonNull(location, "location");
            return this;
        }

        /**
         * The draft, unchecked.
         *
         * @return the draft
         */
        public SpecDraft build() {
            return new SpecDraft(values, Optional.ofNullable(location));
        }
    }
}
