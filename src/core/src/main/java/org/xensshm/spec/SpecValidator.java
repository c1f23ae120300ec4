package org.xensshm.spec;

import static org.xensshm.spec.Numbers.hex;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Checks one domain's static_shm drafts before anything is touched, applies the defaults and
 * returns the resolved specs, or throws one {@link InvalidSpecException} with every problem.
 *
 * <p>Defaults: role borrower, prot rw, offset 0 for a borrower, the host platform's cache policy
 * for an owner. Everything Xen would otherwise find out half way through a domain's creation is
 * checked here: ids, ranges, alignment, 64-bit overflow, role-specific keys, overlaps between any
 * two regions of the domain, and what the host platform can do.
 */
public final class SpecValidator {

    /** Longest id: ids become xenstore path components, and the proposal capped them so. */
    public static final int MAX_ID_LENGTH = 128;

    private static final Pattern ID_CHARS = Pattern.compile("[A-Za-z0-9_]+");

    static final String X86_REFUSAL = "static shared memory is not supported on x86 hosts:"
            + " Xen x86 cannot map one domU's pages into another (p2m_add_foreign refuses it)";

    static final String RO_BORROWER_REFUSAL = "a borrower cannot be read-only: Xen's"
            + " add_to_physmap maps shared pages read-write, and read-only sharing needs hypervisor"
            + " support that does not exist; use prot=rw";

    private SpecValidator() {
    }

    /**
     * Validates a parsed config; problems point at its file and lines.
     *
     * @param config the parsed config
     * @param platform the host's platform
     * @return the resolved specs, in the config's order
     */
    public static DomainSpecs validate(DomainConfig config, Platform platform) {
        return specsOf(config.name(), config.source(), examine(config, platform), platform);
    }

    /**
     * Validates drafts made in code (or parsed elsewhere).
     *
     * @param domain the domain's name, for messages
     * @param drafts the domain's drafts
     * @param platform the host's platform
     * @return the resolved specs, in the drafts' order
     * @throws InvalidSpecException with every problem of the domain
     */
    public static DomainSpecs validate(String domain, List<SpecDraft> drafts, Platform platform) {
        return specsOf(domain, domain, examine(domain, drafts, platform, Optional.empty(), OptionalLong.empty()),
                platform);
    }

    /**
     * One draft's own checks (its values, their alignment and ranges, the options of its role),
     * without anything that concerns its domain as a whole: neighbouring specs, the domain's memory,
     * Xen's guest layout. For tools that show specs as written, even where their domain is wrong.
     *
     * @param domain   the domain's name, for messages
     * @param draft    the spec as written
     * @param platform the host platform its defaults are for
     * @return the resolved spec
     * @throws InvalidSpecException with the draft's own problems
     */
    public static SshmSpec validateAlone(String domain, SpecDraft draft, Platform platform) {
        DraftCheck check = new DraftCheck(domain, 0, draft, platform);
        Optional<SshmSpec> spec = check.run();
        if (spec.isEmpty()) {
            throw new InvalidSpecException(check.problems);
        }
        return spec.get();
    }

    private static DomainSpecs specsOf(String domain, String source, Outcome outcome, Platform platform) {
        if (!outcome.problems().isEmpty()) {
            throw new InvalidSpecException(outcome.problems());
        }
        return new DomainSpecs(domain, source, outcome.specs().stream().map(Checked::spec).toList(), platform);
    }

    /** A spec that passed its own checks, with where it came from for later messages. */
    record Checked(SshmSpec spec, int index, Optional<SourceLocation> location) {
    }

    /**
     * What one domain's check found.
     *
     * @param specs      the specs that passed their own checks (domain-wide problems such as
     *                   overlaps do not remove them)
     * @param problems   everything wrong, ordered by spec
     * @param unsettled  ids whose spec in this domain is broken or ambiguous, so that checks across
     *                   domains skip them rather than report consequences of the same mistake
     */
    record Outcome(List<Checked> specs, List<SpecProblem> problems, Set<String> unsettled) {
    }

    static Outcome examine(DomainConfig config, Platform platform) {
        return examine(config.name(), config.drafts(), platform,
                Optional.of(SourceLocation.wholeFile(config.source())), config.memoryMiB());
    }

