package org.syncbn.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The TCP ports a process listens on, read from Linux's /proc: the socket inodes among its open file
 * descriptors, matched against the LISTEN rows (state 0A) of /proc/&lt;pid&gt;/net/tcp and tcp6. What an
 * attacker on the same machine sees with {@code ss -ltn}, restricted to one process.
 */
public final class ListeningPorts {
    private ListeningPorts() {
    }

    /** The ports {@code pid} listens on now (empty when it has ended). */
    public static Set<Integer> of(long pid) {
        return listening(pid, false);
    }

    /** The ports {@code pid} listens on now on every interface (0.0.0.0 or ::), not on one address. */
    public static Set<Integer> onEveryInterface(long pid) {
        return listening(pid, true);
    }

    private static Set<Integer> listening(long pid, boolean wildcardOnly) {
        Set<String> inodes = socketInodes(pid);
        Set<Integer> ports = new TreeSet<>();
        for (String table : List.of("tcp", "tcp6")) {
            List<String> rows;
            try {
                rows = Files.readAllLines(Path.of("/proc", Long.toString(pid), "net", table));
            } catch (IOException e) {
                continue;   // ended, or no IPv6
            }
            for (String row : rows.subList(Math.min(1, rows.size()), rows.size())) {
                String[] f = row.trim().split("\\s+");
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                if (f.length > 9 && f[3].equals("0A") && inodes.contains(f[9])) {
                    String address = f[1].substring(0, f[1].indexOf(':'));
                    if (!wildcardOnly || address.chars().allMatch(c -> c == '0')) {
                        ports.add(Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16));
                    }
                }
            }
        }
        return ports;
    }

    private static Set<String> socketInodes(long pid) {
        Set<String> out = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        out.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException closed) {
                    // the descriptor closed between the listing and the read
                }
            }
        } catch (IOException ended) {
            // the process ended
        }
        return out;
    }
}
