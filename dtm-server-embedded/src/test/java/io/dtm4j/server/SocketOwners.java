package io.dtm4j.server;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tells which local process made a TCP connection to a test server, from Linux's {@code /proc}: the client end
 * of a loopback connection is the socket whose local port is the request's remote port, and its inode appears
 * among the file descriptors of exactly one process. Lets a fake branch service attribute every branch call
 * to the coordinator node that made it, although all nodes send the same request. Answers {@code "?"} when the
 * owner cannot be found (not Linux, or the connection is gone). Thread-safe.
 */
final class SocketOwners {
    /** A candidate process and the label to answer for it. */
    record Candidate(long pid, String label) {
    }

    private final List<Candidate> candidates;
    /** Socket inode -> label; an inode is not reused while its connection is open. */
    private final Map<Long, String> byInode = new ConcurrentHashMap<>();

    SocketOwners(List<Candidate> candidates) {
        this.candidates = List.copyOf(candidates);
    }

    /** True where {@code /proc/net/tcp} can be read (Linux); elsewhere every owner is {@code "?"}. */
    static boolean available() {
        return Files.isReadable(Paths.get("/proc/net/tcp"));
    }

    /** The label of the candidate that owns the client end of the connection {@code clientPort -> serverPort}. */
    String ownerOf(int clientPort, int serverPort) {
        long inode = inode(clientPort, serverPort);
        if (inode <= 0) {
            return "?";
        }
        String known = byInode.get(inode);
        if (known != null) {
            return known;
        }
        String needle = "socket:[" + inode + "]";
        for (Candidate c : candidates) {
            if (holds(c.pid(), needle)) {
                byInode.put(inode, c.label());
                return c.label();
            }
        }
        return "?";
    }

    private static long inode(int clientPort, int serverPort) {
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : Files.readAllLines(Paths.get(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length < 10 || !f[1].contains(":")) {
                        continue;
                    }
                    if (port(f[1]) == clientPort && port(f[2]) == serverPort) {
                        return Long.parseLong(f[9]);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // no such table here: try the next
            }
        }
        return -1;
    }

    private static int port(String hexAddress) {
        return Integer.parseInt(hexAddress.substring(hexAddress.lastIndexOf(':') + 1), 16);
    }

    private static boolean holds(long pid, String needle) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Paths.get("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds) {
                try {
                    if (Files.readSymbolicLink(fd).toString().equals(needle)) {
                        return true;
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
        return false;
    }
}
