package org.xensshm.cli.picture;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

import org.xensshm.cli.output.Hex;
import org.xensshm.spec.ArmGuestLayout;
import org.xensshm.spec.DomainConfig;
import org.xensshm.spec.InvalidSpecException;
import org.xensshm.spec.Platform;
import org.xensshm.spec.Role;
import org.xensshm.spec.SpecDraft;
import org.xensshm.spec.SpecKey;
import org.xensshm.spec.SpecProblem;
import org.xensshm.spec.SpecValidator;
import org.xensshm.spec.SshmSpec;

/**
 * What the pictures of a host show, worked out once from the configs and the problems the check
 * found, so that the SVG and the Graphviz drawing cannot disagree: each domain's guest-physical
 * address map (its RAM, Xen's fixed areas, its shared regions), each borrower's mapping into its
 * owner's region, and every problem, attached to the place it concerns.
 *
 * <p>The configs need not pass the check: a spec is drawn when it is valid on its own (so that an
 * overlap or a window past its owner's end can be shown where it is), and what cannot be drawn is
 * still listed among the notes.
 *
 * @param platform the host's platform; Xen's Arm guest layout is drawn only for Arm
 * @param columns  one per domain, in the order the configs were given
 * @param arrows   one per borrower window whose region has an owner
 * @param marks    ranges where something is wrong (an error the check reports) or in the way (Xen's
 *                 layout, a warning)
 * @param notes    what the marks and badges refer to: the check's problems, then the warnings
 */
