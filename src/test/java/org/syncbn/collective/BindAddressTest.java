package org.syncbn.collective;

import org.junit.jupiter.api.Test;
import org.syncbn.bench.ListeningPorts;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rendezvous and the mesh listen on the one address they are given, never on every interface. */
class BindAddressTest {
    private static final CollectiveSecurity SECURITY = new CollectiveSecurity(JobSecret.random(), true);

    @Test
    void theWildcardAndAnEmptyHostAreRefusedNamingTheSetting() {
        for (String host : new String[] {"0.0.0.0", "::", "0:0:0:0:0:0:0:0", ""}) {
            CollectiveException mesh = assertThrows(CollectiveException.class, () -> BarrierRendezvous.bind(host), host);
            assertTrue(mesh.getMessage().contains("SPARK_LOCAL_IP"), mesh.getMessage());
            assertThrows(CollectiveException.class, () -> DriverRendezvous.start(host, Duration.ofSeconds(5), SECURITY), host);
        }
    }

    @Test
    void listenersBindToTheGivenAddressOnly() throws Exception {
        long pid = ProcessHandle.current().pid();
        try (ServerSocketChannel mesh = BarrierRendezvous.bind("127.0.0.1");
             DriverRendezvous rendezvous = DriverRendezvous.start("127.0.0.1", Duration.ofSeconds(5), SECURITY)) {
            InetSocketAddress bound = (InetSocketAddress) mesh.getLocalAddress();
            assertEquals("127.0.0.1", bound.getAddress().getHostAddress());
            int rendezvousPort = Integer.parseInt(rendezvous.address().substring(rendezvous.address().lastIndexOf(':') + 1));
            assertTrue(rendezvous.address().startsWith("127.0.0.1:"), rendezvous.address());
            assertTrue(ListeningPorts.of(pid).contains(bound.getPort()));
            assertTrue(ListeningPorts.of(pid).contains(rendezvousPort));
            assertFalse(ListeningPorts.onEveryInterface(pid).contains(bound.getPort()));
            assertFalse(ListeningPorts.onEveryInterface(pid).contains(rendezvousPort));
        }
    }
}
