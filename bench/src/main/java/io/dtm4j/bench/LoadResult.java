package io.dtm4j.bench;

import org.HdrHistogram.Histogram;

/**
 * What one load run did.
 *
 * @param completed  transactions that ended as the workload expects, over the whole run (ramp and drain included),
 *                   the divisor of every per-transaction figure whose counters bracket the run
 * @param inWindow   of those, the ones that ended inside the timed window
 * @param errors     transactions that ended otherwise (an exception, an unexpected outcome)
 * @param seconds    length of the timed window
 * @param latency    latency of the transactions in the window, in microseconds (open loop: from the intended send
 *                   time)
 * @param firstError the first error, for the report; empty if none
 */
record LoadResult(long completed, long inWindow, long errors, double seconds, Histogram latency, String firstError) {

    /** Transactions per second in the timed window. */
    double tps() {
        return seconds <= 0 ? 0 : inWindow / seconds;
    }

    /** A latency percentile in milliseconds. */
    double percentileMillis(double p) {
        return latency.getTotalCount() == 0 ? Double.NaN : latency.getValueAtPercentile(p) / 1000.0;
    }
}
