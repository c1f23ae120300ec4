package org.xensshm.testkit.memory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.xensshm.host.Errno;
import org.xensshm.host.Store;
import org.xensshm.host.StoreTransaction;
import org.xensshm.host.StoreWatches;
import org.xensshm.host.WatchEvent;
import org.xensshm.host.XenCallException;
import org.xensshm.host.XsPermission;

/**
 * A xenstore in memory: a tree of string values with permission lists, and transactions that
 * commit or fail with a conflict. It follows C xenstored where the engine can tell the
 * difference: writes create missing parents, which inherit their parent's permissions; removing
 * a node removes its subtree; dom0 may do anything, other domains get what the permission list
 * grants (EACCES otherwise); malformed paths give EINVAL.
 *
 * <p>Transactions read a snapshot taken when they begin plus their own writes. A commit fails (and
 * applies nothing) when any node the transaction read, listed, wrote or removed, including nodes
 * it found absent, was changed by another commit after the transaction began. A node's child list
 * belongs to the node, so creating or removing a child changes the parent too. This is at least as
 * strict as xenstored, which compares generation counts of the nodes a transaction accessed.
 *
 * <p>Watches ({@link #watches()}) fire as xenstored's do: once when registered, then for every
 * committed change at or under their path, in commit order; the special paths
 * {@code @introduceDomain} and {@code @releaseDomain} fire when a test introduces or releases a
 * domain ({@link #introduceDomain}, {@link #releaseDomain}), as a toolstack tells xenstored.
 *
 * <p>The store starts with the root node only (owner dom0, no access for others); a test sets
 * up {@code /local/domain/<domid>} as a toolstack would. Thread-safe.
 */
public final class InMemoryStore implements Store {

    private static final int DOM0 = 0;
    /** XENSTORE_ABS_PATH_MAX. */
    private static final int MAX_PATH = 3072;
    /** XENSTORE_PAYLOAD_MAX: a write's path, NUL and value must fit in one message. */
    private static final int MAX_PAYLOAD = 4096;
    /** Pruning of change records starts past this many. */
    private static final int CHANGE_LOG_PRUNE_AT = 4096;

    private record Node(String value, List<XsPermission> permissions) {
    }

    private final Object lock = new Object();
    /** The committed tree, sorted by path. Never mutated once published: commits copy it. */
    private NavigableMap<String, Node> committed;
    /** Generation of the last commit; each commit increments it. */
    private long generation;
    /** Path -> generation of the commit that last created, changed or removed it. */
    private final Map<String, Long> lastChange = new HashMap<>();
    /** Start generations of open transactions (with multiplicity), for pruning lastChange. */
    private final TreeMap<Long, Integer> openStarts = new TreeMap<>();
    private final FaultCounter faults = new FaultCounter();
    private final List<Watches> watchConnections = new CopyOnWriteArrayList<>();
    /** Domains introduced and not released, as xenstored keeps them. */
    private final Set<Integer> introduced = new HashSet<>();
    /** Set once the watch connections were cut, as when xenstored dies. */
    private volatile XenCallException watchesLost;

    /** An empty store (the root node only). */
    public InMemoryStore() {
        NavigableMap<String, Node> root = new TreeMap<>();
        root.put("/", new Node("", List.of(new XsPermission(DOM0, XsPermission.Access.NONE))));
        committed = root;
    }

    @Override
    public StoreTransaction begin() {
        return connection(DOM0).begin();
    }

    @Override
    public String domainPath(int domid) {
        return "/local/domain/" + domid;
    }

    /**
     * This store as seen by a connection of {@code domid}: dom0 may do anything, other domains
     * are checked against each node's permission list like xenstored does.
     *
     * @param domid the connecting domain
     * @return the store, with that domain's rights
     */
    public Store connection(int domid) {
        if (domid < 0 || domid > 0xFFFF) {
            throw new IllegalArgumentException("domid out of range: " + domid);
        }
        return new Store() {
            @Override
            public StoreTransaction begin() {
                faults.count("xs_transaction_start", "");
                return new Tx(domid);
            }

            @Override
            public String domainPath(int d) {
                return InMemoryStore.this.domainPath(d);
            }
        };
    }

    /**
     * A connection for watches, as a service that waits for changes opens one.
     *
     * @return the connection; close it when done
     */
    public StoreWatches watches() {
        Watches connection = new Watches();
        watchConnections.add(connection);
        return connection;
    }

