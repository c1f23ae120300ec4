package org.xensshm.host;

import java.util.Objects;

/**
 * One entry of a xenstore node's permission list. As in xenstored, the first entry names the
 * owner and the access everybody else gets; later entries grant access to particular domains.
 */
public record XsPermission(int domid, Access access) {

    public enum Access {
        NONE('n'), READ('r'), WRITE('w'), BOTH('b');

        private final char letter;

        Access(char letter) {
            this.letter = letter;
        }

        /** The letter xenstore-ls and the wire protocol use. */
        public char letter() {
            return letter;
        }
    }

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
