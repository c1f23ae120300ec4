package org.xensshm.cli.picture;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.xensshm.cli.output.Hex;
import org.xensshm.cli.picture.HostMap.Arrow;
import org.xensshm.cli.picture.HostMap.Band;
import org.xensshm.cli.picture.HostMap.Column;
import org.xensshm.cli.picture.HostMap.Kind;
import org.xensshm.cli.picture.HostMap.Mark;
import org.xensshm.cli.picture.HostMap.Note;
import org.xensshm.cli.picture.HostMap.Severity;

/**
 * A {@link HostMap} as a Graphviz graph: one node per domain, a table whose rows run down the
 * domain's addresses (row heights follow the SVG's axis where their text leaves room), with cells
 * for Xen's layout, the shared regions, the owners' pages borrowers map and the problem marks, and
 * one edge per borrower window to the pages it maps. Render it with {@code dot -Tsvg}.
 */
public final class DotPicture {

    private static final String RED = SvgPicture.RED;
    private static final String AMBER = SvgPicture.AMBER;
    /** Graphviz sizes are in points; the SVG's axis in pixels. */
    private static final double POINTS_PER_PIXEL = 0.75;

    private final HostMap map;
    private final AddressAxis axis;

    private DotPicture(HostMap map) {
        this.map = map;
        this.axis = AddressAxis.of(map, 0);
    }

    /** The whole graph, in the DOT language. */
    public static String render(HostMap map) {
        return new DotPicture(map).draw();
    }

    /** One cell of a domain's table, spanning the rows of {@code [begin, end)}. */
    private record Cell(long begin, long end, String text, String color, String port, boolean dashed) {
    }

    private String draw() {
        StringBuilder dot = new StringBuilder();
        dot.append("// xen-sshm check --dot: guest-physical address maps; render with: dot -Tsvg FILE\n");
        dot.append("digraph host {\n");
        dot.append("  graph [rankdir=LR, nodesep=0.6, ranksep=1.2, fontname=\"DejaVu Sans\", labelloc=b, labeljust=l,\n");
        dot.append("         label=<").append(legend()).append(">];\n");
        dot.append("  node [shape=plain, fontname=\"DejaVu Sans\", fontsize=10];\n");
        dot.append("  edge [fontname=\"DejaVu Sans Mono\", fontsize=9];\n");
        for (int i = 0; i < map.columns().size(); i++) {
            dot.append("  ").append(node(i)).append(" [label=<").append(table(i)).append(">];\n");
        }
        // Domains left to right in the order the configs were given; the mappings do not reorder them.
        for (int i = 1; i < map.columns().size(); i++) {
            dot.append("  ").append(node(i - 1)).append(" -> ").append(node(i)).append(" [style=invis];\n");
        }
        for (int i = 0; i < map.arrows().size(); i++) {
            Arrow arrow = map.arrows().get(i);
            String color = arrow.broken() ? RED : "#444444";
            // Leave the window on the owner's side and reach the mapped part from the borrower's.
            boolean leftward = arrow.owner() <= arrow.borrower();
            dot.append("  ").append(node(arrow.borrower())).append(":\"").append(windowPort(arrow)).append("\":")
                    .append(leftward ? "w" : "e").append(" -> ").append(node(arrow.owner())).append(":\"")
                    .append(targetPort(i)).append("\":").append(leftward ? "e" : "w").append(" [constraint=false, ")
                    .append("color=\"").append(color).append("\", fontcolor=\"").append(color).append("\", label=\"")
                    .append(arrow.id()).append(" offset ").append(Hex.of(arrow.offset())).append("\", tooltip=\"")
                    .append(quoted(map.columns().get(arrow.borrower()).domain() + " maps "
                            + Hex.range(arrow.targetBegin(), arrow.targetEnd()) + " of "
                            + map.columns().get(arrow.owner()).domain() + " at "
                            + Hex.range(arrow.window().begin(), arrow.window().end())))
                    .append("\"];\n");
        }
        dot.append("}\n");
        return dot.toString();
    }

    private static String node(int column) {
        return "d" + column;
    }

    private static String windowPort(Arrow arrow) {
        return "s" + arrow.window().spec().orElseThrow();
    }

    private static String targetPort(int arrow) {
        return "t" + arrow;
    }

