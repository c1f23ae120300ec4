package org.xensshm.cli.picture;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.xensshm.cli.output.Hex;
import org.xensshm.cli.picture.AddressAxis.Piece;
import org.xensshm.cli.picture.AddressAxis.Scale;
import org.xensshm.cli.picture.HostMap.Arrow;
import org.xensshm.cli.picture.HostMap.Band;
import org.xensshm.cli.picture.HostMap.Column;
import org.xensshm.cli.picture.HostMap.Kind;
import org.xensshm.cli.picture.HostMap.Mark;
import org.xensshm.cli.picture.HostMap.Note;
import org.xensshm.cli.picture.HostMap.Severity;
import org.xensshm.spec.ArmGuestLayout;

/**
 * A {@link HostMap} as an SVG picture: one column per domain on a shared address axis (see
 * {@link AddressAxis} for its scale), Xen's layout on the left of each column, the shared regions
 * on the right, arrows from each borrower window to the owner's pages it maps, red bars where the
 * check failed, amber bars where Xen's layout is in the way, and the numbered notes underneath.
 *
 * <p>The elements carry {@code class} and {@code data-} attributes (domain, id, addresses) so that
 * programs, and the tests, can read the picture back.
 */
public final class SvgPicture {

    static final String RED = "#d62728";
    static final String AMBER = "#f0a202";
    private static final String FONT = "DejaVu Sans, Verdana, sans-serif";
    private static final String MONO = "DejaVu Sans Mono, monospace";
    /** Width of a character of the 10 px monospace font, to size what holds text. */
    private static final double MONO_CHAR = 6.1;

    private static final double TICK_LABEL_RIGHT = 112;
    private static final double AXIS_X = 120;
    private static final double SCALE_X = 134;
    private static final double FIRST_COLUMN = 150;
    private static final double STRIP_WIDTH = 128;
    private static final double LANE_OFFSET = 142;
    private static final double LANE_WIDTH = 165;
    private static final double COLUMN_WIDTH = 325;
    private static final double COLUMN_GAP = 130;
    private static final double AXIS_TOP = 100;
    private static final double MIN_HEIGHT = 3;
    private static final double TARGET_WIDTH = 12;

    private final HostMap map;
    private final AddressAxis axis;
    private final Svg svg = new Svg();
    /** Where each shared band was drawn, by column and spec index. */
    private final Map<String, double[]> boxes = new HashMap<>();
    private double width;

    private SvgPicture(HostMap map) {
        this.map = map;
        this.axis = AddressAxis.of(map, AXIS_TOP);
        this.width = FIRST_COLUMN + Math.max(1, map.columns().size()) * (COLUMN_WIDTH + COLUMN_GAP) - COLUMN_GAP + 30;
    }

    /** The whole SVG document. */
    public static String render(HostMap map) {
        return new SvgPicture(map).draw();
    }

    private String draw() {
        svg.text("text", "Guest-physical address maps (xen-sshm check, platform "
                + map.platform().name().toLowerCase(java.util.Locale.ROOT) + ")", "x", 16.0, "y", 28.0,
                "font-size", 17, "font-weight", "bold");
        cuts();
        axisLine();
        ticks();
        for (int i = 0; i < map.columns().size(); i++) {
            column(i, map.columns().get(i));
        }
        marks();
        arrows();
        double y = legend(axis.bottom() + 36);
        y = notes(y + 10);
        double height = y + 20;
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Svg.value(Math.ceil(width))
                + "\" height=\"" + Svg.value(Math.ceil(height)) + "\" viewBox=\"0 0 " + Svg.value(Math.ceil(width))
                + " " + Svg.value(Math.ceil(height)) + "\" font-family=\"" + FONT + "\">\n"
                + "<defs>\n" + arrowHead("arrow", "#444") + arrowHead("arrow-broken", RED) + "</defs>\n"
                + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
                + svg.content() + "</svg>\n";
    }

    private static String arrowHead(String id, String color) {
        return "<marker id=\"" + id + "\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\""
                + " markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\""
                + color + "\"/></marker>\n";
    }

