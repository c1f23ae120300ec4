package org.xensshm.engine;

import java.util.ArrayList;
import java.util.List;

/** Collects failed gfns as {@link PageRun}s, merging neighbours with the same errno. */
final class PageRuns {
    private final List<PageRun> runs = new ArrayList<>();
    private long pages;

    void add(long gfn, int errno) {
        pages++;
        if (!runs.isEmpty()) {
            PageRun last = runs.getLast();
            if (last.errno() == errno && last.firstGfn() + last.count() == gfn) {
                runs.set(runs.size() - 1, new PageRun(last.firstGfn(), last.count() + 1, errno));
                return;
            }
        }
        runs.add(new PageRun(gfn, 1, errno));
    }

    boolean isEmpty() {
        return runs.isEmpty();
    }

    long pages() {
        return pages;
    }

    List<PageRun> runs() {
        return List.copyOf(runs);
    }

    /** The runs for a message: all of them when few, else the first ones and a count. */
    static String describe(List<PageRun> runs) {
        int shown = Math.min(runs.size(), 8);
        String text = String.join(", ", runs.subList(0, shown).stream().map(PageRun::toString).toList());
        return shown == runs.size() ? text : text + " and " + (runs.size() - shown) + " more runs";
    }
}
