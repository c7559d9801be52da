package io.dtm4j.core.internal;

import io.dtm4j.core.InvalidRequestException;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of {@code custom_data} the engine reads: saga {@code concurrent} and {@code orders}, msg
 * {@code delay}, workflow {@code name} and {@code data}. Parsed once per round.
 *
 * @param concurrent saga: run actions in parallel
 * @param orders     saga: step index to the step indexes that must succeed first
 * @param delay      msg: how long after creation the first branch may run
 * @param name       workflow name
 * @param data       workflow input (base64 text)
 */
record CustomData(boolean concurrent, Map<Integer, List<Integer>> orders, Duration delay, String name, String data) {

    static final CustomData EMPTY = new CustomData(false, Map.of(), Duration.ZERO, "", "");

    static CustomData parse(String text) {
        if (text == null || text.isBlank() || "null".equals(text.trim())) {
            return EMPTY;
        }
        Object root = MiniJson.parse(text, "custom_data");
        if (!(root instanceof Map<?, ?> m)) {
            throw new InvalidRequestException("custom_data must be a JSON object");
        }
        boolean concurrent = Boolean.TRUE.equals(m.get("concurrent"));
        Map<Integer, List<Integer>> orders = new HashMap<>();
        if (m.get("orders") instanceof Map<?, ?> om) {
            for (Map.Entry<?, ?> e : om.entrySet()) {
                int step = parseIndex(String.valueOf(e.getKey()));
                if (!(e.getValue() instanceof List<?> pre)) {
                    throw new InvalidRequestException("custom_data.orders[" + step
                            + "] must be a list of step indexes");
                }
                orders.put(step, pre.stream().map(v -> parseIndex(String.valueOf(v))).toList());
            }
        }
        Duration delay = Duration.ZERO;
        Object d = m.get("delay");
        if (d instanceof Double dd) {
            if (dd < 0) {
                throw new InvalidRequestException("custom_data.delay must not be negative, got " + dd);
            }
            delay = Duration.ofMillis((long) (dd * 1000));
        }
        String name = m.get("name") instanceof String s ? s : "";
        String data = m.get("data") instanceof String s ? s : "";
        return new CustomData(concurrent, Map.copyOf(orders), delay, name, data);
    }

    private static int parseIndex(String s) {
        try {
            double v = Double.parseDouble(s);
            if (v < 0 || v != Math.floor(v) || v > 10_000) {
                throw new NumberFormatException();
            }
            return (int) v;
        } catch (NumberFormatException ex) {
            throw new InvalidRequestException("custom_data.orders holds a bad step index '" + s + "'");
        }
    }

    /** Validates the orders against a saga of {@code steps} steps: each prerequisite is an earlier step. */
    void requireValidOrders(int steps) {
        for (Map.Entry<Integer, List<Integer>> e : orders.entrySet()) {
            if (e.getKey() >= steps) {
                throw new InvalidRequestException("custom_data.orders names step " + e.getKey() + " but the saga has "
                        + steps + " steps");
            }
            for (int pre : e.getValue()) {
                if (pre >= e.getKey()) {
                    throw new InvalidRequestException("custom_data.orders: step " + e.getKey()
                            + " may only depend on earlier steps, not on " + pre);
                }
            }
        }
    }
}
