package org.syncbn.registry;

import com.fasterxml.jackson.databind.JsonNode;
import org.syncbn.store.FileStore;
import org.syncbn.store.Json;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The exclusive right to change one model: a {@code LOCK} file in the model's directory, created
 * with {@link FileStore#createNew} (atomic create-if-absent), holding its owner's id, host, pid
 * and a heartbeat the owner refreshes every quarter of the stale time.
 *
 * <p>A lock is stale when its owner ran on this host and that pid is no longer alive, or when
 * its heartbeat is older than the stale time (owners on other hosts). Breaking one is itself
 * guarded by a second exclusive file, {@code LOCK.break}, and re-checks that the lock is still the
 * same stale one before deleting it, so two processes that both saw it stale cannot both win.
 */
public final class ModelLock implements AutoCloseable {
    public static final String LOCK = "LOCK";
    static final String BREAK = "LOCK.break";

    /** What a lock file says about its owner. */
    public record Holder(String id, String host, long pid, String purpose, Instant started, Instant heartbeat) {
        /** The lock file's content. */
        public String toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("host", host);
            m.put("pid", pid);
            m.put("purpose", purpose);
            m.put("started", started.toString());
            m.put("heartbeat", heartbeat.toString());
            return Json.pretty(m);
        }

        static Holder parse(String text) {
            try {
                JsonNode n = Json.mapper().readTree(text);
                return new Holder(n.get("id").asText(), n.get("host").asText(), n.get("pid").asLong(),
                        n.path("purpose").asText(""), Instant.parse(n.get("started").asText()),
                        Instant.parse(n.get("heartbeat").asText()));
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        public String describe() {
            return "pid " + pid + " on " + host + " (" + purpose + ", since " + started + ", last heartbeat "
                    + heartbeat + ")";
        }
    }

    private final FileStore dir;
    private final Holder holder;
    private final Holder broken;
    private final ScheduledExecutorService heartbeat;
    private volatile boolean lost;

    private ModelLock(FileStore dir, Holder holder, Holder broken, Duration stale) {
        this.dir = dir;
        this.holder = holder;
        this.broken = broken;
        long every = Math.max(1, stale.toMillis() / 4);
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "syncbn-lock-heartbeat");
            t.setDaemon(true);
            return t;
        });
        heartbeat.scheduleWithFixedDelay(this::beat, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * Takes the lock of the model in {@code dir}, breaking a stale one.
     *
     * @throws LockHeldException when a live owner holds it
     */
    public static ModelLock acquire(FileStore dir, Duration stale, String purpose) {
        Instant now = Instant.now();
        Holder me = new Holder(UUID.randomUUID().toString(), host(), ProcessHandle.current().pid(), purpose, now, now);
        if (dir.createNew(LOCK, me.toJson())) {
            return new ModelLock(dir, me, null, stale);
        }
        Holder existing = read(dir);
        if (existing == null) {
            // released (or still being written) between our create and our read: one more try
            if (dir.createNew(LOCK, me.toJson())) {
                return new ModelLock(dir, me, null, stale);
            }
            throw new LockHeldException("model lock " + dir.describe(LOCK) + " is held (its content is unreadable;"
                    + " delete it by hand if no process works on this model)");
        }
        if (!isStale(existing, stale)) {
            throw new LockHeldException("model lock " + dir.describe(LOCK) + " is held by " + existing.describe()
                    + "; refusing to run a second retrain of the same model at once");
        }
        return breakStale(dir, me, existing, stale);
    }

    private static ModelLock breakStale(FileStore dir, Holder me, Holder stale, Duration staleAfter) {
        if (!dir.createNew(BREAK, me.toJson())) {
            Holder breaker = Holder.parse(dir.readString(BREAK));
            if (breaker == null || !isStale(breaker, staleAfter)) {
                throw new LockHeldException("model lock " + dir.describe(LOCK) + " is stale, but another process is"
                        + " breaking it now (" + dir.describe(BREAK) + ")");
            }
            dir.delete(BREAK);   // a breaker that died within the few milliseconds it holds this
            if (!dir.createNew(BREAK, me.toJson())) {
                throw new LockHeldException("another process is breaking the stale lock " + dir.describe(LOCK));
            }
        }
        try {
            Holder again = read(dir);
            if (again != null && !(again.id().equals(stale.id()) && isStale(again, staleAfter))) {
                throw new LockHeldException("model lock " + dir.describe(LOCK) + " was taken over by "
                        + again.describe());
            }
            dir.delete(LOCK);
            if (!dir.createNew(LOCK, me.toJson())) {
                throw new LockHeldException("model lock " + dir.describe(LOCK)
                        + " was taken by another process just after the stale one was removed");
            }
            return new ModelLock(dir, me, stale, staleAfter);
        } finally {
            dir.delete(BREAK);
        }
    }

    static boolean isStale(Holder h, Duration stale) {
        if (h.host().equals(host()) && ProcessHandle.of(h.pid()).map(p -> !p.isAlive()).orElse(true)) {
            return true;
        }
        return h.heartbeat().plus(stale).isBefore(Instant.now());
    }

    /** The owner of the stale lock this one replaced, or null. */
    public Holder brokenStale() {
        return broken;
    }

    public Holder holder() {
        return holder;
    }

    /**
     * Fails when the lock is no longer ours (another process judged it stale and broke it): a
     * caller about to change CURRENT checks this first.
     */
    public void checkHeld() {
        Holder now = read(dir);
        if (lost || now == null || !now.id().equals(holder.id())) {
            lost = true;
            throw new LockHeldException("lost the model lock " + dir.describe(LOCK)
                    + (now == null ? "" : " to " + now.describe()) + " (heartbeat too slow?); CURRENT left as it was");
        }
    }

    private void beat() {
        try {
            Holder now = read(dir);
            if (now == null || !now.id().equals(holder.id())) {
                lost = true;
                return;
            }
            dir.writeString(LOCK, new Holder(holder.id(), holder.host(), holder.pid(), holder.purpose(),
                    holder.started(), Instant.now()).toJson());
        } catch (RuntimeException e) {
            // a missed heartbeat is retried at the next tick; the stale time allows several
        }
    }

    /** Stops the heartbeat and deletes the lock file if it is still ours. */
    @Override
    public void close() {
        heartbeat.shutdownNow();
        try {
            heartbeat.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Holder now = read(dir);
        if (now != null && now.id().equals(holder.id())) {
            dir.delete(LOCK);
        }
    }

    private static Holder read(FileStore dir) {
        if (!dir.exists(LOCK)) {
            return null;
        }
        try {
            return Holder.parse(dir.readString(LOCK));
        } catch (RuntimeException e) {
            return null;   // deleted between exists and read
        }
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            String env = System.getenv("HOSTNAME");
            return env != null ? env : "unknown-host";
        }
    }
}
