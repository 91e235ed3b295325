package io.tandem.load;

import java.lang.management.ManagementFactory;
import java.time.Duration;

/** CPU time used by this JVM so far, so the report can show whether the generator itself was the bottleneck. */
final class ProcessCpu {
    private ProcessCpu() {
    }

    /** Nanoseconds of CPU (user + system) used by this process, or -1 when the platform does not tell. */
    static long nanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            long t = sun.getProcessCpuTime();
            if (t >= 0) {
                return t;
            }
        }
        return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    }

    static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }
}
