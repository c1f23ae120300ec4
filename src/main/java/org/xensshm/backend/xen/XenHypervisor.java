package org.xensshm.backend.xen;

import org.xensshm.engine.Hypervisor;
import org.xensshm.spec.Platform;
import org.xensshm.xen.Errno;
import org.xensshm.xen.MapSpace;
import org.xensshm.xen.PageBatch;
import org.xensshm.xen.XenCallException;
import org.xensshm.xen.XenControl;

/** The engine's hypervisor seam over a libxenctrl handle. The platform is read once, at creation. */
public final class XenHypervisor implements Hypervisor, AutoCloseable {

    private final XenControl control;
    private final Platform platform;

    public XenHypervisor(XenControl control) {
        this.control = control;
        String capabilities = control.capabilities();
        this.platform = Platform.fromCapabilities(capabilities).orElseThrow(() -> new XenCallException(
                "xc_version", "XENVER_capabilities", Errno.EINVAL,
                "unrecognised hypervisor capabilities '" + capabilities.strip() + "'"));
    }

    /** Opens libxenctrl; closing the returned hypervisor closes the handle. */
    public static XenHypervisor open() {
        XenControl control = XenControl.open();
        try {
            return new XenHypervisor(control);
        } catch (RuntimeException e) {
            control.close();
            throw e;
        }
    }

    public XenControl control() {
        return control;
    }

    @Override
    public Platform platform() {
        return platform;
    }

    @Override
    public boolean domainExists(int domid) {
        return control.domainExists(domid);
    }

    @Override
    public void addToPhysmapBatch(int domid, int sourceDomid, MapSpace space, PageBatch batch) {
        control.addToPhysmapBatch(domid, sourceDomid, space, batch);
    }

    @Override
    public void removeFromPhysmap(int domid, long gfn) {
        control.removeFromPhysmap(domid, gfn);
    }

    @Override
    public void close() {
        control.close();
    }
}