    private static double columnX(int column) {
        return FIRST_COLUMN + column * (COLUMN_WIDTH + COLUMN_GAP);
    }

    private double right() {
        return FIRST_COLUMN + Math.max(1, map.columns().size()) * (COLUMN_WIDTH + COLUMN_GAP) - COLUMN_GAP;
    }

    /** Stretches with nothing to draw: a grey band across every column, with the size left out. */
    private void cuts() {
        for (Piece piece : axis.pieces()) {
            if (piece.scale() != Scale.CUT) {
                continue;
            }
            svg.open("g", "class", "cut", "data-begin", Hex.of(piece.begin()), "data-end", Hex.of(piece.end()));
            svg.leaf("rect", "x", AXIS_X, "y", piece.top(), "width", right() - AXIS_X, "height", piece.height(),
                    "fill", "#f1f1f1");
            svg.text("text", "\u2248 " + Units.approximately(piece.end() - piece.begin())
                            + " with nothing to draw, cut out",
                    "x", FIRST_COLUMN + LANE_OFFSET, "y", piece.top() + piece.height() / 2 + 3.5, "font-size", 10,
                    "fill", "#777", "font-style", "italic");
            svg.close("g");
        }
    }

    /** Thick where drawn to scale, thin where compressed, a zigzag across a cut. */
    private void axisLine() {
        for (Piece piece : axis.pieces()) {
            switch (piece.scale()) {
                case TO_SCALE -> {
                    svg.leaf("line", "class", "axis to-scale", "x1", AXIS_X, "y1", piece.top(), "x2", AXIS_X,
                            "y2", piece.bottom(), "stroke", "black", "stroke-width", 3);
                    long unit = AddressAxis.scaleUnit(piece);
                    double middle = (piece.top() + piece.bottom()) / 2;
                    svg.leaf("line", "x1", SCALE_X, "y1", piece.top() + 2, "x2", SCALE_X, "y2", piece.bottom() - 2,
                            "stroke", "#888", "stroke-width", 1);
                    svg.text("text", "to scale: " + Units.size(unit) + " = "
                                    + Svg.value((double) Math.round(unit * piece.pixelsPerByte())) + " px",
                            "class", "scale", "x", SCALE_X - 3, "y", middle, "font-size", 9, "fill", "#555",
                            "text-anchor", "middle", "transform", "rotate(-90 " + Svg.value(SCALE_X - 3) + " "
                                    + Svg.value(middle) + ")");
                }
                case COMPRESSED -> svg.leaf("line", "class", "axis compressed", "x1", AXIS_X, "y1", piece.top(),
                        "x2", AXIS_X, "y2", piece.bottom(), "stroke", "#999", "stroke-width", 1,
                        "stroke-dasharray", "5 2");
                case CUT -> {
                    double y = piece.top();
                    double h = piece.height();
                    svg.leaf("path", "class", "axis cut", "d", "M" + Svg.value(AXIS_X) + "," + Svg.value(y)
                                    + " L" + Svg.value(AXIS_X + 5) + "," + Svg.value(y + h * 0.33)
                                    + " L" + Svg.value(AXIS_X - 5) + "," + Svg.value(y + h * 0.66)
                                    + " L" + Svg.value(AXIS_X) + "," + Svg.value(y + h),
                            "fill", "none", "stroke", "#999", "stroke-width", 1);
                }
            }
        }
    }

    /** Every address a range starts or ends at; labelled where there is room. */
    private void ticks() {
        double lastLabel = Double.NEGATIVE_INFINITY;
        for (long address : axis.bounds()) {
            double y = axis.y(address);
            svg.leaf("line", "x1", AXIS_X - 5, "y1", y, "x2", AXIS_X, "y2", y, "stroke", "#444");
            if (y - lastLabel >= 11.5) {
                svg.text("text", Hex.of(address), "class", "tick", "x", TICK_LABEL_RIGHT, "y", y + 3.5,
                        "font-family", MONO, "font-size", 10, "text-anchor", "end", "fill", "#333");
                svg.leaf("line", "x1", AXIS_X, "y1", y, "x2", right(), "y2", y, "stroke", "#e4e4e4",
                        "stroke-width", 0.6);
                lastLabel = y;
            }
        }
    }

