package org.xensshm.engine;

import java.util.List;
import java.util.Objects;

import org.xensshm.host.MapSpace;
import org.xensshm.spec.PageRange;
import org.xensshm.spec.SshmSpec;

/**
 * What {@link StaticShmEngine#attach} did, as it knew it when the attach committed: every region
 * the domain now shares, and for each borrowed one whose pages it maps.
 *
 * @param domid    the domain attached
 * @param mapSpace how borrowed pages were mapped
 * @param regions  in the order of the specs
 */
public record AttachReport(int domid, MapSpace mapSpace, List<Region> regions) {

    /** Copies the regions; the map space must be given. */
    public AttachReport {
        Objects.requireNonNull(mapSpace, "mapSpace");
        regions = List.copyOf(regions);
    }

    /**
     * The pages mapped into the domain, over all its borrowed regions.
     *
     * @return the sum of the regions' pages
     */
    public long pagesMapped() {
        return regions.stream().mapToLong(Region::pagesMapped).sum();
    }

    /** One region of the attach. */
    public sealed interface Region permits Offered, Mapped {
        /**
         * The domain's spec for the region.
         *
         * @return the spec
         */
        SshmSpec spec();

        /**
         * Pages mapped into the domain for this region: none for an owner.
         *
         * @return how many pages the attach mapped for this region
         */
        long pagesMapped();
    }

    /**
     * A region the domain owns, recorded for borrowers to find.
     *
     * @param spec the owner's spec
     */
    public record Offered(SshmSpec spec) implements Region {
        @Override
        public long pagesMapped() {
            return 0;
        }
    }

    /**
     * A region the domain borrows: the owner's frames {@code ownerPages} now appear at the
     * domain's own frames {@code spec().pages()}.
     *
     * @param spec the borrower's spec
     * @param owner the owning domain's id
     * @param ownerPages the owner's frames that were mapped
     */
    public record Mapped(SshmSpec spec, int owner, PageRange ownerPages) implements Region {
        @Override
        public long pagesMapped() {
            return ownerPages.count();
        }
    }
}
