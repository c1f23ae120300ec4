package org.xensshm.watch;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

import org.xensshm.engine.EngineSettings;

/**
 * How a {@link StaticShmWatcher} works.
 *
 * @param configDirectory where the xl configs are: a domain named {@code vm1} in xenstore is set
 *                        up from {@code vm1.cfg} there
 * @param engine          how the engine maps borrowed pages (map space, trusted borrowers, ...)
 * @param unpause         unpause a domain once its regions are attached (what {@code xl unpause}
 *                        does after {@code xl create -p}); off by default
 * @param allowRunning    attach a domain that already runs, whose guest then sees its regions
 *                        appear under it, instead of refusing it; off by default
 * @param pollInterval    the longest one wait for a xenstore event lasts, hence the longest a
 *                        request to stop or a lost xenstored goes unnoticed; 250 ms by default
 */
public record WatcherSettings(Path configDirectory, EngineSettings engine, boolean unpause, boolean allowRunning,
                              Duration pollInterval) {

    /** Checks that nothing is missing and the interval is positive. */
    public WatcherSettings {
        Objects.requireNonNull(configDirectory, "configDirectory");
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(pollInterval, "pollInterval");
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("pollInterval must be positive: " + pollInterval);
        }
    }

    /**
     * Configs in {@code configDirectory}, the engine's defaults, paused domains only, no unpause.
     *
     * @param configDirectory where {@code <name>.cfg} files are looked up
     * @return those settings
     */
    public static WatcherSettings of(Path configDirectory) {
        return new WatcherSettings(configDirectory, EngineSettings.defaults(), false, false, Duration.ofMillis(250));
    }

    /**
     * The same, attaching with other engine settings.
     *
     * @param engine how attaches and detaches are done
     * @return the settings
     */
    public WatcherSettings withEngine(EngineSettings engine) {
        return new WatcherSettings(configDirectory, engine, unpause, allowRunning, pollInterval);
    }

    /**
     * The same, unpausing attached domains or not.
     *
     * @param unpause whether to unpause a domain once attached
     * @return the settings
     */
    public WatcherSettings withUnpause(boolean unpause) {
        return new WatcherSettings(configDirectory, engine, unpause, allowRunning, pollInterval);
    }

    /**
     * The same, attaching running domains or not.
     *
     * @param allowRunning whether a domain that already runs is attached
     * @return the settings
     */
    public WatcherSettings withAllowRunning(boolean allowRunning) {
        return new WatcherSettings(configDirectory, engine, unpause, allowRunning, pollInterval);
    }

    /**
     * The same, with another poll interval.
     *
     * @param pollInterval the longest one wait for an event lasts
     * @return the settings
     */
    public WatcherSettings withPollInterval(Duration pollInterval) {
        return new WatcherSettings(configDirectory, engine, unpause, allowRunning, pollInterval);
    }
}
