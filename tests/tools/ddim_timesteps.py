"""Writes tests/src/test/resources/ddim-timesteps.csv: the timesteps diffusers' DDIMScheduler
visits for each timestep_spacing, T and S, from its formulas evaluated with numpy (steps_offset 0):

  linspace: np.linspace(0, T - 1, S).round()[::-1]
  leading:  (np.arange(0, S) * (T // S)).round()[::-1]
  trailing: np.round(np.arange(T, 0, -T / S)) - 1

Rows: spacing,T,S,t_1 t_2 ... (descending), or spacing,T,S,ERROR when the formula does not give
S distinct timesteps in [0, T). Run: python3 tests/tools/ddim_timesteps.py (numpy needed; the CSV
is committed, so the tests need no Python)."""
import os
import numpy as np

TS = [10, 50, 100, 250, 1000, 1024, 4000]
SS = [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 16, 20, 25, 30, 33, 40, 50, 64, 99, 100, 128, 250, 333, 500, 999, 1000, 1023, 1024]


def visited(spacing, t, s):
    if spacing == "linspace":
        v = np.linspace(0, t - 1, s).round()[::-1]
    elif spacing == "leading":
        v = (np.arange(0, s) * (t // s)).round()[::-1]
    else:
        v = np.round(np.arange(t, 0, -t / s)) - 1
    return v.astype(np.int64)


def main():
    out = os.path.join(os.path.dirname(__file__), "..", "src", "test", "resources", "ddim-timesteps.csv")
    with open(out, "w") as f:
        f.write("# made by tests/tools/ddim_timesteps.py with numpy " + np.__version__ + "\n")
        for spacing in ["linspace", "leading", "trailing"]:
            for t in TS:
                for s in SS:
                    if s > t:
                        continue
                    v = visited(spacing, t, s)
                    ok = len(v) == s and len(set(v.tolist())) == s and v.min() >= 0 and v.max() < t
                    f.write(f"{spacing},{t},{s}," + (" ".join(str(x) for x in v) if ok else "ERROR") + "\n")


main()
