package org.xensshm.cli.picture;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.NavigableSet;
import java.util.TreeSet;

import org.xensshm.spec.ArmGuestLayout;

/**
 * The vertical axis every column shares, addresses growing downwards. Ranges in one domain differ
 * by orders of magnitude (a 4 KiB UART, 1 MiB shared regions, gigabytes of RAM), so the axis is in
 * pieces:
 * <ul>
 * <li>{@link Scale#TO_SCALE}: the stretches that hold shared regions and the parts of owners'
 *     regions that borrowers map, drawn linearly, so that offsets and sizes there can be compared
 *     by eye (each stretch has its own scale, written beside it);</li>
 * <li>{@link Scale#COMPRESSED}: between them, each band between two addresses some range starts
 *     or ends at gets a height that grows with the logarithm of its size;</li>
 * <li>{@link Scale#CUT}: a stretch with nothing to draw in any domain is cut out.</li>
 * </ul>
 */
final class AddressAxis {

    enum Scale { TO_SCALE, COMPRESSED, CUT }

    /** One stretch of the axis, {@code [begin, end)}, drawn from {@code top} down. */
    record Piece(long begin, long end, double top, double height, Scale scale) {

        double bottom() {
            return top + height;
        }

        double pixelsPerByte() {
            return height / (end - begin);
        }
    }

    static final long KIB = 1L << 10;
    static final long MIB = 1L << 20;
    static final double CUT_HEIGHT = 22;

    private final List<Piece> pieces;
    private final NavigableSet<Long> bounds;

    private AddressAxis(List<Piece> pieces, NavigableSet<Long> bounds) {
        this.pieces = List.copyOf(pieces);
        this.bounds = bounds;
    }

    /** The axis for a map, starting at {@code top} pixels. */
    static AddressAxis of(HostMap map, double top) {
        List<long[]> all = new ArrayList<>();
        List<long[]> detail = new ArrayList<>();
        TreeSet<Long> bounds = new TreeSet<>();
        for (HostMap.Column column : map.columns()) {
            for (HostMap.Band band : column.bands()) {
                all.add(new long[] {band.begin(), band.end()});
                if (band.kind().shared()) {
                    detail.add(new long[] {band.begin(), band.end()});
                }
            }
            if (ramStartOnly(map, column)) {
                bounds.add(ArmGuestLayout.RAM0_BASE);
            }
        }
        for (HostMap.Arrow arrow : map.arrows()) {
            all.add(new long[] {arrow.targetBegin(), arrow.targetEnd()});
            detail.add(new long[] {arrow.targetBegin(), arrow.targetEnd()});
        }
        map.marks().forEach(mark -> all.add(new long[] {mark.begin(), mark.end()}));
        all.forEach(range -> {
            bounds.add(range[0]);
            bounds.add(range[1]);
        });
        return new AddressAxis(pieces(bounds, all, clusters(detail), top), bounds);
    }

    /** Whether a column shows only where its RAM starts: Arm, and the config gives no memory. */
    static boolean ramStartOnly(HostMap map, HostMap.Column column) {
        return map.platform() == org.xensshm.spec.Platform.ARM && column.memoryBytes().isEmpty();
    }

    /**
     * The to-scale stretches: the detailed ranges, overlapping ones joined, and neighbours joined
     * when the gap between them is not much larger than they are and their sizes are alike, so a
     * handful of nearby regions share one scale.
     */
    private static List<long[]> clusters(List<long[]> detail) {
        List<long[]> sorted = new ArrayList<>(detail);
        sorted.sort(Comparator.comparingLong((long[] range) -> range[0]));
        List<long[]> clusters = new ArrayList<>();
        for (long[] range : sorted) {
            if (clusters.isEmpty()) {
                clusters.add(range.clone());
                continue;
            }
            long[] last = clusters.getLast();
            long lastSize = last[1] - last[0];
            long size = range[1] - range[0];
            boolean overlaps = range[0] <= last[1];
            boolean near = range[0] - last[1] <= 4 * Math.max(lastSize, size);
            boolean alike = Math.max(lastSize, size) / Math.min(lastSize, size) <= 256;
            if (overlaps || near && alike) {
                last[1] = Math.max(last[1], range[1]);
            } else {
                clusters.add(range.clone());
            }
        }
        return clusters;
    }

    private static List<Piece> pieces(NavigableSet<Long> bounds, List<long[]> ranges, List<long[]> clusters,
                                      double top) {
        List<Piece> pieces = new ArrayList<>();
        double y = top;
        Long begin = bounds.isEmpty() ? null : bounds.first();
        while (begin != null && bounds.higher(begin) != null) {
            long from = begin;
            long[] cluster = clusters.stream().filter(c -> c[0] <= from && from < c[1]).findFirst().orElse(null);
            Piece piece;
            if (cluster != null) {
                piece = new Piece(from, cluster[1], y, scaledHeight(cluster[1] - from), Scale.TO_SCALE);
            } else {
                long to = bounds.higher(from);
                boolean used = ranges.stream().anyMatch(range -> range[0] <= from && to <= range[1]);
                piece = new Piece(from, to, y, used ? compressedHeight(to - from) : CUT_HEIGHT,
                        used ? Scale.COMPRESSED : Scale.CUT);
            }
            pieces.add(piece);
            y = piece.bottom();
            begin = piece.end();
        }
        return pieces;
    }

    /** 1 MiB gets 200 px; each doubling 50 px more, within 100 and 480. */
    private static double scaledHeight(long size) {
        double height = 200 + 50 * log2((double) size / MIB);
        return Math.clamp(height, 100, 480);
    }

    /** A page gets 16 px, each doubling 5 px more: 1 MiB 56, 1 GiB 106. */
    static double compressedHeight(long size) {
        return 16 + 5 * Math.max(0, log2((double) size / (4 * KIB)));
    }

    private static double log2(double value) {
        return Math.log(value) / Math.log(2);
    }

    List<Piece> pieces() {
        return pieces;
    }

    /** Every address some range starts or ends at, lowest first. */
    NavigableSet<Long> bounds() {
        return bounds;
    }

    double top() {
        return pieces.isEmpty() ? 0 : pieces.getFirst().top();
    }

    double bottom() {
        return pieces.isEmpty() ? 0 : pieces.getLast().bottom();
    }

    /** Where an address is drawn; inside a piece, linearly between its ends. */
    double y(long address) {
        for (Piece piece : pieces) {
            if (address <= piece.end()) {
                if (address <= piece.begin()) {
                    return piece.top();
                }
                return piece.top() + piece.height() * ((double) (address - piece.begin()) / (piece.end() - piece.begin()));
            }
        }
        return bottom();
    }

    /** Whether the address starts a stretch that was cut out. */
    boolean cut(long address) {
        return pieces.stream().anyMatch(piece -> piece.begin() == address && piece.scale() == Scale.CUT);
    }

    /** A round size that a to-scale piece draws at least 20 px tall, for its scale label. */
    static long scaleUnit(Piece piece) {
        long unit = 4 * KIB;
        while (unit * piece.pixelsPerByte() < 20 && unit < Long.MAX_VALUE / 16) {
            unit *= 16;
        }
        return unit;
    }
}
