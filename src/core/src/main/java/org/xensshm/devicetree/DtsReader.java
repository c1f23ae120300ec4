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

    private final String text;
    private final String source;
    private final Node root = new Node("/");
    private final List<MemReserve> memReserves = new ArrayList<>();
    /** Each label's node, by path from the root. */
    private final Map<String, List<String>> labels = new HashMap<>();
    /** Labels written before a node name, waiting to learn which node they name. */
    private final List<String> labelPending = new ArrayList<>();
    private int position;

    private DtsReader(String text, String source) {
        this.text = text;
        this.source = source;
    }

    /**
     * @param source names the text in messages, e.g. its file name
     * @throws HostTreeException ({@link Reason#UNREADABLE}) naming the line at fault
     */
    static Tree read(String text, String source) {
        return new DtsReader(text, source).file();
    }

    private Tree file() {
        skipBlank();
        if (!take("/dts-v1/")) {
            throw unreadable("a device-tree source starts with /dts-v1/;");
        }
        expect(";");
        while (true) {
            skipBlank();
            if (atEnd()) {
                return new Tree(root, List.copyOf(memReserves));
            }
            topLevel();
        }
    }

    private void topLevel() {
        skipLabels();
        if (take("/dts-v1/")) {
            expect(";");
        } else if (take("/plugin/")) {
            throw unreadable("this is an overlay (/plugin/), not a host tree; apply it to the host tree first"
                    + " (fdtoverlay) and give the result");
        } else if (take("/memreserve/")) {
            long address = plainNumber();
            long size = plainNumber();
            expect(";");
            memReserves.add(new MemReserve(address, size));
        } else if (take("/delete-node/")) {
            List<String> path = reference();
            expect(";");
            delete(path);
        } else if (take("/omit-if-no-ref/")) {
            reference();
            expect(";");
        } else if (peek('&')) {
            List<String> path = reference();
            Node node = existing(path).orElseThrow(() -> unreadable("no node " + String.join("/", path)
                    + " to extend"));
            body(node, path);
            expect(";");
        } else if (take("/")) {
            body(root, List.of());
            expect(";");
        } else {
            throw unreadable("expected a node (/ { ... };), a /memreserve/ or a &label block");
        }
    }

    /** The contents of a node, from its '{' to its '}'. */
    private void body(Node node, List<String> path) {
        expect("{");
        while (true) {
            skipBlank();
            if (take("}")) {
                return;
            }
            if (take("/delete-property/")) {
                node.properties.remove(name());
                expect(";");
                continue;
            }
            if (take("/delete-node/")) {
                node.children.remove(name());
                expect(";");
                continue;
            }
            readLabels();
            take("/omit-if-no-ref/");
            skipBlank();
            String name = name();
            skipBlank();
            if (peek('{')) {
                Node child = node.children.computeIfAbsent(name, Node::new);
                List<String> childPath = append(path, name);
                labelPending.forEach(label -> labels.put(label, childPath));
                labelPending.clear();
                body(child, childPath);
                expect(";");
            } else {
                labelPending.clear();
                node.properties.put(name, take("=") ? value() : new Value(List.of()));
                expect(";");
            }
        }
    }

    /** {@code label:} words before a node or property name, into {@link #labelPending}. */
    private void readLabels() {
        while (true) {
            skipBlank();
            int start = position;
            if (atEnd() || !isNameChar(text.charAt(position))) {
                return;
            }
            String word = name();
            if (!take(":")) {
                position = start;
                return;
            }
            labelPending.add(word);
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
            skipValueLabels();
            pieces.add(piece());
            skipValueLabels();
        } while (take(","));
        return new Value(pieces);
    }

    private Value.Piece piece() {
        skipBlank();
        if (peek('"')) {
            return new Value.Text(string());
        }
        if (take("/bits/")) {
            long bits = plainNumber();
            if (bits != 8 && bits != 16 && bits != 32 && bits != 64) {
                throw unreadable("/bits/ must be 8, 16, 32 or 64, not " + bits);
            }
            skipBlank();
            return cellList((int) bits);
        }
        if (peek('<')) {
            return cellList(32);
        }
        if (take("[")) {
            int count = 0;
            while (true) {
                skipBlank();
                if (take("]")) {
                    return new Value.Bytes(count);
                }
                int start = position;
                while (!atEnd() && isHex(text.charAt(position))) {
                    position++;
                }
                int digits = position - start;
                if (digits == 0 || digits % 2 != 0) {
                    throw unreadable("a byte string holds pairs of hex digits");
                }
                count += digits / 2;
            }
        }
        if (peek('&')) {
            return new Value.Reference("/" + String.join("/", reference()));
        }
        if (take("/incbin/")) {
            throw unreadable("/incbin/ reads another file; give a tree without it (dtc -O dts flattens it)");
        }
        throw unreadable("expected a property value: \"string\", <cells>, [bytes] or &label");
    }

    private Value.CellList cellList(int bits) {
        expect("<");
        List<OptionalLong> cells = new ArrayList<>();
        while (true) {
            skipBlank();
            if (take(">")) {
                return new Value.CellList(bits, cells);
            }
            if (atEnd()) {
                throw unreadable("a cell list is not closed with '>'");
            }
            char c = text.charAt(position);
            if (c == '&') {
                reference();
                cells.add(OptionalLong.empty());
            } else if (c == '(') {
                skipExpression();
                cells.add(OptionalLong.empty());
            } else if (c == '\'') {
                cells.add(OptionalLong.of(character()));
            } else if (Character.isDigit(c)) {
                cells.add(OptionalLong.of(number()));
            } else if (isNameChar(c) && labelAhead()) {
                name();
                expect(":");
            } else {
                throw unreadable("unexpected '" + c + "' in a cell list");
            }
        }
    }

    private void skipValueLabels() {
        while (true) {
            skipBlank();
            int start = position;
            if (atEnd() || !isNameChar(text.charAt(position)) || text.charAt(position) == '/') {
                return;
            }
            name();
            if (!take(":")) {
                position = start;
                return;
            }
        }
    }

    private boolean labelAhead() {
        int at = position;
        while (at < text.length() && isNameChar(text.charAt(at))) {
            at++;
        }
        return at < text.length() && text.charAt(at) == ':';
    }

    /** A parenthesised expression, skipped whole: its value is never needed here. */
    private void skipExpression() {
        int depth = 0;
        do {
            if (atEnd()) {
                throw unreadable("an expression is not closed with ')'");
            }
            char c = text.charAt(position++);
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            }
        } while (depth > 0);
    }

    /** {@code &label} or {@code &{/path}}, as the path of the node it names. */
    private List<String> reference() {
        expect("&");
        if (take("{")) {
            int start = position;
            int end = text.indexOf('}', start);
            if (end < 0) {
                throw unreadable("&{ without its }");
            }
            position = end + 1;
            String path = text.substring(start, end).strip();
            if (!path.startsWith("/")) {
                throw unreadable("&{" + path + "} is not a path from the root");
            }
            return path.equals("/") ? List.of() : List.of(path.substring(1).split("/"));
        }
        int start = position;
        while (!atEnd() && (Character.isLetterOrDigit(text.charAt(position)) || text.charAt(position) == '_')) {
            position++;
        }
        String label = text.substring(start, position);
        List<String> path = labels.get(label);
        if (path == null) {
            throw unreadable("no label " + label + " defined before it is used");
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
            throw unreadable("the root node cannot be deleted");
        }
        existing(path.subList(0, path.size() - 1)).ifPresent(parent -> parent.children.remove(path.getLast()));
    }

    private static List<String> append(List<String> path, String name) {
        List<String> longer = new ArrayList<>(path);
        longer.add(name);
        return List.copyOf(longer);
    }

    private String name() {
        skipBlank();
        int start = position;
        while (!atEnd() && isNameChar(text.charAt(position))) {
            position++;
        }
        if (start == position) {
            throw unreadable(atEnd() ? "the source ends inside a node" : "unexpected '" + text.charAt(position) + "'");
        }
        String name = text.substring(start, position);
        if (name.startsWith("#") && PREPROCESSOR.contains(name.substring(1))) {
            throw unreadable(name + " is a C preprocessor directive; run the source through cpp first"
                    + " (or give dtc's own output: dtc -I dts -O dts)");
        }
        return name;
    }

    private static final List<String> PREPROCESSOR = List.of("include", "define", "undef", "if", "ifdef", "ifndef",
            "elif", "else", "endif", "error", "pragma", "line");

    /** Node and property names, labels, and what dtc reads as one literal. */
    private static boolean isNameChar(char c) {
        return Character.isLetterOrDigit(c) || ",._+*#?@-".indexOf(c) >= 0;
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0;
    }

    private String string() {
        expect("\"");
        StringBuilder out = new StringBuilder();
        while (true) {
            if (atEnd()) {
                throw unreadable("a string is not closed");
            }
            char c = text.charAt(position++);
            if (c == '"') {
                return out.toString();
            }
            if (c == '\\' && !atEnd()) {
                char escaped = text.charAt(position++);
                out.append(switch (escaped) {
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    case '0' -> '\0';
                    default -> escaped;
                });
            } else {
                out.append(c);
            }
        }
    }

    private long character() {
        expect("'");
        if (atEnd()) {
            throw unreadable("a character literal is not closed");
        }
        char c = text.charAt(position++);
        if (c == '\\' && !atEnd()) {
            position++;
        }
        expect("'");
        return c;
    }

    /** A number where only a plain number may stand, e.g. in /memreserve/ or /bits/. */
    private long plainNumber() {
        skipBlank();
        if (atEnd() || !Character.isDigit(text.charAt(position))) {
            throw unreadable("expected a number");
        }
        return number();
    }

    /** dtc's integer literals: decimal, 0x-hex or 0-octal, with an optional U/L suffix. */
    private long number() {
        int start = position;
        while (!atEnd() && (Character.isLetterOrDigit(text.charAt(position)))) {
            position++;
        }
        String literal = text.substring(start, position).replaceAll("[uUlL]+$", "");
        try {
            if (literal.startsWith("0x") || literal.startsWith("0X")) {
                return Long.parseUnsignedLong(literal.substring(2), 16);
            }
            if (literal.length() > 1 && literal.startsWith("0")) {
                return Long.parseUnsignedLong(literal.substring(1), 8);
            }
            return Long.parseUnsignedLong(literal);
        } catch (NumberFormatException e) {
            throw unreadable("'" + literal + "' is not a number");
        }
    }

    private void skipBlank() {
        while (!atEnd()) {
            char c = text.charAt(position);
            if (Character.isWhitespace(c)) {
                position++;
            } else if (text.startsWith("//", position)) {
                int end = text.indexOf('\n', position);
                position = end < 0 ? text.length() : end + 1;
            } else if (text.startsWith("/*", position)) {
                int end = text.indexOf("*/", position + 2);
                if (end < 0) {
                    throw unreadable("a /* comment is not closed");
                }
                position = end + 2;
            } else {
                return;
            }
        }
    }

    private boolean take(String token) {
        skipBlank();
        if (text.startsWith(token, position)) {
            position += token.length();
            return true;
        }
        return false;
    }

    private boolean peek(char c) {
        skipBlank();
        return !atEnd() && text.charAt(position) == c;
    }

    private void expect(String token) {
        if (!take(token)) {
            throw unreadable("expected '" + token + "'");
        }
    }

    private boolean atEnd() {
        return position >= text.length();
    }

    private HostTreeException unreadable(String message) {
        int line = 1;
        for (int i = 0; i < Math.min(position, text.length()); i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return new HostTreeException(Reason.UNREADABLE, source + ":" + line + ": " + message);
    }
}
