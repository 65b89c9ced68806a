package org.diffusion4j.cli;

import java.io.PrintWriter;

/**
 * Progress lines of a long job: what it is doing, the percentage done, and the time left
 * estimated from the rate so far ({@code step 100/400  25%  ETA 1:12  loss 0.0712 ...}).
 * The fraction done may count steps (steps done / steps asked for) or time (elapsed /
 * budget); for a time budget the estimate is exactly the time left. A quiet Progress prints
 * nothing.
 */
final class Progress {
    private final PrintWriter out;
    private final boolean quiet;
    private final long start = System.nanoTime();

    Progress(PrintWriter out, boolean quiet) {
        this.out = out;
        this.quiet = quiet;
    }

    /** Seconds since this Progress was made. */
    double seconds() {
        return (System.nanoTime() - start) / 1e9;
    }

    /** Prints {@code head  P%  ETA m:ss  tail}, {@code fraction} in [0, 1] being the part done. */
    void report(String head, double fraction, String tail) {
        if (quiet) {
            return;
        }
        double f = Math.max(0, Math.min(1, fraction));
        String eta = f > 0 ? duration(seconds() * (1 - f) / f) : "?";
        out.printf("%s  %3.0f%%  ETA %s%s%n", head, 100 * f, eta, tail.isEmpty() ? "" : "  " + tail);
        out.flush();
    }

    /** {@code m:ss}, or {@code h:mm:ss} from an hour on. */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format("%d:%02d", s / 60, s % 60);
    }
}
