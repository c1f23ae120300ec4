package org.xensshm.devicetree;

import java.util.Arrays;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

/**
 * Writes device-tree source (.dts) that Debian's dtc compiles without warnings: nodes, string
 * properties and cell lists in hex, indented with tabs as the kernel's own .dts files are.
 */
final class Dts {

    private final StringBuilder out = new StringBuilder();
    private int depth;

    /** A source of its own, starting with the version header. */
    Dts() {
        this(true);
    }

    /** Without the header: text to append to a source that has one, as dtc allows it only first. */
    Dts(boolean header) {
        if (header) {
            out.append("/dts-v1/;\n");
        }
    }

    /** A {@code //} comment line; dtc reads line comments anywhere between tokens. */
    Dts comment(String text) {
        return line("// " + text.replaceAll("\\p{Cntrl}", " "));
    }

    Dts blank() {
        out.append('\n');
        return this;
    }

    Dts open(String node) {
        line(node + " {");
        depth++;
        return this;
    }

    Dts close() {
        depth--;
        return line("};");
    }

    /** An empty (boolean) property, e.g. {@code ranges;}. */
    Dts flag(String name) {
        return line(name + ";");
    }

    Dts string(String name, String value) {
        return line(name + " = \"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\";");
    }

    /** 32-bit cells; use {@link #u64} to split wider numbers. */
    Dts cells(String name, long... cells) {
        String list = Arrays.stream(cells).mapToObj(Dts::cell).collect(Collectors.joining(" "));
        return line(name + " = <" + list + ">;");
    }

    /** Numbers as two cells each, high then low: the layout of #address-cells = <2> and 64-bit values. */
    static long[] u64(long... values) {
        return LongStream.of(values).flatMap(value -> LongStream.of(split(value, 2))).toArray();
    }

    /** A number as {@code cells} 32-bit cells (1 or 2), most significant first. */
    static long[] split(long value, int cells) {
        if (!fits(value, cells)) {
            throw new IllegalArgumentException("0x" + Long.toHexString(value) + " does not fit in " + cells + " cell(s)");
        }
        return cells == 1 ? new long[] {value} : new long[] {value >>> 32, value & 0xFFFF_FFFFL};
    }

    /** Whether a number fits in {@code cells} 32-bit cells (1 or 2). */
    static boolean fits(long value, int cells) {
        return cells >= 2 || (value >>> 32) == 0;
    }

    /**
     * A node name made of the characters dtc accepts ({@code a-z A-Z 0-9 , . _ + -}), each other
     * character replaced by {@code -}.
     */
    static String nodeName(String text) {
        return text.replaceAll("[^A-Za-z0-9,._+-]", "-");
    }

    String text() {
        if (depth != 0) {
            throw new IllegalStateException(depth + " node(s) left open");
        }
        return out.toString();
    }

    private static String cell(long value) {
        if (value < 0 || value > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("not a 32-bit cell: 0x" + Long.toHexString(value));
        }
        return "0x" + Long.toHexString(value);
    }

    private Dts line(String text) {
        out.append("\t".repeat(depth)).append(text).append('\n');
        return this;
    }
}
