package org.xensshm.devicetree;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import org.xensshm.devicetree.HostTreeException.Reason;

/**
 * Reads device-tree source (.dts, version 1) into one tree of nodes, applying what dtc applies:
 * blocks of the same path merged in order, later properties winning, {@code &label} and
 * {@code &{/path}} blocks, {@code /delete-node/} and {@code /delete-property/}. Property values are
 * kept as strings, 32-bit (or {@code /bits/}) cell lists and byte counts; cells that are phandle
 * references or expressions are kept as unknown numbers, since only plain numbers are ever read.
 *
 * <p>What needs the C preprocessor or other files ({@code #include}, {@code /include/},
 * {@code /incbin/}) and overlays ({@code /plugin/}) are refused: such a source is first turned into
 * one plain tree with {@code cpp} and {@code dtc -O dts}.
 */
final class DtsReader {

    /** One node of the merged tree. */
    static final class Node {
        final String name;
        final Map<String, Value> properties = new LinkedHashMap<>();
        final Map<String, Node> children = new LinkedHashMap<>();

        Node(String name) {
            this.name = name;
        }

        Optional<Node> child(String childName) {
            return Optional.ofNullable(children.get(childName));
        }

        Optional<Value> property(String property) {
            return Optional.ofNullable(properties.get(property));
        }

        /** A one-cell property as a number, when it is one plain number. */
        OptionalLong number(String property) {
            return property(property).flatMap(Value::cells)
                    .filter(cells -> cells.length == 1)
                    .map(cells -> OptionalLong.of(cells[0]))
                    .orElse(OptionalLong.empty());
        }

        List<String> strings(String property) {
            return property(property).map(Value::strings).orElse(List.of());
        }
    }

    /** A property's value: its pieces in order. */
    record Value(List<Piece> pieces) {

        sealed interface Piece {
        }

        record Text(String text) implements Piece {
        }

        /** A {@code <...>} list; an empty element is a cell that is not a plain number. */
        record CellList(int bits, List<OptionalLong> cells) implements Piece {
        }

        record Bytes(int count) implements Piece {
        }

        /** A bare {@code &label} or {@code &{/path}}: the path as a string. */
        record Reference(String target) implements Piece {
        }

        Value {
            pieces = List.copyOf(pieces);
        }

        /**
         * The strings of a string (list) property; empty if any piece is not a string. A NUL inside
         * a string separates two, as dtc writes string lists it decompiled.
         */
        List<String> strings() {
            List<String> strings = new ArrayList<>();
            for (Piece piece : pieces) {
                if (!(piece instanceof Text(String text))) {
                    return List.of();
                }
                strings.addAll(List.of(text.split("\0", -1)));
            }
            return strings;
        }

        /** The cells of a property made of 32-bit cell lists of plain numbers only. */
        Optional<long[]> cells() {
            List<Long> all = new ArrayList<>();
            for (Piece piece : pieces) {
                if (!(piece instanceof CellList(int bits, List<OptionalLong> cells)) || bits != 32) {
                    return Optional.empty();
                }
                for (OptionalLong cell : cells) {
                    if (cell.isEmpty()) {
                        return Optional.empty();
                    }
                    all.add(cell.getAsLong());
                }
            }
            return pieces.isEmpty() ? Optional.empty() : Optional.of(all.stream().mapToLong(Long::longValue).toArray());
        }
    }

    /** Ranges from {@code /memreserve/} entries, which live outside the tree. */
    record MemReserve(long address, long size) {
    }

    /** The tree and the reserved ranges of one source. */
    record Tree(Node root, List<MemReserve> memReserves) {
    }

    private final DtsLexer lexer;
    private final Node root = new Node("/");
    private final List<MemReserve> memReserves = new ArrayList<>();
    /** Each label's node, by path from the root. */
    private final Map<String, List<String>> labels = new HashMap<>();
    /** Labels written before a node name, waiting to learn which node they name. */
    private final List<String> labelPending = new ArrayList<>();

    private DtsReader(String text, String source) {
        this.lexer = new DtsLexer(text, source);
    }

    /**
     * @param source names the text in messages, e.g. its file name
     * @throws HostTreeException ({@link Reason#UNREADABLE}) naming the line at fault
     */
    static Tree read(String text, String source) {
        return new DtsReader(text, source).file();
    }

    private Tree file() {
        lexer.skipBlank();
        if (!lexer.take("/dts-v1/")) {
            throw lexer.unreadable("a device-tree source starts with /dts-v1/;");
        }
        lexer.expect(";");
        while (true) {
            lexer.skipBlank();
            if (lexer.atEnd()) {
                return new Tree(root, List.copyOf(memReserves));
            }
            topLevel();
        }
    }

    private void topLevel() {
        skipLabels();
        if (lexer.take("/dts-v1/")) {
            lexer.expect(";");
        } else if (lexer.take("/plugin/")) {
            throw lexer.unreadable("this is an overlay (/plugin/), not a host tree; apply it to the host tree first"
                    + " (fdtoverlay) and give the result");
        } else if (lexer.take("/memreserve/")) {
            long address = lexer.plainNumber();
            long size = lexer.plainNumber();
            lexer.expect(";");
            memReserves.add(new MemReserve(address, size));
        } else if (lexer.take("/delete-node/")) {
            List<String> path = reference();
            lexer.expect(";");
            delete(path);
        } else if (lexer.take("/omit-if-no-ref/")) {
            reference();
            lexer.expect(";");
        } else if (lexer.peek('&')) {
            List<String> path = reference();
            Node node = existing(path).orElseThrow(() -> lexer.unreadable("no node " + String.join("/", path)
                    + " to extend"));
            body(node, path);
            lexer.expect(";");
        } else if (lexer.take("/")) {
            body(root, List.of());
            lexer.expect(";");
        } else {
            throw lexer.unreadable("expected a node (/ { ... };), a /memreserve/ or a &label block");
        }
    }

