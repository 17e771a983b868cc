package org.syncbn.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A local attacker who has read the source, against every TCP port one process listens on (found in
 * /proc as they appear: Spark's RPC and block transfer ports, the driver rendezvous, each round's
 * short-lived mesh listeners). While running it keeps idle connections open on every port and, on
 * {@code threads} threads, sends in turn to each port:
 * <ul>
 *   <li>{@link Kind#GARBAGE}: random bytes;</li>
 *   <li>{@link Kind#COLLECTIVE_WRONG_SECRET}: the collectives' client hello (the protocol's magic and
 *       version, rendezvous purpose, a fresh nonce), then a forged proof: the handshake of a peer
 *       without the job's secret;</li>
 *   <li>{@link Kind#HUGE_SIZES}: a frame header claiming 2^40 bytes (Spark's 8-byte frame length; to
 *       the collectives a bad magic), then 64 KiB;</li>
 *   <li>{@link Kind#SPARK_NO_AUTH} and {@link Kind#SPARK_WRONG_SECRET}: Spark's own RPC client asking
 *       for a driver endpoint, without authenticating and with a wrong secret ({@link SparkRpcProbe}).</li>
 * </ul>
 * Each attempt counts as refused (the server closed the connection, answered nothing, or refused the
 * client), accepted (the server went on as with a member: a driver endpoint answered, or a
 * connection stayed open after a forged proof) or gone (the port closed before it: a mesh listener's
 * life is milliseconds). Idle connections count as refused when the server drops them while it
 * still listens, as held when they stay open until the listener closes or the attack ends.
 */
public final class PortAttacker implements AutoCloseable {
    /** What an attempt tried. */
    public enum Kind { IDLE, GARBAGE, COLLECTIVE_WRONG_SECRET, HUGE_SIZES, SPARK_NO_AUTH, SPARK_WRONG_SECRET }

    /**
     * One kind's counts: attempts, refused by the server, accepted (went on as with a member), held
     * open to the end without an answer (idle connections a server tolerates), gone (the port closed first).
     */
    public record Tally(long attempts, long refused, long accepted, long held, long gone) {}

    private static final int MAGIC = 0x53424E43;   // the collectives' "SBNC" (collective/Handshake)
    private static final int VERSION = 2;
    private static final int IDLE_PER_PORT = 16;
    private static final int READ_TIMEOUT_MS = 5000;

    private final long pid;
    private final String host;
    private final SecureRandom random = new SecureRandom();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Set<Integer> ports = ConcurrentHashMap.newKeySet();
    private final Set<Integer> everSeen = ConcurrentHashMap.newKeySet();
    private final Map<Kind, AtomicLong[]> counts = new EnumMap<>(Kind.class);
    private final AtomicInteger next = new AtomicInteger();
    private final ExecutorService pool;
    private final Thread scanner;
    private final Thread idler;
    private final SparkRpcProbe noAuth;
    private final SparkRpcProbe wrongSecret;

    private PortAttacker(long pid, String host, int threads) {
        this.pid = pid;
        this.host = host;
        for (Kind k : Kind.values()) {
            counts.put(k, new AtomicLong[] {new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong(),
                    new AtomicLong()});
        }
        this.noAuth = new SparkRpcProbe(null, 3);
        this.wrongSecret = new SparkRpcProbe("a-secret-the-job-does-not-have", 3);
        this.pool = Executors.newFixedThreadPool(threads, r -> daemon(r, "attacker"));
        this.scanner = daemon(this::scan, "attacker-scan");
        this.idler = daemon(this::idle, "attacker-idle");
        for (int i = 0; i < threads; i++) {
            pool.execute(this::attack);
        }
        scanner.start();
        idler.start();
    }

    /** Starts attacking every port {@code pid} listens on at {@code host}, as the ports appear. */
    public static PortAttacker start(long pid, String host, int threads) {
        return new PortAttacker(pid, host, threads);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Every port it found the process listening on. */
    public Set<Integer> portsSeen() {
        return Set.copyOf(everSeen);
    }

    public Map<Kind, Tally> tallies() {
        Map<Kind, Tally> out = new EnumMap<>(Kind.class);
        counts.forEach((k, c) -> out.put(k, new Tally(c[0].get(), c[1].get(), c[2].get(), c[4].get(), c[3].get())));
        return out;
    }

    @Override
    public void close() {
        running.set(false);
        pool.shutdownNow();
        try {
            pool.awaitTermination(10, TimeUnit.SECONDS);
            scanner.join(5000);
            idler.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        noAuth.close();
        wrongSecret.close();
    }

    private void count(Kind k, int outcome) {   // 1 refused, 2 accepted, 3 gone, 4 held
        AtomicLong[] c = counts.get(k);
        c[0].incrementAndGet();
        c[outcome].incrementAndGet();
    }

    // ---- finding the ports -------------------------------------------------------------------

    private void scan() {
        while (running.get()) {
            Set<Integer> now = ListeningPorts.of(pid);
            ports.retainAll(now);
            ports.addAll(now);
            everSeen.addAll(now);
            sleep(5);
        }
    }

    // ---- attempts ----------------------------------------------------------------------------

    private void attack() {
        Kind[] kinds = {Kind.GARBAGE, Kind.COLLECTIVE_WRONG_SECRET, Kind.HUGE_SIZES, Kind.SPARK_NO_AUTH,
                Kind.SPARK_WRONG_SECRET};
        while (running.get() && !Thread.currentThread().isInterrupted()) {
            List<Integer> targets = new ArrayList<>(ports);
            if (targets.isEmpty()) {
                sleep(5);
                continue;
            }
            int n = next.getAndIncrement() & Integer.MAX_VALUE;
            int port = targets.get(n % targets.size());
            Kind kind = kinds[(n / targets.size()) % kinds.length];
            try {
                count(kind, switch (kind) {
                    case GARBAGE -> send(port, randomBytes(4096));
                    case COLLECTIVE_WRONG_SECRET -> wrongHandshake(port);
                    case HUGE_SIZES -> send(port, hugeFrame());
                    case SPARK_NO_AUTH -> spark(noAuth, port);
                    case SPARK_WRONG_SECRET -> spark(wrongSecret, port);
                    default -> throw new IllegalStateException(kind.name());
                });
            } catch (RuntimeException e) {
                if (running.get()) {
                    throw e;
                }
            }
        }
    }

    private int spark(SparkRpcProbe probe, int port) {
        if (!ports.contains(port)) {
            return 3;
        }
        return probe.endpointAnswers(host, port) ? 2 : 1;
    }

    /** Connects, writes {@code bytes}, reads what comes back until the server closes; a server that keeps the connection refuses nothing. */
    private int send(int port, byte[] bytes) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 1000);
            s.setSoTimeout(READ_TIMEOUT_MS);
            try {
                s.getOutputStream().write(bytes);
                s.getOutputStream().flush();
            } catch (IOException closedWhileWriting) {
                return 1;   // the server dropped us mid-way
            }
            return closedByServer(s.getInputStream()) ? 1 : 2;
        } catch (IOException e) {
            return 3;   // nothing listens there (any more)
        }
    }

    /** The collectives' handshake without the secret: hello, then (if the server answers) a forged proof. */
    private int wrongHandshake(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 1000);
            s.setSoTimeout(READ_TIMEOUT_MS);
            byte[] nonce = randomBytes(32);
            byte[] hello = ByteBuffer.allocate(76).order(ByteOrder.LITTLE_ENDIAN).putInt(MAGIC).putInt(VERSION)
                    .put((byte) 2).put((byte) (random.nextBoolean() ? 1 : 0)).putShort((short) 0).put(new byte[32])
                    .put(nonce).array();
            InputStream in = s.getInputStream();
            try {
                s.getOutputStream().write(hello);
                byte[] serverHello = in.readNBytes(72);
                if (serverHello.length < 72) {
                    return 1;   // refused before answering (another purpose, another protocol)
                }
                s.getOutputStream().write(randomBytes(32));   // the proof we cannot make
                s.getOutputStream().flush();
            } catch (IOException dropped) {
                return 1;
            }
            return closedByServer(in) ? 1 : 2;
        } catch (IOException e) {
            return 3;
        }
    }

    private static boolean closedByServer(InputStream in) {
        byte[] buf = new byte[8192];
        try {
            while (in.read(buf) >= 0) {
                // whatever it says before closing (Spark's error reply), until it closes
            }
            return true;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    private byte[] hugeFrame() {
        byte[] body = randomBytes(8 + 65536);
        ByteBuffer.wrap(body).putLong(1L << 40);
        return body;
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    // ---- idle connections --------------------------------------------------------------------

    private void idle() {
        Map<Integer, List<SocketChannel>> open = new HashMap<>();
        try (Selector selector = Selector.open()) {
            while (running.get()) {
                for (int port : ports) {
                    List<SocketChannel> mine = open.computeIfAbsent(port, p -> new ArrayList<>());
                    mine.removeIf(c -> !c.isOpen());
                    while (mine.size() < IDLE_PER_PORT && ports.contains(port)) {
                        try {
                            SocketChannel c = SocketChannel.open(new InetSocketAddress(host, port));
                            c.configureBlocking(false);
                            c.register(selector, SelectionKey.OP_READ, port);
                            mine.add(c);
                        } catch (IOException gone) {
                            count(Kind.IDLE, 3);
                            break;
                        }
                    }
                }
                selector.select(50);
                for (SelectionKey key : selector.selectedKeys()) {
                    SocketChannel c = (SocketChannel) key.channel();
                    boolean dropped;
                    try {
                        dropped = c.read(ByteBuffer.allocate(4096)) < 0;
                    } catch (IOException reset) {
                        dropped = true;
                    }
                    if (dropped) {
                        // dropped while the port still listens: refused; a listener that closed (a mesh that is
                        // up, the process ending) took it along: held until then
                        count(Kind.IDLE, ListeningPorts.of(pid).contains((Integer) key.attachment()) ? 1 : 4);
                        closeQuietly(c);
                    }
                }
                selector.selectedKeys().clear();
            }
            for (List<SocketChannel> mine : open.values()) {
                for (SocketChannel c : mine) {
                    if (c.isOpen()) {
                        count(Kind.IDLE, 4);   // held to the end: the server tolerates it (Spark's idle timeout is 120 s)
                        closeQuietly(c);
                    }
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // already failing
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
