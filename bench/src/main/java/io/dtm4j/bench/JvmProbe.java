package io.dtm4j.bench;

import com.sun.tools.attach.VirtualMachine;

import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU and allocation of the coordinator's JVM, per thread, through {@link com.sun.management.ThreadMXBean}: this
 * JVM ({@link #local()}, the embedded coordinator), or a child JVM reached through the attach API and its local JMX
 * agent ({@link #attach}, the standalone server). In this JVM the busi stub's threads ({@code busi-N} and the
 * JDK server's {@code HTTP-Dispatcher}) are left out, so that the figures are the coordinator's plus the load loop's.
 * Allocation of a thread that ended between two snapshots is lost (the pools involved keep their threads for
 * 60 s). Not thread-safe.
 */
final class JvmProbe implements AutoCloseable {

    /** Per-thread allocation and the CPU of the excluded (busi) threads at one moment. */
    record Snapshot(Map<Long, Long> allocated, long excludedCpuNanos) {
    }

    private final com.sun.management.ThreadMXBean threads;
    private final boolean excludeBusi;
    private final JMXConnector connector;

    private JvmProbe(com.sun.management.ThreadMXBean threads, boolean excludeBusi, JMXConnector connector) {
        this.threads = threads;
        this.excludeBusi = excludeBusi;
        this.connector = connector;
    }

    /** This JVM, without the busi stub's threads. */
    static JvmProbe local() {
        return new JvmProbe(ManagementFactory.getPlatformMXBean(com.sun.management.ThreadMXBean.class), true, null);
    }

    /** The JVM of process {@code pid} (same user), through its local management agent. */
    static JvmProbe attach(long pid) throws IOException {
        VirtualMachine vm;
        try {
            vm = VirtualMachine.attach(Long.toString(pid));
        } catch (com.sun.tools.attach.AttachNotSupportedException e) {
            throw new IOException("cannot attach to pid " + pid + ": " + e.getMessage(), e);
        }
        String address;
        try {
            address = vm.startLocalManagementAgent();
        } finally {
            vm.detach();
        }
        JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(address));
        MBeanServerConnection mbs = c.getMBeanServerConnection();
        return new JvmProbe(ManagementFactory.newPlatformMXBeanProxy(mbs, ManagementFactory.THREAD_MXBEAN_NAME,
                com.sun.management.ThreadMXBean.class), false, c);
    }

    /** Reads every live thread's allocated bytes (and, here, the busi threads' CPU). */
    Snapshot snapshot() {
        long[] ids = threads.getAllThreadIds();
        long[] bytes = threads.getThreadAllocatedBytes(ids);
        Map<Long, Long> allocated = new HashMap<>();
        long excludedCpu = 0;
        ThreadInfo[] infos = excludeBusi ? threads.getThreadInfo(ids) : new ThreadInfo[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (infos[i] != null && isBusi(infos[i].getThreadName())) {
                long cpu = threads.getThreadCpuTime(ids[i]);
                excludedCpu += Math.max(0, cpu);
            } else if (bytes[i] >= 0) {
                allocated.put(ids[i], bytes[i]);
            }
        }
        return new Snapshot(allocated, excludedCpu);
    }

    /** Bytes allocated between two snapshots by the threads of the later one (a new thread counts from zero). */
    static long allocatedBetween(Snapshot before, Snapshot after) {
        long sum = 0;
        for (Map.Entry<Long, Long> e : after.allocated().entrySet()) {
            sum += e.getValue() - before.allocated().getOrDefault(e.getKey(), 0L);
        }
        return sum;
    }

    private static boolean isBusi(String name) {
        return name.startsWith(BusiStub.THREAD_PREFIX) || name.startsWith("HTTP-Dispatcher");
    }

    @Override
    public void close() {
        if (connector != null) {
            try {
                connector.close();
            } catch (IOException e) {
                // the child may already be gone
            }
        }
    }
}
