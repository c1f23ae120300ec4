package org.xensshm.e2e.dom0;

import java.util.SortedMap;
import java.util.TreeMap;

/**
 * xenstore as the C tools show it from dom0, independent of the library's own reading: the tier
 * compares what the engine promises with what {@code xenstore-ls} lists.
 */
final class XenstoreTree {

    private XenstoreTree() {
    }

    /** Every node below {@code path}, by full path, with its value; empty when {@code path} does not exist. */
    static SortedMap<String, String> below(String path) {
        SortedMap<String, String> nodes = new TreeMap<>();
        if (!exists(path)) {
            return nodes;
        }
        for (String line : Programs.run("xenstore-ls", "-f", path).orThrow().out().split("\n")) {
            int separator = line.indexOf(" = ");
            if (separator > 0) {
                String value = line.substring(separator + 3).strip();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                nodes.put(line.substring(0, separator), value);
            }
        }
        return nodes;
    }

    /** A node's permissions as {@code xenstore-ls -p} shows them, e.g. "n0,r5". */
    static String permissions(String path) {
        String parent = path.substring(0, path.lastIndexOf('/'));
        String name = path.substring(path.lastIndexOf('/') + 1);
        for (String line : Programs.run("xenstore-ls", "-p", parent).orThrow().out().split("\n")) {
            String trimmed = line.strip();
            int open = trimmed.lastIndexOf("(");
            if (trimmed.startsWith(name + " = ") && open > 0 && trimmed.endsWith(")")) {
                return trimmed.substring(open + 1, trimmed.length() - 1);
            }
        }
        return "no node " + path;
    }

    static boolean exists(String path) {
        return Programs.run("xenstore-exists", path).succeeded();
    }
}
