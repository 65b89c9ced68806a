package org.diffusion4j.diffusion;

/**
 * How a sampler of S steps chooses its timesteps among T: the three choices of diffusers'
 * schedulers ({@code timestep_spacing}), computed with the same float64 arithmetic and numpy's
 * rounding (halves to even, {@link Math#rint}), so the same name, T and S visit exactly the
 * timesteps diffusers' {@code DDIMScheduler} visits (tested against a table made with numpy by
 * {@code tests/tools/ddim_timesteps.py}).
 *
 * <p>improved-diffusion's {@code "ddimN"} respacing differs from all three: it takes the smallest
 * integer stride k with exactly N elements in range(0, T, k) (T = 1000, N = 30: stride 34, so
 * 0, 34, …, 986), where {@link #LEADING} uses T // N (stride 33: 0, 33, …, 957). Its plain
 * {@code "N"} respacing is {@link #LINSPACE} up to the rounding of an accumulated stride.
 */
public enum Spacing {
    /** round(linspace(0, T − 1, S)): both ends included (S = 1 visits 0). */
    LINSPACE("linspace"),
    /** 0, T//S, 2·(T//S), …: the DDIM paper's uniform τ, starting at 0. */
    LEADING("leading"),
    /** round(arange(T, 0, −T/S)) − 1: ends at T − 1, so the chain starts from pure noise. */
    TRAILING("trailing");

    private final String id;

    Spacing(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Spacing ofId(String id) {
        for (Spacing s : values()) {
            if (s.id.equals(id)) {
                return s;
            }
        }
        throw new IllegalArgumentException("spacing \"" + id + "\": expected linspace, leading or trailing");
    }

    /**
     * The S timestep indices visited, in ascending order.
     *
     * @throws IllegalArgumentException when S is not in [1, T], or (as diffusers would silently)
     *     the formula gives a timestep outside [0, T), a repeat, or another count than S
     */
    public int[] timesteps(int t, int s) {
        if (s < 1 || s > t) {
            throw new IllegalArgumentException("steps is " + s + "; it must be 1 to T = " + t);
        }
        double[] v = switch (this) {
            case LINSPACE -> linspace(t - 1, s);
            case LEADING -> {
                double[] x = new double[s];
                int ratio = t / s;
                for (int i = 0; i < s; i++) {
                    x[i] = (double) i * ratio;
                }
                yield x;
            }
            case TRAILING -> trailing(t, s);
        };
        int[] asc = new int[v.length];
        for (int i = 0; i < v.length; i++) { // trailing was built descending and is shifted by one
            if (this == TRAILING) {
                asc[v.length - 1 - i] = (int) Math.rint(v[i]) - 1;
            } else {
                asc[i] = (int) Math.rint(v[i]);
            }
        }
        if (asc.length != s) {
            throw new IllegalArgumentException(id + " spacing of " + s + " steps over T = " + t + " gives " + asc.length
                    + " timesteps");
        }
        for (int i = 0; i < asc.length; i++) {
            if (asc[i] < 0 || asc[i] >= t || (i > 0 && asc[i] <= asc[i - 1])) {
                throw new IllegalArgumentException(id + " spacing of " + s + " steps over T = " + t
                        + " gives timestep " + asc[i] + " out of order or outside [0, " + t + ")");
            }
        }
        return asc;
    }

    /** numpy.linspace(0, stop, num): i · (stop / (num − 1)), the last set to stop exactly. */
    private static double[] linspace(double stop, int num) {
        double[] y = new double[num];
        if (num == 1) {
            return y;
        }
        double step = stop / (num - 1);
        for (int i = 0; i < num; i++) {
            y[i] = i * step;
        }
        y[num - 1] = stop;
        return y;
    }

    /**
     * numpy.arange(T, 0, −T/S): length ceil((0 − T)/(−T/S)); values start + i·δ with δ the
     * difference of the first two values, as numpy fills a float range.
     */
    private static double[] trailing(int t, int s) {
        double step = -((double) t / s);
        int len = (int) Math.ceil((0.0 - t) / step);
        double[] y = new double[Math.max(len, 0)];
        double delta = (t + step) - t;
        for (int i = 0; i < y.length; i++) {
            y[i] = t + i * delta;
        }
        return y;
    }
}