    /**
     * @param memoryMiB the domain's {@code memory =}, when known: borrower windows must then keep
     *                  clear of its RAM banks as well as of Xen's fixed guest areas
     */
    static Outcome examine(String domain, List<SpecDraft> drafts, Platform platform,
                           Optional<SourceLocation> domainLocation, OptionalLong memoryMiB) {
        List<SpecProblem> problems = new ArrayList<>();
        if (domain.isBlank()) {
            problems.add(new SpecProblem(domain, "", OptionalInt.empty(), SpecProblem.NAME,
                    "the domain has no name", domainLocation));
        }
        boolean supported = switch (platform) {
            case ARM -> true;
            case X86 -> false;
        };
        if (!supported && !drafts.isEmpty()) {
            problems.add(new SpecProblem(domain, "", OptionalInt.empty(), SpecProblem.PLATFORM,
                    X86_REFUSAL, domainLocation));
        }

        List<Checked> specs = new ArrayList<>();
        Set<String> unsettled = new HashSet<>();
        Map<String, Integer> firstUse = new HashMap<>();
        for (int index = 0; index < drafts.size(); index++) {
            DraftCheck check = new DraftCheck(domain, index, drafts.get(index), platform);
            Optional<SshmSpec> spec = check.run();
            spec.ifPresentOrElse(valid -> specs.add(new Checked(valid, check.index,
                    check.draft.location())), () -> unsettled.add(check.id));
            if (!check.id.isEmpty()) {
                Integer first = firstUse.putIfAbsent(check.id, index);
                if (first != null) {
                    unsettled.add(check.id);
                    check.problem(SpecKey.ID, "id " + check.id + " is already used by static_shm["
                            + first + "]; each id may appear at most once per domain");
                }
            }
            problems.addAll(check.problems);
        }
        problems.addAll(overlaps(domain, specs));
        if (platform == Platform.ARM) {
            problems.addAll(guestLayoutConflicts(domain, specs, memoryMiB));
        }
        problems.sort(Comparator.comparingInt(problem -> problem.specIndex().orElse(-1)));
        return new Outcome(List.copyOf(specs), List.copyOf(problems), Set.copyOf(unsettled));
    }

    /**
     * Ranges that are not free in an Arm guest's address space. A borrower's window must be a hole:
     * Xen maps over whatever is at a target page without a word, so a window over the guest's RAM
     * or over one of Xen's fixed areas (interrupt controller, grant table, magic pages, ...) would
     * silently take it away. An owner offers its own RAM at run time, so only the fixed areas
     * concern it.
     */
    private static List<SpecProblem> guestLayoutConflicts(String domain, List<Checked> specs, OptionalLong memoryMiB) {
        OptionalLong memory = memoryMiB.isPresent() ? OptionalLong.of(memoryMiB.getAsLong() << 20) : OptionalLong.empty();
        List<SpecProblem> problems = new ArrayList<>();
        for (Checked checked : specs) {
            SshmSpec spec = checked.spec();
            List<ArmGuestLayout.Area> hit = spec.role() == Role.BORROWER
                    ? ArmGuestLayout.conflicts(spec.begin(), spec.end(), memory)
                    : ArmGuestLayout.fixedAreasIn(spec.begin(), spec.end());
            if (!hit.isEmpty()) {
                problems.add(new SpecProblem(domain, spec.id(), OptionalInt.of(checked.index()), SpecKey.BEGIN.configKey(),
                        "range " + range(spec) + " overlaps " + hit.stream().map(ArmGuestLayout.Area::toString)
                        .collect(Collectors.joining(", ")) + " of an Arm guest"
                        + (hit.stream().anyMatch(area -> area.name().startsWith("RAM")) ? " with memory = "
                        + memoryMiB.getAsLong() : "") + "; " + (spec.role() == Role.BORROWER
                        ? "a borrower's window must be a hole, or Xen silently replaces what is there"
                        : "Xen keeps that area for itself"), checked.location()));
            }
        }
        return problems;
    }

