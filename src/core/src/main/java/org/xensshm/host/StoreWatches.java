package org.xensshm.host;

import java.time.Duration;
import java.util.Optional;

/**
 * Xenstore watches on a connection of their own, for a toolstack service that waits for changes:
 * xenstored fires a registered watch once when it is registered, then whenever a node at or
 * under its path changes. Two special paths fire for domains instead of nodes:
 * {@link #INTRODUCE_DOMAIN} when a toolstack introduces a domain it has built, and
 * {@link #RELEASE_DOMAIN} when a domain is released (destroyed, or dying) or shuts down. Neither
 * says which domain; the watcher compares what it knows with what exists.
 *
 * <p>Implemented over libxenstore and in memory. One thread waits on a connection; closing it
 * drops its watches.
 */
public interface StoreWatches extends AutoCloseable {

    /** Fires when a toolstack introduces a new domain to xenstored (XS_INTRODUCE). */
    String INTRODUCE_DOMAIN = "@introduceDomain";

    /** Fires when a domain is released from xenstored, dies, or shuts down. */
    String RELEASE_DOMAIN = "@releaseDomain";

    /**
     * Registers a watch on {@code path} (a node path or one of the special paths); its events
     * carry {@code token}.
     *
     * @param path  the node, or {@code @introduceDomain} / {@code @releaseDomain}
     * @param token given back with each event
     * @throws XenCallException when xenstored refuses it or the connection is lost
     */
    void watch(String path, String token);

    /**
     * Removes a watch, so that the connection may watch the same path with the same token again.
     *
     * @param path  the watched node or special path
     * @param token the token it was set with
     * @throws XenCallException when xenstored has no such watch (ENOENT) or the connection is lost
     */
    void unwatch(String path, String token);

    /**
     * The next fired watch, waiting at most {@code timeout} for one; empty when none fired in that
     * time. Events come in the order they fired; xenstored merges none, so a burst of changes
     * gives a burst of events.
     *
     * @param timeout how long to wait
     * @return the event, or empty when none fired in time
     * @throws XenCallException when the connection to xenstored is lost (the daemon stopped or
     *                          died): no event will ever come on this connection
     */
    Optional<WatchEvent> awaitEvent(Duration timeout);

    /** Closes the connection and its watches. */
    @Override
    void close();
}