    /** The domain's table: a header, then one row per stretch of its addresses. */
    private String table(int index) {
        Column column = map.columns().get(index);
        List<List<Cell>> groups = new ArrayList<>();
        groups.add(layoutCells(column));
        groups.add(sharedCells(column));
        groups.add(targetCells(index));
        groups.add(markCells(index));
        List<List<Cell>> lanes = new ArrayList<>();
        for (List<Cell> group : groups) {
            lanes.addAll(lanes(group));
        }
        // Every table has the rows of the whole axis, so that Graphviz lines the domains up.
        List<long[]> rows = new ArrayList<>();
        Long previous = null;
        for (long bound : axis.bounds()) {
            if (previous != null) {
                rows.add(new long[] {previous, bound});
            }
            previous = bound;
        }
        StringBuilder table = new StringBuilder();
        table.append("<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"3\">");
        String memory = column.memoryBytes().isPresent() ? "memory = " + Units.size(column.memoryBytes().getAsLong())
                : "memory = not set";
        boolean domainError = column.notes().stream().anyMatch(this::isError);
        table.append("<TR><TD COLSPAN=\"").append(lanes.size() + 1).append("\" BORDER=\"0\"><FONT POINT-SIZE=\"13\"")
                .append(domainError ? " COLOR=\"" + RED + "\"" : "").append("><B>")
                .append(html(column.domain().isEmpty() ? "(unnamed)" : column.domain())).append("</B></FONT>")
                .append(column.notes().isEmpty() ? "" : " <FONT COLOR=\"" + RED + "\">[" + html(String.join(",",
                        column.notes())) + "]</FONT>")
                .append("<BR/><FONT POINT-SIZE=\"9\">").append(html(column.source() + " \u00b7 " + memory))
                .append("</FONT></TD></TR>");
        int[] spanLeft = new int[lanes.size()];
        for (long[] row : rows) {
            boolean used = !axis.cut(row[0]);
            double height = (axis.y(row[1]) - axis.y(row[0])) * POINTS_PER_PIXEL;
            table.append("<TR><TD ALIGN=\"RIGHT\" BORDER=\"0\" HEIGHT=\"")
                    .append(Math.round(height)).append("\"><FONT FACE=\"DejaVu Sans Mono\" POINT-SIZE=\"8\">")
                    .append(used ? Hex.of(row[0]) : "\u2248").append("</FONT></TD>");
            for (int lane = 0; lane < lanes.size(); lane++) {
                if (spanLeft[lane] > 0) {
                    spanLeft[lane]--;
                    continue;
                }
                Cell starting = lanes.get(lane).stream().filter(cell -> cell.begin() == row[0]).findFirst()
                        .orElse(null);
                if (starting == null) {
                    table.append("<TD BORDER=\"0\"></TD>");
                    continue;
                }
                int span = (int) rows.stream().filter(r -> covers(starting, r)).count();
                spanLeft[lane] = span - 1;
                table.append("<TD ROWSPAN=\"").append(span).append("\" BGCOLOR=\"").append(starting.color()).append('"')
                        .append(starting.port().isEmpty() ? "" : " PORT=\"" + starting.port() + "\"")
                        .append(starting.dashed() ? " STYLE=\"dashed\"" : "")
                        .append("><FONT POINT-SIZE=\"9\">").append(starting.text()).append("</FONT></TD>");
            }
            table.append("</TR>");
        }
        return table.append("</TABLE>").toString();
    }

    private static boolean covers(Cell cell, long[] row) {
        return cell.begin() <= row[0] && row[1] <= cell.end();
    }

    /** Cells of one group, each in the first lane where it overlaps nothing. */
    private static List<List<Cell>> lanes(List<Cell> cells) {
        List<List<Cell>> lanes = new ArrayList<>();
        List<Cell> sorted = new ArrayList<>(cells);
        sorted.sort(Comparator.comparingLong(Cell::begin));
        for (Cell cell : sorted) {
            List<Cell> free = lanes.stream().filter(lane -> lane.getLast().end() <= cell.begin()).findFirst()
                    .orElse(null);
            if (free == null) {
                free = new ArrayList<>();
                lanes.add(free);
            }
            free.add(cell);
        }
        return lanes;
    }