    /**
     * Every pair of regions of one domain that share a page, whatever their roles: a guest frame
     * can back only one mapping. The seed compared borrowers only, after a qsort whose comparator
     * never returned 0; here the sort is total and every overlapping pair is reported, on the
     * later spec of the two.
     */
    private static List<SpecProblem> overlaps(String domain, List<Checked> specs) {
        List<Checked> byBegin = specs.stream()
                .sorted(Comparator.comparingLong((Checked c) -> c.spec().begin())
                        .thenComparingInt(Checked::index))
                .toList();
        List<SpecProblem> problems = new ArrayList<>();
        for (int i = 0; i < byBegin.size(); i++) {
            Checked lower = byBegin.get(i);
            for (int j = i + 1; j < byBegin.size()
                    && byBegin.get(j).spec().begin() < lower.spec().end(); j++) {
                Checked upper = byBegin.get(j);
                Checked later = lower.index() > upper.index() ? lower : upper;
                Checked earlier = later == lower ? upper : lower;
                problems.add(new SpecProblem(domain, later.spec().id(), OptionalInt.of(later.index()),
                        SpecKey.BEGIN.configKey(), "range " + range(later.spec()) + " overlaps "
                        + range(earlier.spec()) + " of static_shm[" + earlier.index() + "] (id "
                        + earlier.spec().id() + "); a guest page can back only one region",
                        later.location()));
            }
        }
        return problems;
    }

    private static String range(SshmSpec spec) {
        return "[" + hex(spec.begin()) + ", " + hex(spec.end()) + ")";
    }

    /** The checks of one spec on its own; collects problems instead of stopping at the first. */
    private static final class DraftCheck {
        private final String domain;
        private final int index;
        private final SpecDraft draft;
        private final Platform platform;
        private final String id;
        private final List<SpecProblem> problems = new ArrayList<>();

        DraftCheck(String domain, int index, SpecDraft draft, Platform platform) {
            this.domain = domain;
            this.index = index;
            this.draft = draft;
            this.platform = platform;
            this.id = draft.value(SpecKey.ID).map(String::strip).orElse("");
        }

        void problem(SpecKey key, String message) {
            problems.add(new SpecProblem(domain, id, OptionalInt.of(index), key.configKey(), message,
                    draft.location()));
        }

        Optional<SshmSpec> run() {
            checkId();
            Optional<Role> role = choice(SpecKey.ROLE, Role::parse, Role.BORROWER,
                    "owner (or master) or borrower (or slave)");
            Optional<Prot> prot = choice(SpecKey.PROT, Prot::parse, Prot.RW, "rw or ro");
            OptionalLong begin = required(SpecKey.BEGIN, "the region's first guest address");
            OptionalLong size = length(begin);
            OptionalLong offset = offset(role, size);
            if (role.orElse(null) == Role.BORROWER && prot.orElse(null) == Prot.RO) {
                problem(SpecKey.PROT, RO_BORROWER_REFUSAL);
            }
            Optional<CachePolicy> cachePolicy = cachePolicy(role);
            if (!problems.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new SshmSpec(id, role.orElseThrow(), begin.orElseThrow(),
                    size.orElseThrow(), offset.orElseThrow(), prot.orElseThrow(),
                    cachePolicy.orElse(null)));
        }

        private void checkId() {
            Optional<String> raw = draft.value(SpecKey.ID);
            if (raw.isEmpty()) {
                problem(SpecKey.ID, "missing; every region needs an id, the same in each domain"
                        + " that shares it");
            } else if (id.isEmpty()) {
                problem(SpecKey.ID, "is empty");
            } else if (id.length() > MAX_ID_LENGTH) {
                problem(SpecKey.ID, "is " + id.length() + " characters long; at most "
                        + MAX_ID_LENGTH + " are allowed");
            } else if (!ID_CHARS.matcher(id).matches()) {
                // Ids become xenstore path components: nothing else may reach the path.
                problem(SpecKey.ID, Excerpt.quote(id) + " may hold only letters, digits and _");
            }
        }

        /** A keyword value: the default when absent, empty after reporting an unknown word. */
        private <T> Optional<T> choice(SpecKey key, Function<String, Optional<T>> parse, T absent,
                                       String expected) {
            Optional<String> raw = draft.value(key);
            if (raw.isEmpty()) {
                return Optional.of(absent);
            }
            Optional<T> value = parse.apply(raw.get());
            if (value.isEmpty()) {
                problem(key, Excerpt.quote(raw.get().strip()) + " is not one of " + expected);
            }
            return value;
        }

