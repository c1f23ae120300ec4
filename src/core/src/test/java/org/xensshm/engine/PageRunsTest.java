package org.xensshm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.xensshm.host.Errno;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class PageRunsTest {

    @Test
    void neighboursWithTheSameErrnoMerge() {
        PageRuns runs = new PageRuns();
        runs.add(0x10, Errno.EIO);
        runs.add(0x11, Errno.EIO);
        runs.add(0x12, Errno.EBUSY);
        runs.add(0x14, Errno.EBUSY);
        assertEquals(List.of(new PageRun(0x10, 2, Errno.EIO), new PageRun(0x12, 1, Errno.EBUSY),
                new PageRun(0x14, 1, Errno.EBUSY)), runs.runs());
        assertEquals(4, runs.pages());
        assertEquals("gfns 0x10-0x11: EIO, gfn 0x12: EBUSY, gfn 0x14: EBUSY", PageRuns.describe(runs.runs()));
        assertEquals("gfn 0x1: not attempted", new PageRun(1, 1, 0).toString());
    }

    @Property
    void runsDescribeExactlyThePagesAdded(@ForAll @Size(max = 60) List<@IntRange(min = 0, max = 3) Integer> steps,
                                          @ForAll @Size(max = 60) List<@IntRange(min = 1, max = 2) Integer> errnos) {
        PageRuns runs = new PageRuns();
        List<long[]> added = new ArrayList<>();
        long gfn = 0;
        for (int i = 0; i < steps.size(); i++) {
            gfn += steps.get(i);
            int errno = errnos.isEmpty() ? 1 : errnos.get(i % errnos.size());
            runs.add(gfn, errno);
            added.add(new long[] {gfn, errno});
        }
        List<long[]> expanded = new ArrayList<>();
        for (PageRun run : runs.runs()) {
            for (long g = run.firstGfn(); g < run.firstGfn() + run.count(); g++) {
                expanded.add(new long[] {g, run.errno()});
            }
        }
        assertEquals(added.size(), expanded.size());
        for (int i = 0; i < added.size(); i++) {
            assertEquals(added.get(i)[0], expanded.get(i)[0]);
            assertEquals(added.get(i)[1], expanded.get(i)[1]);
        }
        assertEquals(added.size(), runs.pages());
    }
}