public record HostMap(Platform platform, List<Column> columns, List<Arrow> arrows, List<Mark> marks,
                      List<Note> notes) {

    public HostMap {
        Objects.requireNonNull(platform, "platform");
        columns = List.copyOf(columns);
        arrows = List.copyOf(arrows);
        marks = List.copyOf(marks);
        notes = List.copyOf(notes);
    }

    /** What a band is. */
    public enum Kind {
        /** One of the guest's RAM banks. */
        RAM,
        /** An area Xen places in every Arm guest (interrupt controller, grant table, ...). */
        XEN,
        /** A region this domain backs with its RAM. */
        OWNER,
        /** A window where this domain maps (part of) another domain's region. */
        BORROWER;

        public boolean shared() {
            return this == OWNER || this == BORROWER;
        }
    }

    /** Errors are what the check reports; warnings are what the picture sees in Xen's layout. */
    public enum Severity { ERROR, WARNING }

    /**
     * A range of one domain's guest-physical addresses, {@code [begin, end)}.
     *
     * @param name  the area's name, or for a shared band the region's id
     * @param spec  for a shared band, its position in the domain's static_shm list
     * @param notes the labels of the notes about this band
     */
    public record Band(Kind kind, long begin, long end, String name, OptionalInt spec, List<String> notes) {

        public Band {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(spec, "spec");
            notes = List.copyOf(notes);
        }

        public long size() {
            return end - begin;
        }

        /** For tooltips and Graphviz: what it is and where. */
        public String describe() {
            String what = switch (kind) {
                case RAM, XEN -> name;
                case OWNER -> "region " + name + " (owner, static_shm[" + spec.orElseThrow() + "])";
                case BORROWER -> "window on " + name + " (borrower, static_shm[" + spec.orElseThrow() + "])";
            };
            return what + " " + Hex.range(begin, end) + ", " + Units.size(size());
        }
    }

    /**
     * One domain.
     *
     * @param domain      its name
     * @param source      its config file
     * @param memoryBytes its RAM, when the config says ({@code memory =})
     * @param bands       RAM banks and Xen's areas (Arm), then its shared bands, each in address order
     * @param notes       labels of notes about the domain as a whole, or about specs that cannot
     *                    be drawn
     */
    public record Column(String domain, String source, OptionalLong memoryBytes, List<Band> bands,
                         List<String> notes) {

        public Column {
            Objects.requireNonNull(domain, "domain");
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(memoryBytes, "memoryBytes");
            bands = List.copyOf(bands);
            notes = List.copyOf(notes);
        }

        public List<Band> shared() {
            return bands.stream().filter(band -> band.kind().shared()).toList();
        }

        public Optional<Band> spec(int index) {
            return bands.stream().filter(band -> band.spec().equals(OptionalInt.of(index))).findFirst();
        }
    }

    /**
     * A borrower window and the part of its owner's region it maps: owner addresses
     * {@code [targetBegin, targetEnd)}, which is {@code offset} into the region.
     *
     * @param borrower     the borrower's column
     * @param window       the borrower's band
     * @param owner        the owner's column
     * @param region       the owner's band
     * @param broken       whether the window runs past the end of the owner's region
     */
    public record Arrow(int borrower, Band window, int owner, Band region, long offset, long targetBegin,
                        long targetEnd, boolean broken) {

        public Arrow {
            Objects.requireNonNull(window, "window");
            Objects.requireNonNull(region, "region");
        }

        public String id() {
            return window.name();
        }
    }

    /**
     * A range of one column to point at: an overlap, the part of a window past its owner's region
     * (errors), or Xen's layout in the way (warnings).
     */
    public record Mark(int column, long begin, long end, Severity severity, String why) {

        public Mark {
            Objects.requireNonNull(severity, "severity");
            Objects.requireNonNull(why, "why");
        }
    }

    /** One numbered line under the picture: {@code 1}, {@code 2}, ... for errors, {@code W1}, ... for warnings. */
    public record Note(String label, Severity severity, String text) {

        public Note {
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(severity, "severity");
            Objects.requireNonNull(text, "text");
        }
    }

    /**
     * Works the map out.
     *
     * @param configs  the domains' configs, as given
     * @param platform the host's platform
     * @param problems what the check found; empty when it passed
     */
    public static HostMap of(List<DomainConfig> configs, Platform platform, List<SpecProblem> problems) {
        return new Builder(configs, platform).build(problems);
    }

    /** The keys that place a spec; the others (prot, cache policy) cannot stop it being drawn. */
    private static final List<SpecKey> GEOMETRY = List.of(SpecKey.ID, SpecKey.ROLE, SpecKey.BEGIN, SpecKey.END,
            SpecKey.SIZE, SpecKey.OFFSET);

    private static final class Builder {
        private final List<DomainConfig> configs;
        private final Platform platform;
        private final List<List<Band>> bands = new ArrayList<>();
        private final List<List<String>> columnNotes = new ArrayList<>();
        private final List<Mark> marks = new ArrayList<>();
        private final List<Note> notes = new ArrayList<>();
        private final List<Arrow> arrows = new ArrayList<>();

        Builder(List<DomainConfig> configs, Platform platform) {
            this.configs = List.copyOf(configs);
            this.platform = platform;
        }

        HostMap build(List<SpecProblem> problems) {
            for (DomainConfig config : configs) {
                bands.add(new ArrayList<>(layout(config)));
                columnNotes.add(new ArrayList<>());
                List<Band> shared = new ArrayList<>();
                for (int index = 0; index < config.drafts().size(); index++) {
                    int spec = index;
                    drawable(config, config.drafts().get(index)).ifPresent(valid -> shared.add(new Band(
                            valid.role() == Role.OWNER ? Kind.OWNER : Kind.BORROWER, valid.begin(), valid.end(),
                            valid.id(), OptionalInt.of(spec), List.of())));
                }
                shared.sort(Comparator.comparingLong(Band::begin));
                bands.getLast().addAll(shared);
            }
            problems.forEach(this::attach);
            for (int column = 0; column < configs.size(); column++) {
                overlaps(column);
            }
            if (platform == Platform.ARM) {
                for (int column = 0; column < configs.size(); column++) {
                    layoutConflicts(column);
                }
            }
            mappings();
            List<Column> columns = new ArrayList<>();
            for (int i = 0; i < configs.size(); i++) {
                DomainConfig config = configs.get(i);
                columns.add(new Column(config.name(), config.source(), memoryBytes(config), bands.get(i),
                        columnNotes.get(i)));
            }
            return new HostMap(platform, columns, arrows, marks, notes);
        }

        private static OptionalLong memoryBytes(DomainConfig config) {
            return config.memoryMiB().isPresent() ? OptionalLong.of(config.memoryMiB().getAsLong() << 20)
                    : OptionalLong.empty();
        }

        /** Xen's Arm guest layout: RAM as the config sizes it, and the fixed areas. */
        private List<Band> layout(DomainConfig config) {
            if (platform != Platform.ARM) {
                return List.of();
            }
            List<Band> layout = new ArrayList<>();
            memoryBytes(config).ifPresent(bytes -> ArmGuestLayout.ram(bytes).forEach(bank -> layout.add(
                    new Band(Kind.RAM, bank.base(), bank.end(), bank.name(), OptionalInt.empty(), List.of()))));
            ArmGuestLayout.FIXED.forEach(area -> layout.add(
                    new Band(Kind.XEN, area.base(), area.end(), area.name(), OptionalInt.empty(), List.of())));
            layout.sort(Comparator.comparingLong(Band::begin));
            return layout;
        }

        /**
         * The spec as validated on its own, from the keys that place it: what the check says of it
         * among the others (an overlap, a missing owner) is attached to it afterwards.
         */
        private static Optional<SshmSpec> drawable(DomainConfig config, SpecDraft draft) {
            Map<SpecKey, String> placing = new EnumMap<>(SpecKey.class);
            GEOMETRY.forEach(key -> draft.value(key).ifPresent(value -> placing.put(key, value)));
            boolean owner = Optional.ofNullable(placing.get(SpecKey.ROLE)).flatMap(Role::parse)
                    .orElse(null) == Role.OWNER;
            if (owner) {
                placing.remove(SpecKey.OFFSET);
            }
            String name = config.name().isBlank() ? config.source() : config.name();
            try {
                return Optional.of(SpecValidator.validateAlone(name, new SpecDraft(placing, Optional.empty()),
                        Platform.ARM));
            } catch (InvalidSpecException notDrawable) {
                return Optional.empty();
            }
        }

        private String note(Severity severity, String text) {
            long earlier = notes.stream().filter(note -> note.severity() == severity).count();
            String label = (severity == Severity.WARNING ? "W" : "") + (earlier + 1);
            notes.add(new Note(label, severity, text));
            return label;
        }

        /** A problem goes on its spec's band, or on the domain when it has no drawn spec. */
        private void attach(SpecProblem problem) {
            String label = note(Severity.ERROR, problem.describe());
            int column = columnOf(problem);
            if (column < 0) {
                return;
            }
            List<Band> own = bands.get(column);
            OptionalInt index = problem.specIndex();
            for (int i = 0; i < own.size(); i++) {
                Band band = own.get(i);
                if (index.isPresent() && band.spec().equals(index)) {
                    own.set(i, withNote(band, label));
                    return;
                }
            }
            columnNotes.get(column).add(label);
        }

        private static Band withNote(Band band, String label) {
            List<String> labels = new ArrayList<>(band.notes());
            labels.add(label);
            return new Band(band.kind(), band.begin(), band.end(), band.name(), band.spec(), labels);
        }

        /** The config a problem is about: by domain name, and by file when two share a name. */
        private int columnOf(SpecProblem problem) {
            int byName = -1;
            for (int i = 0; i < configs.size(); i++) {
                DomainConfig config = configs.get(i);
                if (!config.name().equals(problem.domain())) {
                    continue;
                }
                if (problem.location().map(where -> where.file().equals(config.source())).orElse(false)) {
                    return i;
                }
                if (byName < 0) {
                    byName = i;
                }
            }
            return byName;
        }

        /** Every two shared bands of a domain that share a page. */
        private void overlaps(int column) {
            List<Band> shared = bands.get(column).stream().filter(band -> band.kind().shared()).toList();
            for (int i = 0; i < shared.size(); i++) {
                for (int j = i + 1; j < shared.size(); j++) {
                    Band a = shared.get(i);
                    Band b = shared.get(j);
                    if (a.begin() < b.end() && b.begin() < a.end()) {
                        marks.add(new Mark(column, Math.max(a.begin(), b.begin()), Math.min(a.end(), b.end()),
                                Severity.ERROR, "static_shm[" + a.spec().orElseThrow() + "] (" + a.name()
                                + ") and static_shm[" + b.spec().orElseThrow() + "] (" + b.name() + ") overlap"));
                    }
                }
            }
        }

        /**
         * Each borrower window to its region's owner, the first one given when there are several
         * (the check reports the others); the part past the owner's region, if any, is marked.
         */
        private void mappings() {
            for (int borrower = 0; borrower < configs.size(); borrower++) {
                for (Band window : bands.get(borrower)) {
                    if (window.kind() != Kind.BORROWER) {
                        continue;
                    }
                    int column = borrower;
                    owner(window.name()).ifPresent(found -> arrow(found, column, window));
                }
            }
        }

        private void arrow(OwnerBand found, int borrower, Band window) {
            Band region = found.band();
            long offset = offsetOf(borrower, window);
            long targetBegin = region.begin() + offset;
            long targetEnd = targetBegin + window.size();
            boolean broken = targetEnd > region.end();
            arrows.add(new Arrow(borrower, window, found.column(), region, offset, targetBegin, targetEnd, broken));
            if (broken) {
                marks.add(new Mark(found.column(), Math.max(targetBegin, region.end()), targetEnd, Severity.ERROR,
                        configs.get(borrower).name() + "'s window on " + region.name() + " runs "
                        + Units.size(targetEnd - Math.max(targetBegin, region.end())) + " past the region's end"));
            }
        }

        /** The offset the window's spec gives (drawable, so valid on its own). */
        private long offsetOf(int column, Band window) {
            SpecDraft draft = configs.get(column).drafts().get(window.spec().orElseThrow());
            return drawable(configs.get(column), draft).orElseThrow().offset();
        }

        private record OwnerBand(int column, Band band) {
        }

        private Optional<OwnerBand> owner(String id) {
            for (int column = 0; column < bands.size(); column++) {
                for (Band band : bands.get(column)) {
                    if (band.kind() == Kind.OWNER && band.name().equals(id)) {
                        return Optional.of(new OwnerBand(column, band));
                    }
                }
            }
            return Optional.empty();
        }

        /**
         * Where a region is not free in an Arm guest, marked on the part that is hit: a window over
         * the guest's RAM or over one of Xen's fixed areas, and an owner's region over a fixed area,
         * are the check's errors (whose notes the problems carry). An owner shares its own RAM, so
         * a region outside it (known only when the config gives {@code memory}) is a warning.
         */
        private void layoutConflicts(int column) {
            DomainConfig config = configs.get(column);
            OptionalLong memory = memoryBytes(config);
            for (Band band : bands.get(column)) {
                if (!band.kind().shared()) {
                    continue;
                }
                List<ArmGuestLayout.Area> hit = band.kind() == Kind.BORROWER
                        ? ArmGuestLayout.conflicts(band.begin(), band.end(), memory)
                        : ArmGuestLayout.fixedAreasIn(band.begin(), band.end());
                for (ArmGuestLayout.Area area : hit) {
                    long begin = Math.max(band.begin(), area.base());
                    long end = Math.min(band.end(), area.end());
                    marks.add(new Mark(column, begin, end, Severity.ERROR, "overlaps " + area.name() + " "
                            + Hex.range(begin, end)));
                }
                if (band.kind() != Kind.OWNER || memory.isEmpty()) {
                    continue;
                }
                List<String> found = new ArrayList<>();
                for (long[] outside : outsideRam(band, memory.getAsLong())) {
                    String why = "is not in the domain's RAM at " + Hex.range(outside[0], outside[1]);
                    marks.add(new Mark(column, outside[0], outside[1], Severity.WARNING, why));
                    found.add(why);
                }
                if (!found.isEmpty()) {
                    String label = note(Severity.WARNING, "domain " + config.name() + ", static_shm["
                            + band.spec().orElseThrow() + "] (id " + band.name() + ") "
                            + Hex.range(band.begin(), band.end()) + " " + String.join(", ", found)
                            + ": an owner shares its own RAM");
                    List<Band> own = bands.get(column);
                    own.set(own.indexOf(band), withNote(band, label));
                }
            }
        }

        /** The parts of an owner's region outside its RAM banks. */
        private static List<long[]> outsideRam(Band band, long memoryBytes) {
            List<long[]> outside = new ArrayList<>();
            long from = band.begin();
            for (ArmGuestLayout.Area bank : ArmGuestLayout.ram(memoryBytes)) {
                if (bank.end() <= from || bank.base() >= band.end()) {
                    continue;
                }
                if (bank.base() > from) {
                    outside.add(new long[] {from, bank.base()});
                }
                from = Math.max(from, bank.end());
            }
            if (from < band.end()) {
                outside.add(new long[] {from, band.end()});
            }
            return outside;
        }
    }
}