    private void column(int index, Column column) {
        double x = columnX(index);
        svg.open("g", "class", "column", "data-domain", column.domain(), "data-source", column.source());
        boolean domainError = column.notes().stream().anyMatch(this::isError);
        svg.text("text", column.domain().isEmpty() ? "(unnamed)" : column.domain(), "class", "domain", "x", x,
                "y", 62.0, "font-size", 15, "font-weight", "bold", "fill", domainError ? RED : "black");
        String memory = column.memoryBytes().isPresent()
                ? "memory = " + Units.size(column.memoryBytes().getAsLong())
                : "memory = not set";
        svg.text("text", column.source() + " \u00b7 " + memory, "x", x, "y", 78.0, "font-size", 10,
                "fill", "#555");
        if (!column.notes().isEmpty()) {
            badge(x + COLUMN_WIDTH - 4, 50, column.notes());
        }
        for (Band band : column.bands()) {
            if (!band.kind().shared()) {
                layoutBand(x, band);
            }
        }
        if (AddressAxis.ramStartOnly(map, column)) {
            double y = axis.y(ArmGuestLayout.RAM0_BASE);
            svg.leaf("line", "class", "ram-start", "x1", x, "y1", y, "x2", x + STRIP_WIDTH, "y2", y,
                    "stroke", "#777", "stroke-width", 1.5, "stroke-dasharray", "4 3");
            svg.text("text", "RAM bank 0 starts here", "x", x + 4, "y", y + 11, "font-size", 9, "fill", "#555");
        }
        sharedBands(index, x, column.shared());
        svg.close("g");
    }

    /** RAM and Xen's areas, in the strip on the left of the column. */
    private void layoutBand(double x, Band band) {
        double top = axis.y(band.begin());
        double height = Math.max(MIN_HEIGHT, axis.y(band.end()) - top);
        boolean ram = band.kind() == Kind.RAM;
        svg.open("g", "class", ram ? "band ram" : "band xen", "data-name", band.name(),
                "data-begin", Hex.of(band.begin()), "data-end", Hex.of(band.end()));
        svg.title(band.describe());
        svg.leaf("rect", "x", x, "y", top, "width", STRIP_WIDTH, "height", height,
                "fill", ram ? "#e6e6e6" : "#fff2c2", "stroke", ram ? "#9a9a9a" : "#c9a227", "stroke-width", 0.8);
        if (height >= 11) {
            svg.text("text", fit(band.name() + (ram ? ", " + Units.size(band.size()) : ""), STRIP_WIDTH - 8, 5.4),
                    "x", x + 4, "y", top + Math.min(height / 2 + 3, 10.5), "font-size", 9, "fill", "#444");
        }
        svg.close("g");
    }

    /** Owner regions and borrower windows; overlapping ones side by side, each in its own lane. */
    private void sharedBands(int index, double x, List<Band> shared) {
        List<Integer> lanes = new ArrayList<>();
        List<Long> laneEnds = new ArrayList<>();
        for (Band band : shared) {
            int lane = 0;
            while (lane < laneEnds.size() && laneEnds.get(lane) > band.begin()) {
                lane++;
            }
            if (lane == laneEnds.size()) {
                laneEnds.add(band.end());
            } else {
                laneEnds.set(lane, band.end());
            }
            lanes.add(lane);
        }
        double laneWidth = LANE_WIDTH / Math.max(1, laneEnds.size());
        for (int i = 0; i < shared.size(); i++) {
            Band band = shared.get(i);
            double left = x + LANE_OFFSET + lanes.get(i) * laneWidth;
            double top = axis.y(band.begin());
            double height = Math.max(MIN_HEIGHT, axis.y(band.end()) - top);
            double boxWidth = laneWidth - (laneEnds.size() > 1 ? 3 : 0);
            boxes.put(key(index, band), new double[] {left, top, boxWidth, height});
            sharedBand(band, left, top, boxWidth, height);
        }
    }

