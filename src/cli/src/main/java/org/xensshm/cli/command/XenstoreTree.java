package org.xensshm.cli.command;

import java.util.ArrayList;
import java.util.List;

import org.xensshm.xen.XenStore;

/** A xenstore subtree as {@code path = "value"} lines, the way xenstore-ls -f shows it. */
final class XenstoreTree {

    private XenstoreTree() {
    }

    /** Every node under {@code root} (itself included) that holds a value or has no children. */
    static List<String> lines(XenStore store, String root) {
        List<String> lines = new ArrayList<>();
        walk(store, root, lines);
        return lines;
    }

    private static void walk(XenStore store, String path, List<String> lines) {
        String value = store.read(XenStore.NO_TRANSACTION, path).orElse(null);
        if (value == null) {
            return;
        }
        List<String> children = store.list(XenStore.NO_TRANSACTION, path);
        if (!value.isEmpty() || children.isEmpty()) {
            lines.add(path + " = \"" + value + "\"");
        }
        for (String child : children) {
            walk(store, path + "/" + child, lines);
        }
    }
}
