package org.xensshm.cli.output;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Left-aligned text columns, two spaces apart, under a heading row. */
public final class Table {

    private final List<String[]> rows = new ArrayList<>();

    public Table(String... headings) {
        rows.add(headings);
    }

    public Table row(Object... cells) {
        if (cells.length != rows.getFirst().length) {
            throw new IllegalArgumentException("expected " + rows.getFirst().length + " cells, got " + cells.length);
        }
        rows.add(Arrays.stream(cells).map(String::valueOf).toArray(String[]::new));
        return this;
    }

    public boolean isEmpty() {
        return rows.size() == 1;
    }

    /** Every row, each line starting with {@code indent} and ending with a newline. */
    public String render(String indent) {
        int columns = rows.getFirst().length;
        int[] widths = new int[columns];
        for (String[] row : rows) {
            for (int i = 0; i < columns; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder(indent);
            for (int i = 0; i < columns; i++) {
                line.append(i + 1 < columns ? String.format("%-" + widths[i] + "s  ", row[i]) : row[i]);
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }
}