    private void sharedBand(Band band, double left, double top, double boxWidth, double height) {
        boolean owner = band.kind() == Kind.OWNER;
        boolean failed = band.notes().stream().anyMatch(this::isError);
        svg.open("g", "class", "band " + (owner ? "owner" : "borrower") + (failed ? " error" : ""),
                "data-id", band.name(), "data-spec", band.spec().orElseThrow(), "data-begin", Hex.of(band.begin()),
                "data-end", Hex.of(band.end()));
        svg.title(band.describe());
        svg.leaf("rect", "x", left, "y", top, "width", boxWidth, "height", height,
                "fill", owner ? "#d5ecd4" : "#d4e3f5", "stroke", failed ? RED : owner ? "#2e7d32" : "#1f5fa8",
                "stroke-width", failed ? 2.5 : 1.2);
        List<String> lines = List.of(band.name() + (owner ? " (owner)" : " (borrower)"),
                Hex.range(band.begin(), band.end()), Units.size(band.size()));
        // An owner's box keeps its edges free for the strips that mark what borrowers map.
        double inset = owner ? TARGET_WIDTH + 4 : 4;
        double room = boxWidth - inset - (band.notes().isEmpty() ? 4 : 30);
        for (int line = 0; line < lines.size() && height >= 13 * (line + 1) + 1; line++) {
            boolean first = line == 0;
            svg.text("text", fit(lines.get(line), room, first ? 6.6 : 5.5), "x", left + inset,
                    "y", top + 12 + 13 * line, "font-size", first ? 11 : 9,
                    "font-family", first ? FONT : MONO, "font-weight", first ? "bold" : "normal",
                    "fill", "#222");
        }
        if (!band.notes().isEmpty()) {
            badge(left + boxWidth - 3, top + 2, band.notes());
        }
        svg.close("g");
    }

    /** Numbered labels pointing at the notes underneath, right-aligned at {@code right}. */
    private void badge(double right, double top, List<String> labels) {
        String text = String.join(",", labels);
        double badgeWidth = 7 * text.length() + 8;
        boolean error = labels.stream().anyMatch(this::isError);
        svg.open("g", "class", "badge " + (error ? "error" : "warning"), "data-notes", text);
        svg.leaf("rect", "x", right - badgeWidth, "y", top, "width", badgeWidth, "height", 14, "rx", 7,
                "fill", error ? RED : AMBER);
        svg.text("text", text, "x", right - badgeWidth / 2, "y", top + 10.5, "font-size", 10, "font-weight", "bold",
                "fill", "white", "text-anchor", "middle");
        svg.close("g");
    }

    private boolean isError(String label) {
        return map.notes().stream().anyMatch(note -> note.label().equals(label) && note.severity() == Severity.ERROR);
    }

    /**
     * Bars beside the shared lane: red on its right where the check fails (an overlap, a window
     * past its owner's region), amber on its left where Xen's layout is in the way.
     */
    private void marks() {
        for (Mark mark : map.marks()) {
            double x = columnX(mark.column());
            double top = axis.y(mark.begin());
            double height = axis.y(mark.end()) - top;
            if (height < 4) {
                top -= (4 - height) / 2;
                height = 4;
            }
            boolean error = mark.severity() == Severity.ERROR;
            double left = error ? x + LANE_OFFSET + LANE_WIDTH + 3 : x + STRIP_WIDTH + 2;
            svg.open("g", "class", "mark " + (error ? "error" : "warning"),
                    "data-domain", map.columns().get(mark.column()).domain(),
                    "data-begin", Hex.of(mark.begin()), "data-end", Hex.of(mark.end()));
            svg.title(mark.why());
            svg.leaf("rect", "x", left, "y", top, "width", error ? 12.0 : 10.0, "height", height,
                    "fill", error ? RED : AMBER);
            svg.close("g");
        }
    }