    /**
     * Tells the store a toolstack has built the domain (XS_INTRODUCE): fires
     * {@code @introduceDomain}, unless the domain is introduced already (xenstored then only
     * rebinds its event channel).
     *
     * @param domid the domain
     */
    public void introduceDomain(int domid) {
        if (domid <= 0) {
            throw new XenCallException("xs_introduce_domain", "domid=" + domid, Errno.EINVAL);
        }
        synchronized (lock) {
            if (introduced.add(domid)) {
                fire(StoreWatches.INTRODUCE_DOMAIN);
            }
        }
    }

    /**
     * Tells the store the domain is gone (XS_RELEASE): fires {@code @releaseDomain}. Returns
     * false, firing nothing, for a domain that is not introduced (xenstored's ENOENT).
     *
     * @param domid the domain
     * @return whether the domain was introduced
     */
    public boolean releaseDomain(int domid) {
        synchronized (lock) {
            if (!introduced.remove(domid)) {
                return false;
            }
            fire(StoreWatches.RELEASE_DOMAIN);
            return true;
        }
    }

    /**
     * Cuts every watch connection, open or opened later, as when xenstored dies: waiting for an
     * event fails with ECONNRESET from now on.
     */
    public void loseWatchConnections() {
        watchesLost = new XenCallException("xs_check_watch", "", Errno.ECONNRESET,
                "the connection to xenstored was lost (in-memory store cut)");
    }

    /** Fires every watch at or above {@code path} with the path changed; caller holds the lock. */
    private void fire(String path) {
        for (Watches connection : watchConnections) {
            connection.fire(path);
        }
    }

    /** One connection's watches and the events fired for them, oldest first. */
    private final class Watches implements StoreWatches {
        private final Map<String, List<String>> tokensByPath = new HashMap<>();
        private final LinkedBlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
        private volatile boolean closed;

        @Override
        public void watch(String path, String token) {
            checkOpen("xs_watch");
            if (!path.equals(StoreWatches.INTRODUCE_DOMAIN) && !path.equals(StoreWatches.RELEASE_DOMAIN)) {
                checkPath("xs_watch", path);
            }
            synchronized (lock) {
                List<String> tokens = tokensByPath.computeIfAbsent(path, p -> new ArrayList<>());
                if (tokens.contains(token)) {
                    // xenstored refuses the same path and token twice on one connection
                    throw new XenCallException("xs_watch", path + ", token=" + token, Errno.EEXIST);
                }
                tokens.add(token);
                events.add(new WatchEvent(path, token));
            }
        }

        @Override
        public void unwatch(String path, String token) {
            checkOpen("xs_unwatch");
            synchronized (lock) {
                List<String> tokens = tokensByPath.get(path);
                if (tokens == null || !tokens.remove(token)) {
                    throw new XenCallException("xs_unwatch", path + ", token=" + token, Errno.ENOENT);
                }
            }
        }

        @Override
        public Optional<WatchEvent> awaitEvent(Duration timeout) {
            checkOpen("xs_check_watch");
            try {
                WatchEvent event = events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
                checkOpen("xs_check_watch");
                return Optional.ofNullable(event);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }

        @Override
        public void close() {
            closed = true;
            watchConnections.remove(this);
        }

        /** Caller holds the store's lock, so events keep the order of the changes. */
        void fire(String changed) {
            tokensByPath.forEach((path, tokens) -> {
                if (changed.equals(path) || path.equals("/") && changed.startsWith("/")
                        || changed.startsWith(path + "/")) {
                    tokens.forEach(token -> events.add(new WatchEvent(changed, token)));
                }
            });
        }

        private void checkOpen(String call) {
            if (watchesLost != null) {
                throw watchesLost;
            }
            if (closed) {
                throw new XenCallException(call, "", Errno.EBADF, "the watch connection is closed");
            }
        }
    }

    /**
     * Every committed node with its value, sorted by path.
     *
     * @return the nodes
     */
    public SortedMap<String, String> dump() {
        NavigableMap<String, Node> tree;
        synchronized (lock) {
            tree = committed;
        }
        SortedMap<String, String> out = new TreeMap<>();
        tree.forEach((path, node) -> out.put(path, node.value()));
        return out;
    }

    /**
     * The {@code nth} store operation from now (1-based; any of begin, read, write, mkdir,
     * remove, list, setPermissions, permissions, commit) fails with {@code errno} and has no
     * effect. One pending fault; arming again replaces it.
     *
     * @param nth 1 for the next operation
     * @param errno the positive errno
     */
    public void failNthOperation(long nth, int errno) {
        faults.arm(nth, errno);
    }

