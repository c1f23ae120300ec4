package org.xensshm.testkit.memory;

import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The machine side of the in-memory hypervisor: pages with a reference count and an owner,
 * domains with a p2m, and how references move when pages are mapped, unmapped and domains
 * destroyed, as Xen 4.17 on Arm moves them (see the test kit's native XENSIM.md for the sources).
 * Not thread-safe; {@link InMemoryHypervisor} serialises every call.
 */
final class Frames {

    static final int PAGE_SIZE = 4096;

    /** A machine page: bytes allocated on first write, shared by every p2m entry naming it. */
    static final class Page {
        final Domain owner;
        /** The owner's allocation reference plus one per mapping that took one. */
        int references = 1;
        /** Whether the owner still holds its allocation reference (Xen's PGC_allocated). */
        boolean allocated = true;
        boolean free;
        private byte[] bytes;

        Page(Domain owner) {
            this.owner = owner;
        }

        byte[] bytes() {
            if (bytes == null) {
                bytes = new byte[PAGE_SIZE];
            }
            return bytes;
        }

        byte[] bytesIfWritten() {
            return bytes;
        }
    }

    /** A p2m entry: the domain's own RAM, or a mapping of another domain's page. */
    record Entry(Page page, boolean foreign) {
    }

    static final class Domain {
        final int domid;
        UUID handle;
        int target = -1;
        /** Domains that hold this one as their target: Xen keeps a reference on it for each. */
        int targetedBy;
        boolean dying;
        boolean shutdown;
        /** The toolstack's pause count (controller_pause_count): paused while above 0. */
        int pauseCount;
        /** Pages this domain owns that are not free; their number is its tot_pages. */
        final Set<Page> owned = Collections.newSetFromMap(new IdentityHashMap<>());
        long maxPages;
        final Map<Long, Entry> p2m = new HashMap<>();

        Domain(int domid, UUID handle, long maxPages) {
            this.domid = domid;
            this.handle = handle;
            this.maxPages = maxPages;
        }

        /** A destroyed domain goes once nothing references its pages or it. */
        boolean gone() {
            return dying && owned.isEmpty() && targetedBy == 0;
        }
    }

    /** Dropping a reference on a free page is what makes a debug Xen stop with an assertion. */
    static final class Panic extends RuntimeException {
        Panic(String message) {
            super(message);
        }
    }

    private final Map<Integer, Domain> domains;

    Frames(Map<Integer, Domain> domains) {
        this.domains = domains;
    }

    Page allocate(Domain owner) {
        Page page = new Page(owner);
        owner.owned.add(page);
        return page;
    }

    /** Takes one more reference on a page for a mapping. */
    void get(Page page) {
        page.references++;
    }

    /**
     * Drops one reference; at zero the page is freed: its owner's tot_pages goes down, whether or
     * not the owner's p2m still names it, and a dying owner with nothing left goes.
     */
    void put(Page page) {
        if (page.free) {
            throw new Panic("Assertion 'fdom != NULL' failed: a reference dropped on a free page of domain "
                    + page.owner.domid);
        }
        if (--page.references == 0) {
            page.free = true;
            page.allocated = false;
            page.owner.owned.remove(page);
            forgetIfGone(page.owner);
        }
    }

    /**
     * XEN_DOMCTL_destroydomain: the domain dies, its physmap is torn down (its RAM's allocation
     * references and its mappings' references dropped), the target it held is let go, and it
     * stays, dying, while anything still references its pages or it.
     */
    void destroy(Domain domain) {
        domain.dying = true;
        for (Entry entry : domain.p2m.values()) {
            if (entry.foreign()) {
                put(entry.page());
            }
        }
        domain.p2m.clear();
        for (Page page : List.copyOf(domain.owned)) {
            if (page.allocated) {
                page.allocated = false;
                put(page);
            }
        }
        if (domain.target >= 0) {
            Domain target = domains.get(domain.target);
            domain.target = -1;
            if (target != null) {
                target.targetedBy--;
                forgetIfGone(target);
            }
        }
        forgetIfGone(domain);
    }

    void forgetIfGone(Domain domain) {
        if (domain.gone()) {
            domains.remove(domain.domid, domain);
        }
    }
}