    /**
     * From each borrower window to the owner's pages it maps (outlined, dashed, on the owner's
     * region), labelled with the offset into the region.
     */
    private void arrows() {
        for (Arrow arrow : map.arrows()) {
            double[] window = boxes.get(key(arrow.borrower(), arrow.window()));
            double[] region = boxes.get(key(arrow.owner(), arrow.region()));
            double targetTop = axis.y(arrow.targetBegin());
            double targetHeight = Math.max(MIN_HEIGHT, axis.y(arrow.targetEnd()) - targetTop);
            String color = arrow.broken() ? RED : "#444";
            boolean leftward = arrow.owner() <= arrow.borrower();
            // The mapped part: a strip on the side of the owner's region the arrow comes from.
            double stripX = leftward ? region[0] + region[2] - TARGET_WIDTH - 1 : region[0] + 1;
            svg.leaf("rect", "class", "target", "x", stripX, "y", targetTop, "width", TARGET_WIDTH,
                    "height", targetHeight, "fill", color, "fill-opacity", 0.15, "stroke", color,
                    "stroke-width", 1.2, "stroke-dasharray", "4 2");
            double startX = leftward ? window[0] : window[0] + window[2];
            double startY = window[1] + window[3] / 2;
            double endX = leftward ? stripX + TARGET_WIDTH : stripX;
            double endY = targetTop + targetHeight / 2;
            double bend = Math.max(40, Math.abs(startX - endX) / 2) * (leftward ? -1 : 1);
            String from = map.columns().get(arrow.borrower()).domain();
            String to = map.columns().get(arrow.owner()).domain();
            svg.open("g", "class", "arrow" + (arrow.broken() ? " error" : ""), "data-from", from, "data-to", to,
                    "data-id", arrow.id(), "data-offset", Hex.of(arrow.offset()),
                    "data-window-begin", Hex.of(arrow.window().begin()), "data-window-end", Hex.of(arrow.window().end()),
                    "data-target-begin", Hex.of(arrow.targetBegin()), "data-target-end", Hex.of(arrow.targetEnd()));
            svg.title(from + " maps " + to + "'s " + Hex.range(arrow.targetBegin(), arrow.targetEnd()) + " (region "
                    + arrow.id() + " from offset " + Hex.of(arrow.offset()) + ") at its "
                    + Hex.range(arrow.window().begin(), arrow.window().end()));
            svg.leaf("path", "d", "M" + Svg.value(startX) + "," + Svg.value(startY) + " C"
                            + Svg.value(startX + bend) + "," + Svg.value(startY) + " "
                            + Svg.value(endX - bend) + "," + Svg.value(endY) + " "
                            + Svg.value(endX) + "," + Svg.value(endY),
                    "fill", "none", "stroke", color, "stroke-width", 1.6,
                    "marker-end", "url(#" + (arrow.broken() ? "arrow-broken" : "arrow") + ")");
            String label = arrow.id() + " offset " + Hex.of(arrow.offset());
            double labelWidth = label.length() * MONO_CHAR + 8;
            // Near the owner's end, where arrows to different parts of a region are apart.
            double labelX = bezier(0.8, startX, startX + bend, endX - bend, endX);
            double labelY = bezier(0.8, startY, startY, endY, endY);
            svg.leaf("rect", "x", labelX - labelWidth / 2, "y", labelY - 8, "width", labelWidth, "height", 15,
                    "rx", 3, "fill", "white", "fill-opacity", 0.9, "stroke", color, "stroke-width", 0.6);
            svg.text("text", label, "class", "offset", "x", labelX, "y", labelY + 3.5, "font-family", MONO,
                    "font-size", 10, "text-anchor", "middle", "fill", color);
            svg.close("g");
        }
    }

    private static double bezier(double t, double p0, double p1, double p2, double p3) {
        double u = 1 - t;
        return u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3;
    }

    private static String key(int column, Band band) {
        return column + "/" + band.spec().orElseThrow();
    }

