package org.xensshm.host;

import java.util.Objects;

/**
 * One entry of a xenstore node's permission list. As in xenstored, the first entry names the
 * owner and the access everybody else gets; later entries grant access to particular domains.
 *
 * @param domid the domain the entry is for; the first entry's is the node's owner
 * @param access what it may do
 */
public record XsPermission(int domid, Access access) {

    /** What a domain may do with a node. */
    public enum Access {
        /** No access (for the owner's entry: what every other domain gets). */
        NONE('n'),
        /** Read only. */
        READ('r'),
        /** Write only. */
        WRITE('w'),
        /** Read and write. */
        BOTH('b');

        private final char letter;

        Access(char letter) {
            this.letter = letter;
        }

        /**
         * The letter xenstore-ls and the wire protocol use.
         *
         * @return the letter xenstore uses for it
         */
        public char letter() {
            return letter;
        }
    }

    /** Checks that the domid is not negative and the access given. */
    public XsPermission {
        Objects.requireNonNull(access, "access");
        if (domid < 0 || domid > 0xFFFF) {
            throw new IllegalArgumentException("domid out of range: " + domid);
        }
    }

    @Override
    public String toString() {
        return access.letter() + Integer.toString(domid);
    }
}
