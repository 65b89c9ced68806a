package org.diffusion4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Householder + implicit-QR eigensolver: the residual ‖AV − VΛ‖/‖A‖, the orthogonality
 * ‖VᵀV − I‖ and the eigenvalues against cyclic Jacobi (an independent algorithm), on random
 * symmetric matrices of several sizes and on matrices with repeated, zero and widely spread
 * eigenvalues.
 */
class SymmetricEigenTest {
    static void checkDecomposition(double[][] a, double tol) {
        int n = a.length;
        SymmetricEigen e = SymmetricEigen.of(a);
        double[] values = e.values();
        double[][] v = e.vectors();
        double[][] av = Matrices.multiply(a, v);
        double res = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double d = av[i][j] - v[i][j] * values[j];
                res += d * d;
            }
        }
        double scale = Math.max(Matrices.frobenius(a), Double.MIN_NORMAL);
        double[][] vtv = Matrices.multiply(Matrices.transpose(v), v);
        double orth = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double d = vtv[i][j] - (i == j ? 1 : 0);
                orth += d * d;
            }
        }
        double[] ref = ((double[]) Matrices.jacobi(a)[0]).clone();
        Arrays.sort(ref);
        double valErr = 0;
        for (int i = 0; i < n; i++) {
            valErr = Math.max(valErr, Math.abs(values[i] - ref[i]) / scale);
            if (i > 0) {
                assertTrue(values[i] >= values[i - 1], "eigenvalues not ascending at " + i);
            }
        }
        System.out.printf("n %d: residual %.2e, orthogonality %.2e, eigenvalues vs Jacobi %.2e%n", n,
                Math.sqrt(res) / scale, Math.sqrt(orth), valErr);
        assertTrue(Math.sqrt(res) / scale < tol, "residual " + Math.sqrt(res) / scale);
        assertTrue(Math.sqrt(orth) < tol, "orthogonality " + Math.sqrt(orth));
        assertTrue(valErr < tol, "eigenvalues differ from Jacobi's by " + valErr);
        assertArrayEquals(values, SymmetricEigen.valuesOf(a), 1e-12 * scale, "values without vectors");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5, 17, 64, 130})
    void randomSymmetric(int n) {
        checkDecomposition(Matrices.randomSymmetric(new SplittableRandom(n), n), 1e-12);
    }

    @Test
    void repeatedZeroAndSpreadEigenvalues() {
        SplittableRandom r = new SplittableRandom(7);
        double[][] q = Matrices.randomOrthogonal(r, 12);
        checkDecomposition(Matrices.withEigenvalues(q, new double[] {1, 1, 1, 2, 2, 0, 0, 0, 0, 5, 5, 5}), 1e-12);
        double[] spread = new double[12];
        for (int i = 0; i < 12; i++) {
            spread[i] = Math.pow(10, -i);
        }
        checkDecomposition(Matrices.withEigenvalues(q, spread), 1e-12);
        checkDecomposition(new double[12][12], 1e-12); // zero
        double[][] diag = new double[4][4];
        for (int i = 0; i < 4; i++) {
            diag[i][i] = 4 - i;
        }
        assertArrayEquals(new double[] {1, 2, 3, 4}, SymmetricEigen.valuesOf(diag), 0);
    }

    @Test
    void knownSpectrumIsRecovered() {
        SplittableRandom r = new SplittableRandom(11);
        double[] lambda = new double[40];
        for (int i = 0; i < lambda.length; i++) {
            lambda[i] = -3 + 0.25 * i + r.nextDouble() * 0.1;
        }
        double[][] a = Matrices.withEigenvalues(Matrices.randomOrthogonal(r, lambda.length), lambda);
        double[] got = SymmetricEigen.valuesOf(a);
        double[] want = lambda.clone();
        Arrays.sort(want);
        assertArrayEquals(want, got, 1e-13);
    }

    @Test
    void squareRootSquaresBack() {
        double[][] a = Matrices.randomSpd(new SplittableRandom(3), 30, 0.01);
        double[][] root = SymmetricEigen.of(a).sqrtPsd();
        double[][] sq = Matrices.multiply(root, root);
        double err = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a.length; j++) {
                err += (sq[i][j] - a[i][j]) * (sq[i][j] - a[i][j]);
                assertEquals(root[i][j], root[j][i], 0.0, "the root is symmetric");
            }
        }
        assertTrue(Math.sqrt(err) / Matrices.frobenius(a) < 1e-13, "‖R² − A‖/‖A‖ = " + Math.sqrt(err) / Matrices.frobenius(a));
    }

    @Test
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> SymmetricEigen.of(new double[0][0]));
        assertThrows(IllegalArgumentException.class, () -> SymmetricEigen.of(new double[][] {{1, 2}, {3}}));
        assertThrows(IllegalArgumentException.class, () -> SymmetricEigen.of(new double[][] {{Double.NaN}}));
    }
}
