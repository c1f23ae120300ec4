package org.xensshm.host;

/** A fired xenstore watch: the path that changed and the token given when watching. */
public record WatchEvent(String path, String token) {
}