    /** What the colours and the axis mean; returns the y below it. */
    private double legend(double y) {
        svg.open("g", "class", "legend");
        double x = 16;
        Object[][] swatches = {
                {"#d5ecd4", "#2e7d32", "owner's region"},
                {"#d4e3f5", "#1f5fa8", "borrower's window"},
                {"#e6e6e6", "#9a9a9a", "RAM"},
                {"#fff2c2", "#c9a227", "Xen's area"},
                {RED, RED, "the check fails here"},
                {AMBER, AMBER, "Xen's layout in the way"},
        };
        for (Object[] swatch : swatches) {
            svg.leaf("rect", "x", x, "y", y - 10, "width", 16, "height", 12, "fill", swatch[0], "stroke", swatch[1]);
            svg.text("text", (String) swatch[2], "x", x + 22, "y", y, "font-size", 11);
            x += 22 + ((String) swatch[2]).length() * 6.4 + 22;
        }
        svg.leaf("rect", "x", x, "y", y - 10, "width", 16, "height", 12, "fill", "#444", "fill-opacity", 0.15,
                "stroke", "#444", "stroke-dasharray", "4 2");
        svg.text("text", "owner's pages a borrower maps (arrow from its window)", "x", x + 22, "y", y, "font-size", 11);
        width = Math.max(width, x + 22 + 55 * 6.4 + 16);
        String[] scale = {
                "Addresses grow downwards; the axis is shared by all domains and is in pieces:",
                "thick: drawn to scale (the scale is written beside it): the stretches holding the shared regions and the"
                        + " owners' pages that borrowers map;",
                "dashed: compressed: each band's height grows with the logarithm of its size (4 KiB: 16 px, 1 MiB: 56 px,"
                        + " 1 GiB: 106 px);",
                "zigzag: a stretch with nothing to draw in any domain, cut out (its size is written in it).",
        };
        for (String line : scale) {
            y += 16;
            svg.text("text", line, "class", "scale-note", "x", 16.0, "y", y, "font-size", 11, "fill", "#333");
            width = Math.max(width, 16 + line.length() * 6.2 + 16);
        }
        svg.close("g");
        return y + 12;
    }

    /** The check's problems and the warnings, numbered as the badges are. */
    private double notes(double y) {
        svg.open("g", "class", "notes");
        List<Note> errors = map.notes().stream().filter(note -> note.severity() == Severity.ERROR).toList();
        List<Note> warnings = map.notes().stream().filter(note -> note.severity() == Severity.WARNING).toList();
        y += 16;
        if (errors.isEmpty()) {
            svg.text("text", "The check passed: no problems.", "class", "verdict", "x", 16.0, "y", y,
                    "font-size", 12, "font-weight", "bold", "fill", "#2e7d32");
        } else {
            svg.text("text", "The check failed (" + errors.size() + (errors.size() == 1 ? " problem" : " problems") + "):",
                    "class", "verdict", "x", 16.0, "y", y, "font-size", 12, "font-weight", "bold", "fill", RED);
        }
        for (Note note : errors) {
            y = noteLine(y + 16, note, RED);
        }
        if (!warnings.isEmpty()) {
            y += 22;
            svg.text("text", "Xen's layout in the way (not refused by the check):", "x", 16.0, "y", y,
                    "font-size", 12, "font-weight", "bold", "fill", "#9a6400");
            for (Note note : warnings) {
                y = noteLine(y + 16, note, "#9a6400");
            }
        }
        svg.close("g");
        return y;
    }

    private double noteLine(double y, Note note, String color) {
        String line = note.label() + "  " + note.text();
        svg.text("text", line, "class", "note " + note.severity().name().toLowerCase(java.util.Locale.ROOT),
                "data-label", note.label(), "x", 16.0, "y", y, "font-family", MONO, "font-size", 10, "fill", color,
                "xml:space", "preserve");
        width = Math.max(width, 16 + line.length() * MONO_CHAR + 16);
        return y;
    }

    /** Text cut to about {@code room} pixels at {@code charWidth} each, marked when cut. */
    private static String fit(String text, double room, double charWidth) {
        int fits = (int) (room / charWidth);
        if (text.length() <= fits) {
            return text;
        }
        return fits <= 1 ? "" : text.substring(0, fits - 1) + "\u2026";
    }
}
