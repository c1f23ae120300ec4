package org.xensshm.host;

import java.util.Objects;

/**
 * Which hypervisor answers: enough to tell two builds apart, and to key what was learnt about one.
 *
 * @param version      major.minor, e.g. {@code 4.17}
 * @param extraVersion e.g. {@code .5}; the rest of the version string
 * @param changeset    the source revision Xen was built from, as it reports it
 * @param buildId      the build id in hex, or empty when the hypervisor has none
 */
public record HypervisorIdentity(String version, String extraVersion, String changeset, String buildId) {

    /** Checks that every part is given (possibly empty). */
    public HypervisorIdentity {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(extraVersion, "extraVersion");
        Objects.requireNonNull(changeset, "changeset");
        Objects.requireNonNull(buildId, "buildId");
    }

    /** {@code Xen 4.17.5 (changeset ..., build id ...)}. */
    @Override
    public String toString() {
        return "Xen " + version + extraVersion + " (changeset " + changeset.strip()
                + (buildId.isEmpty() ? "" : ", build id " + buildId) + ")";
    }
}
