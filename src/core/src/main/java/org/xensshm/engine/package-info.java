/**
 * The engine: {@link org.xensshm.engine.StaticShmEngine} attaches and detaches a domain's regions,
 * all or nothing, records them in xenstore in the seed's layout, and reconciles what an
 * interrupted toolstack left behind. It works only through the seams of {@code org.xensshm.host},
 * so it runs the same over the native stack and in memory. Behind the small front, one class per
 * operation (attach, detach, reconcile) and one that reads and writes the records.
 */
package org.xensshm.engine;