    /** The contents of a node, from its '{' to its '}'. */
    private void body(Node node, List<String> path) {
        lexer.expect("{");
        while (true) {
            lexer.skipBlank();
            if (lexer.take("}")) {
                return;
            }
            if (lexer.take("/delete-property/")) {
                node.properties.remove(lexer.name());
                lexer.expect(";");
                continue;
            }
            if (lexer.take("/delete-node/")) {
                node.children.remove(lexer.name());
                lexer.expect(";");
                continue;
            }
            readLabels();
            lexer.take("/omit-if-no-ref/");
            lexer.skipBlank();
            String name = lexer.name();
            lexer.skipBlank();
            if (lexer.peek('{')) {
                Node child = node.children.computeIfAbsent(name, Node::new);
                List<String> childPath = append(path, name);
                labelPending.forEach(label -> labels.put(label, childPath));
                labelPending.clear();
                body(child, childPath);
                lexer.expect(";");
            } else {
                labelPending.clear();
                node.properties.put(name, lexer.take("=") ? value() : new Value(List.of()));
                lexer.expect(";");
            }
        }
    }

    /** {@code label:} words before a node or property name, into {@link #labelPending}. */
    private void readLabels() {
        for (Optional<String> label = lexer.label(); label.isPresent(); label = lexer.label()) {
            labelPending.add(label.get());
        }
    }

    /** Labels before a top-level item: they can only name the root or a memreserve. */
    private void skipLabels() {
        readLabels();
        labelPending.forEach(label -> labels.put(label, List.of()));
        labelPending.clear();
    }

    private Value value() {
        List<Value.Piece> pieces = new ArrayList<>();
        do {
            lexer.skipValueLabels();
            pieces.add(piece());
            lexer.skipValueLabels();
        } while (lexer.take(","));
        return new Value(pieces);
    }

    private Value.Piece piece() {
        lexer.skipBlank();
        if (lexer.peek('"')) {
            return new Value.Text(lexer.string());
        }
        if (lexer.take("/bits/")) {
            long bits = lexer.plainNumber();
            if (bits != 8 && bits != 16 && bits != 32 && bits != 64) {
                throw lexer.unreadable("/bits/ must be 8, 16, 32 or 64, not " + bits);
            }
            lexer.skipBlank();
            return cellList((int) bits);
        }
        if (lexer.peek('<')) {
            return cellList(32);
        }
        if (lexer.take("[")) {
            return new Value.Bytes(lexer.byteCount());
        }
        if (lexer.peek('&')) {
            return new Value.Reference("/" + String.join("/", reference()));
        }
        if (lexer.take("/incbin/")) {
            throw lexer.unreadable("/incbin/ reads another file; give a tree without it (dtc -O dts flattens it)");
        }
        throw lexer.unreadable("expected a property value: \"string\", <cells>, [bytes] or &label");
    }

    private Value.CellList cellList(int bits) {
        lexer.expect("<");
        List<OptionalLong> cells = new ArrayList<>();
        while (true) {
            lexer.skipBlank();
            if (lexer.take(">")) {
                return new Value.CellList(bits, cells);
            }
            if (lexer.atEnd()) {
                throw lexer.unreadable("a cell list is not closed with '>'");
            }
            char c = lexer.current();
            if (c == '&') {
                reference();
                cells.add(OptionalLong.empty());
            } else if (c == '(') {
                lexer.skipExpression();
                cells.add(OptionalLong.empty());
            } else if (c == '\'') {
                cells.add(OptionalLong.of(lexer.character()));
            } else if (Character.isDigit(c)) {
                cells.add(OptionalLong.of(lexer.number()));
            } else if (!lexer.skipCellLabel()) {
                throw lexer.unreadable("unexpected '" + c + "' in a cell list");
            }
        }
    }

    /** {@code &label} or {@code &{/path}}, as the path of the node it names. */
    private List<String> reference() {
        lexer.expect("&");
        if (lexer.take("{")) {
            return lexer.bracedPath();
        }
        String label = lexer.referencedLabel();
        List<String> path = labels.get(label);
        if (path == null) {
            throw lexer.unreadable("no label " + label + " defined before it is used");
        }
        return path;
    }

    private Optional<Node> existing(List<String> path) {
        Node node = root;
        for (String step : path) {
            node = node.children.get(step);
            if (node == null) {
                return Optional.empty();
            }
        }
        return Optional.of(node);
    }

    private void delete(List<String> path) {
        if (path.isEmpty()) {
            throw lexer.unreadable("the root node cannot be deleted");
        }
        existing(path.subList(0, path.size() - 1)).ifPresent(parent -> parent.children.remove(path.getLast()));
    }

    private static List<String> append(List<String> path, String name) {
        List<String> longer = new ArrayList<>(path);
        longer.add(name);
        return List.copyOf(longer);
    }
}
