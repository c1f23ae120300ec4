package org.xensshm.host;

/**
 * A fired xenstore watch: the path that changed and the token given when watching.
 *
 * @param path the node that changed, or the watched one when the watch was set
 * @param token the token given with the watch
 */
public record WatchEvent(String path, String token) {
}
