/**
 * A long-running service that sets up static shared memory while domains are created, as the
 * seed did inside libxl, without patching xl: {@link org.xensshm.watch.StaticShmWatcher} hears
 * xenstored announce domains ({@code @introduceDomain}) and their end ({@code @releaseDomain}),
 * attaches a new paused domain from its xl config and detaches a gone one, through the engine.
 * Its settings ({@link org.xensshm.watch.WatcherSettings}) and what it reports, one event at a
 * time ({@link org.xensshm.watch.WatcherEvent}).
 */
package org.xensshm.watch;
