package org.syncbn.collective;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Where the job's own listeners (the driver's rendezvous, each task's mesh server) bind: an
 * ephemeral port on one named address, the one Spark advertises. Never the wildcard: a host that is
 * empty or names every interface (0.0.0.0, ::; e.g. SPARK_LOCAL_IP=0.0.0.0) is refused, naming it,
 * rather than exposing the listener on all networks of the machine.
 */
final class BindAddress {
    private BindAddress() {
    }

    /** An ephemeral-port address on {@code host}. */
    static InetSocketAddress of(String host) {
        if (host == null || host.isBlank()) {
            throw new CollectiveException("no address to bind the collective's listener to (empty host):"
                    + " set spark.driver.host / SPARK_LOCAL_IP to an address of this machine");
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new CollectiveException("cannot resolve " + host + ", the address to bind the collective's listener"
                    + " to: " + e.getMessage(), e);
        }
        if (address.isAnyLocalAddress()) {
            throw new CollectiveException("refusing to bind the collective's listener to " + host + " (every interface"
                    + " of the machine): set spark.driver.host / SPARK_LOCAL_IP to the one address the workers use");
        }
        return new InetSocketAddress(address, 0);
    }
}