    /** Drops the pending fault. */
    public void clearFaults() {
        faults.disarm();
    }

    /**
     * Store operations so far, failed ones included.
     *
     * @return their number
     */
    public long operationCount() {
        return faults.count();
    }

    private final class Tx implements StoreTransaction {
        private final int domid;
        private final long start;
        /** The snapshot, replaced by a private copy at the first change. */
        private NavigableMap<String, Node> view;
        private boolean copied;
        private final Set<String> accessed = new HashSet<>();
        private final Set<String> changed = new HashSet<>();
        private boolean finished;

        Tx(int domid) {
            this.domid = domid;
            synchronized (lock) {
                this.start = generation;
                this.view = committed;
                openStarts.merge(start, 1, Integer::sum);
            }
        }

        @Override
        public Optional<String> read(String path) {
            request("xs_read", path);
            accessed.add(path);
            Node node = view.get(path);
            if (node == null) {
                return Optional.empty();
            }
            require("xs_read", path, node, XsPermission.Access.READ);
            return Optional.of(node.value());
        }

        @Override
        public void write(String path, String value) {
            request("xs_write", path);
            if (path.getBytes(StandardCharsets.UTF_8).length + 1
                    + value.getBytes(StandardCharsets.UTF_8).length > MAX_PAYLOAD) {
                throw new XenCallException("xs_write", path, Errno.E2BIG);
            }
            Node node = view.get(path);
            accessed.add(path);
            if (node == null) {
                create("xs_write", path, value);
            } else {
                require("xs_write", path, node, XsPermission.Access.WRITE);
                change(path, new Node(value, node.permissions()));
            }
        }

        @Override
        public void mkdir(String path) {
            request("xs_mkdir", path);
            accessed.add(path);
            if (!view.containsKey(path)) {
                create("xs_mkdir", path, "");
            }
        }

        @Override
        public void remove(String path) {
            request("xs_rm", path);
            if (path.equals("/")) {
                throw new XenCallException("xs_rm", path, Errno.EINVAL, "the root cannot be removed");
            }
            accessed.add(path);
            Node node = view.get(path);
            if (node == null) {
                return;
            }
            require("xs_rm", path, node, XsPermission.Access.WRITE);
            List<String> doomed = new ArrayList<>(subtree(path).keySet());
            for (String p : doomed) {
                accessed.add(p);
                change(p, null);
            }
            String parent = parentOf(path);
            accessed.add(parent);
            changed.add(parent);
        }

        @Override
        public List<String> list(String path) {
            request("xs_directory", path);
            accessed.add(path);
            Node node = view.get(path);
            if (node == null) {
                return List.of();
            }
            require("xs_directory", path, node, XsPermission.Access.READ);
            String prefix = path.equals("/") ? "/" : path + "/";
            List<String> names = new ArrayList<>();
            for (String p : subtree(path).keySet()) {
                if (p.length() > prefix.length() && p.startsWith(prefix)
                        && p.indexOf('/', prefix.length()) < 0) {
                    names.add(p.substring(prefix.length()));
                }
            }
            return List.copyOf(names);
        }

        @Override
        public void setPermissions(String path, List<XsPermission> permissions) {
            request("xs_set_permissions", path);
            if (permissions.isEmpty()) {
                throw new XenCallException("xs_set_permissions", path, Errno.EINVAL, "empty permission list");
            }
            accessed.add(path);
            Node node = view.get(path);
            if (node == null) {
                throw new XenCallException("xs_set_permissions", path, Errno.ENOENT);
            }
            // xenstored lets only the node's owner (or a privileged domain) change its list.
            if (domid != DOM0 && node.permissions().getFirst().domid() != domid) {
                throw new XenCallException("xs_set_permissions", path, Errno.EACCES);
            }
            change(path, new Node(node.value(), List.copyOf(permissions)));
        }

        @Override
        public List<XsPermission> permissions(String path) {
            request("xs_get_permissions", path);
            accessed.add(path);
            Node node = view.get(path);
            if (node == null) {
                throw new XenCallException("xs_get_permissions", path, Errno.ENOENT);
            }
            require("xs_get_permissions", path, node, XsPermission.Access.READ);
            return node.permissions();
        }