        /** A number, empty when absent or after reporting why it is not a usable number. */
        private OptionalLong number(SpecKey key) {
            Optional<String> raw = draft.value(key);
            if (raw.isEmpty()) {
                return OptionalLong.empty();
            }
            return switch (Numbers.parse(raw.get())) {
                case Numbers.Value(long value) when (value & (SshmSpec.PAGE_SIZE - 1)) != 0 -> {
                    problem(key, hex(value) + " is not a multiple of the 4 KiB page size;"
                            + " Xen shares whole pages");
                    yield OptionalLong.empty();
                }
                case Numbers.Value(long value) -> OptionalLong.of(value);
                case Numbers.Invalid(String reason) -> {
                    problem(key, reason);
                    yield OptionalLong.empty();
                }
            };
        }

        private OptionalLong required(SpecKey key, String meaning) {
            if (draft.value(key).isEmpty()) {
                problem(key, "missing: " + meaning);
            }
            return number(key);
        }

        /** The region's size, from size= or from end= (exclusive); exactly one must be given. */
        private OptionalLong length(OptionalLong begin) {
            boolean hasEnd = draft.value(SpecKey.END).isPresent();
            boolean hasSize = draft.value(SpecKey.SIZE).isPresent();
            if (!hasEnd && !hasSize) {
                problem(SpecKey.SIZE, "missing: give size (or end, exclusive)");
            }
            if (hasEnd && hasSize) {
                problem(SpecKey.END, "end and size are both given; give one of them");
            }
            OptionalLong end = number(SpecKey.END);
            OptionalLong size = number(SpecKey.SIZE);
            if (hasEnd && hasSize) {
                return OptionalLong.empty();
            }
            if (size.isPresent()) {
                if (size.getAsLong() == 0) {
                    problem(SpecKey.SIZE, "is 0; a region needs at least one page");
                    return OptionalLong.empty();
                }
                if (begin.isPresent() && begin.getAsLong() > Long.MAX_VALUE - size.getAsLong()) {
                    problem(SpecKey.SIZE, "begin " + hex(begin.getAsLong()) + " + size "
                            + hex(size.getAsLong()) + " goes past 2^63 (64-bit overflow)");
                    return OptionalLong.empty();
                }
                return size;
            }
            if (end.isPresent() && begin.isPresent()) {
                if (end.getAsLong() <= begin.getAsLong()) {
                    problem(SpecKey.END, "end " + hex(end.getAsLong()) + " is not above begin "
                            + hex(begin.getAsLong()) + "; the range is empty or inverted"
                            + " (end is exclusive)");
                    return OptionalLong.empty();
                }
                return OptionalLong.of(end.getAsLong() - begin.getAsLong());
            }
            return OptionalLong.empty();
        }

        private OptionalLong offset(Optional<Role> role, OptionalLong size) {
            boolean given = draft.value(SpecKey.OFFSET).isPresent();
            if (role.orElse(null) == Role.OWNER && given) {
                problem(SpecKey.OFFSET, "only a borrower has an offset (where in the owner's"
                        + " region its mapping starts)");
                return OptionalLong.empty();
            }
            if (role.orElse(null) == Role.OWNER || !given) {
                return OptionalLong.of(0);
            }
            OptionalLong offset = number(SpecKey.OFFSET);
            if (offset.isPresent() && size.isPresent()
                    && offset.getAsLong() > Long.MAX_VALUE - size.getAsLong()) {
                problem(SpecKey.OFFSET, "offset " + hex(offset.getAsLong()) + " + size "
                        + hex(size.getAsLong()) + " goes past 2^63 (64-bit overflow)");
                return OptionalLong.empty();
            }
            return offset;
        }

        private Optional<CachePolicy> cachePolicy(Optional<Role> role) {
            Optional<String> raw = draft.value(SpecKey.CACHE_POLICY);
            if (role.isEmpty()) {
                return Optional.empty();
            }
            if (role.get() == Role.BORROWER) {
                raw.ifPresent(given -> problem(SpecKey.CACHE_POLICY, "only an owner sets"
                        + " cache_policy; a borrower maps the owner's pages as the owner set them"));
                return Optional.empty();
            }
            Optional<CachePolicy> policy = choice(SpecKey.CACHE_POLICY, CachePolicy::parse,
                    platform.defaultCachePolicy(), "ARM_normal (ARM hosts) or x86_normal (x86 hosts)");
            if (policy.isPresent() && policy.get().platform() != platform) {
                problem(SpecKey.CACHE_POLICY, policy.get() + " is for " + policy.get().platform()
                        + " hosts; this host is " + platform + ", use "
                        + platform.defaultCachePolicy());
                return Optional.empty();
            }
            return policy;
        }
    }
}