    private static List<Cell> layoutCells(Column column) {
        return column.bands().stream().filter(band -> !band.kind().shared())
                .map(band -> new Cell(band.begin(), band.end(), html(band.name()) + "<BR/>" + html(Units.size(band.size())),
                        band.kind() == Kind.RAM ? "#e6e6e6" : "#fff2c2", "", false))
                .toList();
    }

    private List<Cell> sharedCells(Column column) {
        return column.shared().stream().map(band -> new Cell(band.begin(), band.end(), sharedText(band),
                band.kind() == Kind.OWNER ? "#d5ecd4" : "#d4e3f5", "s" + band.spec().orElseThrow(), false)).toList();
    }

    private String sharedText(Band band) {
        StringBuilder text = new StringBuilder("<B>").append(html(band.name())).append("</B> ")
                .append(band.kind() == Kind.OWNER ? "owner" : "borrower");
        if (!band.notes().isEmpty()) {
            boolean error = band.notes().stream().anyMatch(this::isError);
            text.append(" <FONT COLOR=\"").append(error ? RED : AMBER).append("\"><B>[")
                    .append(html(String.join(",", band.notes()))).append("]</B></FONT>");
        }
        return text.append("<BR/>").append(html(Hex.range(band.begin(), band.end()))).append("<BR/>")
                .append(html(Units.size(band.size()))).toString();
    }

    private List<Cell> targetCells(int column) {
        List<Cell> cells = new ArrayList<>();
        for (int i = 0; i < map.arrows().size(); i++) {
            Arrow arrow = map.arrows().get(i);
            if (arrow.owner() == column) {
                cells.add(new Cell(arrow.targetBegin(), arrow.targetEnd(), "mapped by<BR/>"
                        + html(map.columns().get(arrow.borrower()).domain()), arrow.broken() ? "#f6c6c6" : "white",
                        targetPort(i), true));
            }
        }
        return cells;
    }

    private List<Cell> markCells(int column) {
        List<Cell> cells = new ArrayList<>();
        for (Mark mark : map.marks()) {
            if (mark.column() == column) {
                boolean error = mark.severity() == Severity.ERROR;
                cells.add(new Cell(mark.begin(), mark.end(), "<FONT COLOR=\"white\"><B>" + (error ? "error" : "warning")
                        + "</B></FONT>", error ? RED : AMBER, "", false));
            }
        }
        return cells;
    }

    private boolean isError(String label) {
        return map.notes().stream().anyMatch(note -> note.label().equals(label) && note.severity() == Severity.ERROR);
    }

    /** The scale and the notes, as the graph's label. */
    private String legend() {
        StringBuilder legend = new StringBuilder("<TABLE BORDER=\"0\" CELLSPACING=\"2\">");
        legend.append("<TR><TD ALIGN=\"LEFT\"><FONT POINT-SIZE=\"9\">Rows run down each domain's guest-physical"
                + " addresses; their heights follow the SVG picture's axis where their text leaves room: to scale"
                + " near the shared regions, growing with the logarithm of the size elsewhere; \u2248 is a stretch"
                + " the domain does not use. Edges: borrower window to the owner's pages it maps.</FONT></TD></TR>");
        List<Note> errors = map.notes().stream().filter(note -> note.severity() == Severity.ERROR).toList();
        legend.append("<TR><TD ALIGN=\"LEFT\"><FONT COLOR=\"").append(errors.isEmpty() ? "#2e7d32" : RED)
                .append("\"><B>").append(errors.isEmpty() ? "The check passed: no problems."
                        : "The check failed (" + errors.size() + (errors.size() == 1 ? " problem" : " problems") + "):")
                .append("</B></FONT></TD></TR>");
        for (Note note : map.notes()) {
            legend.append("<TR><TD ALIGN=\"LEFT\"><FONT FACE=\"DejaVu Sans Mono\" POINT-SIZE=\"9\" COLOR=\"")
                    .append(note.severity() == Severity.ERROR ? RED : "#9a6400").append("\">")
                    .append(html(note.label() + "  " + note.text())).append("</FONT></TD></TR>");
        }
        return legend.append("</TABLE>").toString();
    }

    /** Text inside an HTML-like label. */
    private static String html(String text) {
        return Svg.escape(text);
    }

    /** Text inside a double-quoted DOT string. */
    private static String quoted(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