        @Override
        public boolean commit() {
            faults.count("xs_transaction_end", "commit");
            checkOpen("xs_transaction_end", "commit");
            finished = true;
            synchronized (lock) {
                release();
                for (String path : accessed) {
                    if (lastChange.getOrDefault(path, 0L) > start) {
                        return false;
                    }
                }
                if (changed.isEmpty()) {
                    return true;
                }
                NavigableMap<String, Node> next = new TreeMap<>(committed);
                generation++;
                for (String path : changed) {
                    Node node = view.get(path);
                    if (node == null) {
                        next.remove(path);
                    } else {
                        next.put(path, node);
                    }
                    lastChange.put(path, generation);
                }
                committed = Collections.unmodifiableNavigableMap(next);
                pruneChangeLog();
                changed.stream().sorted().forEach(InMemoryStore.this::fire);
                return true;
            }
        }

        @Override
        public void close() {
            if (!finished) {
                finished = true;
                synchronized (lock) {
                    release();
                }
            }
        }

        private void release() {
            openStarts.computeIfPresent(start, (k, n) -> n == 1 ? null : n - 1);
        }

        /** Creates {@code path} and its missing ancestors, each inheriting its parent's list. */
        private void create(String call, String path, String value) {
            List<String> missing = new ArrayList<>();
            String existing = path;
            while (!view.containsKey(existing)) {
                missing.add(existing);
                existing = parentOf(existing);
            }
            Node parent = view.get(existing);
            require(call, path, parent, XsPermission.Access.WRITE);
            accessed.add(existing);
            changed.add(existing);
            List<XsPermission> inherited = parent.permissions();
            if (domid != DOM0) {
                // xenstored makes an unprivileged creator the owner of what it creates.
                List<XsPermission> owned = new ArrayList<>(inherited);
                owned.set(0, new XsPermission(domid, inherited.getFirst().access()));
                inherited = List.copyOf(owned);
            }
            for (String p : missing.reversed()) {
                accessed.add(p);
                change(p, new Node(p.equals(path) ? value : "", inherited));
            }
        }

        private void change(String path, Node node) {
            if (!copied) {
                view = new TreeMap<>(view);
                copied = true;
            }
            if (node == null) {
                view.remove(path);
            } else {
                view.put(path, node);
            }
            changed.add(path);
        }

        private SortedMap<String, Node> subtree(String path) {
            if (path.equals("/")) {
                return view;
            }
            // '/' + 1 == '0': every descendant sorts in [path + "/", path + "0").
            SortedMap<String, Node> under = view.subMap(path + "/", path + "0");
            SortedMap<String, Node> all = new TreeMap<>(under);
            Node self = view.get(path);
            if (self != null) {
                all.put(path, self);
            }
            return all;
        }

        private void require(String call, String path, Node node, XsPermission.Access wanted) {
            if (!allowed(node, wanted)) {
                throw new XenCallException(call, path, Errno.EACCES);
            }
        }

        private boolean allowed(Node node, XsPermission.Access wanted) {
            if (domid == DOM0) {
                return true;
            }
            List<XsPermission> perms = node.permissions();
            if (perms.getFirst().domid() == domid) {
                return true;
            }
            XsPermission.Access granted = perms.getFirst().access();
            for (XsPermission p : perms.subList(1, perms.size())) {
                if (p.domid() == domid) {
                    granted = p.access();
                    break;
                }
            }
            return granted == XsPermission.Access.BOTH || granted == wanted;
        }

        /** What every request on a path does first: count it for fault injection, then check it. */
        private void request(String call, String path) {
            faults.count(call, path);
            checkOpen(call, path);
            checkPath(call, path);
        }

        private void checkOpen(String call, String path) {
            if (finished) {
                throw new XenCallException(call, path, Errno.EINVAL, "transaction already finished");
            }
        }
    }

    private void pruneChangeLog() {
        if (lastChange.size() < CHANGE_LOG_PRUNE_AT) {
            return;
        }
        // A change matters only to transactions that began before it.
        long oldestOpen = openStarts.isEmpty() ? generation : openStarts.firstKey();
        lastChange.values().removeIf(changedAt -> changedAt <= oldestOpen);
    }

    /** xenstored's node name rules: absolute, no empty component, [A-Za-z0-9_@/-]. */
    static void checkPath(String call, String path) {
        boolean valid = path.startsWith("/") && path.length() <= MAX_PATH
                && (path.equals("/") || !path.endsWith("/")) && !path.contains("//");
        for (int i = 0; valid && i < path.length(); i++) {
            char c = path.charAt(i);
            valid = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '/' || c == '_' || c == '-' || c == '@';
        }
        if (!valid) {
            throw new XenCallException(call, path, Errno.EINVAL, "not a valid xenstore path");
        }
    }

    private static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash == 0 ? "/" : path.substring(0, slash);
    }
}
