"""lib.fourier, chapter 3 (series, transform, DFT/FFT, direct convolutions, wrap-around) against numpy/scipy.

The FFT convolution itself (fft_conv, fft_conv2d, fft_size, dft_matrix, circulant, toeplitz) is tested in
tests/test_fourier_conv.py; here it appears only as one more reference. Worked numbers come from
notes/seed-000-003.md, 000 §1.5: c_n of the square wave = 2/(i pi n) for odd n to 1e-6; the Gram matrix of the
sampled basis = T I; sqrt(N) W x = fft(x); W^H W = I; Parseval; FFT convolution padded to 2L equals
np.convolve(u, k)[:L] to 1e-12 (float64) and 1e-5 (float32), unpadded the error is O(1).
"""

import numpy as np
import pytest
import scipy.fft
import scipy.linalg
import scipy.signal
import scipy.special
import torch

from lib.fourier import (
    circulant,
    circular_conv,
    circular_conv2d,
    continuous_ft,
    dft,
    dft_matrix,
    fft_conv,
    fft_conv2d,
    fft_radix2,
    idft,
    ifft_radix2,
    linear_conv,
    partial_sum,
    periodic_sum,
    series_coeffs,
    wraparound_error,
)


def square(period):
    return lambda t: np.sign(np.sin(2 * np.pi * t / period))


def sawtooth(period):
    return lambda t: 2 * np.mod(t / period, 1.0) - 1


def odd_harmonics(n_max, amplitude):
    """Coefficients c_{-n_max..n_max} that are amplitude(n) for odd n and 0 for even n."""
    n = np.arange(-n_max, n_max + 1)
    safe = np.where(n == 0, 1, n)
    return np.where(n % 2 == 1, amplitude(safe), 0)


# ---------------------------------------------------------------------------------------------
# 3.1 Fourier series
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("period", [1.0, 2.0, 2 * np.pi, 0.37])
def test_square_wave_coefficients_match_analytic_values_from_the_notes(period):
    """c_n = 2/(i pi n) for odd n, 0 for even n, whatever the period (notes: to 1e-6)."""
    c = series_coeffs(square(period), period, 15, num=4096)
    expected = odd_harmonics(15, lambda n: 2 / (1j * np.pi * n))
    np.testing.assert_allclose(c, expected, atol=1e-6)


@pytest.mark.parametrize("num", [64, 256, 4096])
def test_midpoint_rule_error_is_exactly_the_aliasing_sum(num):
    """Midpoint samples give c~_n = sum_m (-1)^m c_{n+m M}, which sums in closed form for these waves.

    square: (2/(i pi)) sum_m (-1)^m/(n+mM) = 2/(i M sin(pi n/M));  sawtooth (c_n = i/(pi n)): i/(M sin(pi n/M)).
    """
    n_max = num // 2 - 1
    c = series_coeffs(square(1.0), 1.0, n_max, num=num)
    expected = odd_harmonics(n_max, lambda n: 2 / (1j * num * np.sin(np.pi * n / num)))
    np.testing.assert_allclose(c, expected, atol=1e-12)
    c = series_coeffs(sawtooth(3.0), 3.0, n_max, num=num)
    n = np.arange(-n_max, n_max + 1)
    expected = np.where(n == 0, 0, 1j / (num * np.sin(np.pi * n / num + (n == 0))))
    np.testing.assert_allclose(c, expected, atol=1e-12)


def test_series_coeffs_equal_a_phase_shifted_numpy_fft_of_the_midpoint_samples():
    period, num, n_max = 1.7, 512, 40
    f = lambda t: np.exp(np.cos(2 * np.pi * t / period)) + 0.3 * np.sin(6 * np.pi * t / period)
    samples = f((np.arange(num) + 0.5) * period / num)
    n = np.arange(-n_max, n_max + 1)
    reference = np.exp(-1j * np.pi * n / num) * np.fft.fft(samples)[n % num] / num
    np.testing.assert_allclose(series_coeffs(f, period, n_max, num=num), reference, atol=1e-13)


def test_trigonometric_polynomial_is_recovered_exactly_with_period_and_frequency_kept_apart():
    """f(t) = 1 + 2 cos(2 pi 3 t / T) - sin(2 pi 5 t / T): frequencies 3/T and 5/T Hz, periods T/3 and T/5."""
    period = 2.5
    f = lambda t: 1 + 2 * np.cos(2 * np.pi * 3 * t / period) - np.sin(2 * np.pi * 5 * t / period)
    c = series_coeffs(f, period, 6, num=32)
    expected = np.zeros(13, dtype=complex)
    expected[6] = 1
    expected[6 + 3] = expected[6 - 3] = 1  # 2 cos = e^{i.} + e^{-i.}
    expected[6 + 5], expected[6 - 5] = -1 / 2j, 1 / 2j  # -sin = -(e^{i.} - e^{-i.}) / 2i
    np.testing.assert_allclose(c, expected, atol=1e-13)
    t = np.linspace(-3, 7, 101)
    np.testing.assert_allclose(partial_sum(c, period, t), f(t), atol=1e-12)
    # the sum has period T, and not 1/T
    np.testing.assert_allclose(partial_sum(c, period, t + period), partial_sum(c, period, t), atol=1e-12)


def test_gram_matrix_of_sampled_basis_is_T_times_identity():
    """int_0^T e^{i k w0 t} conj(e^{i n w0 t}) dt = T delta_kn (notes: 'Gram matrix = T I')."""
    period, num, n_max = 3.0, 64, 10
    t = (np.arange(num) + 0.5) * period / num
    basis = np.exp(1j * 2 * np.pi * np.outer(np.arange(-n_max, n_max + 1), t) / period)
    gram = basis @ basis.conj().T * (period / num)
    np.testing.assert_allclose(gram, period * np.eye(2 * n_max + 1), atol=1e-12)
    # the same, through series_coeffs: the coefficients of e_k are the unit vectors
    for k in (-3, 0, 7):
        c = series_coeffs(lambda t, k=k: np.exp(2j * np.pi * k * t / period), period, n_max, num=num)
        np.testing.assert_allclose(c, np.eye(2 * n_max + 1)[n_max + k], atol=1e-13)


def test_parseval_for_the_square_wave():
    """(1/T) int |f|^2 = 1 = sum |c_n|^2 = (8/pi^2) sum_{odd n>0} 1/n^2."""
    c = odd_harmonics(20001, lambda n: 2 / (1j * np.pi * n))
    assert abs(np.sum(np.abs(c) ** 2) - 1) < 1e-4
    assert np.sum(np.abs(c) ** 2) < 1


def test_gibbs_overshoot_tends_to_the_wilbraham_gibbs_constant():
    """max S_N of the +-1 square wave -> (2/pi) Si(pi) = 1.17898; the overshoot does not shrink with N."""
    gibbs = 2 / np.pi * scipy.special.sici(np.pi)[0]
    assert round(gibbs, 5) == 1.17898
    peaks = []
    for m in (10, 50, 250):  # m odd harmonics 1, 3, ..., 2m-1
        c = odd_harmonics(2 * m - 1, lambda n: 2 / (1j * np.pi * n))
        t = np.linspace(0, 0.25, 20001)
        peaks.append(partial_sum(c, 1.0, t).max())
        t_star = 1 / (4 * m)  # first maximum, T/(4m)
        assert abs(partial_sum(c, 1.0, [t_star])[0] - peaks[-1]) < 1e-6
    assert all(p > gibbs for p in peaks)
    assert peaks[0] > peaks[1] > peaks[2]
    assert abs(peaks[-1] - gibbs) < 1e-5


def test_partial_sum_of_numerical_coefficients_converges_at_continuity_points():
    c = series_coeffs(sawtooth(1.0), 1.0, 400, num=8192)
    t = np.array([0.1, 0.25, 0.6, 0.9])
    np.testing.assert_allclose(partial_sum(c, 1.0, t), sawtooth(1.0)(t), atol=5e-3)
    # at the jump the series converges to the midpoint of the two one-sided limits
    assert abs(partial_sum(c, 1.0, [0.0])[0]) < 1e-12


def test_partial_sum_complex_coefficients():
    c = np.zeros(5, dtype=complex)
    c[3] = 1  # e^{2 pi i t / T}
    t = np.linspace(0, 1, 7)
    np.testing.assert_allclose(partial_sum(c, 1.0, t, real=False), np.exp(2j * np.pi * t), atol=1e-14)
    with pytest.raises(ValueError, match="conjugate-symmetric"):
        partial_sum(c, 1.0, t)


def test_series_errors():
    with pytest.raises(ValueError, match="num must be > 2\\*n_max = 20"):
        series_coeffs(np.sin, 1.0, 10, num=20)
    with pytest.raises(ValueError, match="period must be > 0"):
        series_coeffs(np.sin, 0.0, 3)
    with pytest.raises(TypeError, match="n_max must be a integral"):
        series_coeffs(np.sin, 1.0, 2.5)
    with pytest.raises(TypeError, match="f must be a callable"):
        series_coeffs([1, 2, 3], 1.0, 1)
    with pytest.raises(ValueError, match="return an array of the same shape"):
        series_coeffs(lambda t: 1.0, 1.0, 1)
    with pytest.raises(ValueError, match="odd length"):
        partial_sum(np.ones(4), 1.0, [0.0])
    with pytest.raises(TypeError, match="t must be real"):
        partial_sum(np.ones(3), 1.0, [1j])


# ---------------------------------------------------------------------------------------------
# 3.1 Fourier transform
# ---------------------------------------------------------------------------------------------
def test_continuous_ft_of_gaussian_and_box():
    xi = np.linspace(-3, 3, 25)
    gauss = continuous_ft(lambda t: np.exp(-np.pi * t**2), xi, limit=8, num=4096)
    np.testing.assert_allclose(gauss, np.exp(-np.pi * xi**2), atol=1e-12)
    # box of width a -> a sinc(a xi), np.sinc(x) = sin(pi x)/(pi x); the jumps fall between midpoints
    a = 0.5
    box = continuous_ft(lambda t: (np.abs(t) < a / 2).astype(float), xi, limit=1, num=20000)
    np.testing.assert_allclose(box, a * np.sinc(a * xi), atol=1e-4)


def test_continuous_ft_shift_scale_and_angular_convention():
    """f(t - t0) -> e^{-2 pi i xi t0} F(xi);  f(t/s) -> |s| F(s xi);  the angular F(w) is F_xi(w / 2 pi)."""
    xi = np.array([-1.3, -0.2, 0.0, 0.4, 2.0])
    g = lambda t: np.exp(-np.pi * t**2)
    shifted = continuous_ft(lambda t: g(t - 0.7), xi, limit=10, num=4096)
    np.testing.assert_allclose(shifted, np.exp(-2j * np.pi * xi * 0.7) * np.exp(-np.pi * xi**2), atol=1e-12)
    scaled = continuous_ft(lambda t: g(t / 2), xi, limit=16, num=8192)
    np.testing.assert_allclose(scaled, 2 * np.exp(-np.pi * (2 * xi) ** 2), atol=1e-12)
    # e^{-t^2/2} has the angular-frequency transform sqrt(2 pi) e^{-w^2/2}
    w = 2 * np.pi * xi
    np.testing.assert_allclose(
        continuous_ft(lambda t: np.exp(-(t**2) / 2), xi, limit=12, num=4096),
        np.sqrt(2 * np.pi) * np.exp(-(w**2) / 2),
        atol=1e-12,
    )


def test_series_coefficients_are_samples_of_the_transform():
    """A pulse inside [-T/2, T/2], repeated with period T: T c_n = F(n/T), exactly."""
    a, period = 1.0, 4.0
    box = lambda t: (np.abs(t) < a / 2).astype(float)
    periodic_box = lambda t: box(np.mod(t + period / 2, period) - period / 2)
    c = series_coeffs(periodic_box, period, 12, num=40000)
    n = np.arange(-12, 13)
    np.testing.assert_allclose(period * c, a * np.sinc(a * n / period), atol=1e-3)


def test_continuous_ft_errors():
    with pytest.raises(ValueError, match="limit must be > 0"):
        continuous_ft(np.exp, [0.0], limit=-1)
    with pytest.raises(TypeError, match="xi must be real"):
        continuous_ft(np.exp, [1j], limit=1)
    with pytest.raises(ValueError, match="f returned NaN"):
        continuous_ft(lambda t: 1 / t * 0 + np.nan, [0.0], limit=1, num=4)


# ---------------------------------------------------------------------------------------------
# 3.2 DFT and FFT
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 3, 8, 15, 64, 100])
def test_dft_and_idft_by_definition_match_numpy(n):
    rng = np.random.default_rng(n)
    x = rng.normal(size=(3, n)) + 1j * rng.normal(size=(3, n))
    np.testing.assert_allclose(dft(x), np.fft.fft(x), atol=1e-10 * n)
    np.testing.assert_allclose(idft(x), np.fft.ifft(x), atol=1e-12 * n)
    np.testing.assert_allclose(idft(dft(x)), x, atol=1e-11 * n)
    # notes: sqrt(N) W x = fft(x), W^H W = I, Parseval
    W = dft_matrix(n)
    np.testing.assert_allclose(np.sqrt(n) * (W @ x[0]), np.fft.fft(x[0]), atol=1e-10 * n)
    np.testing.assert_allclose(W.conj().T @ W, np.eye(n), atol=1e-12 * n)
    np.testing.assert_allclose(np.sum(np.abs(x) ** 2, -1), np.sum(np.abs(dft(x)) ** 2, -1) / n, rtol=1e-12)


@pytest.mark.parametrize("p", range(0, 13))
def test_fft_radix2_matches_numpy_and_scipy(p):
    n = 2**p
    rng = np.random.default_rng(p)
    x = rng.normal(size=n) + 1j * rng.normal(size=n)
    np.testing.assert_allclose(fft_radix2(x), np.fft.fft(x), rtol=0, atol=1e-12 * n)
    np.testing.assert_allclose(fft_radix2(x), scipy.fft.fft(x), rtol=0, atol=1e-12 * n)
    np.testing.assert_allclose(ifft_radix2(x), np.fft.ifft(x), rtol=0, atol=1e-13 * n)
    np.testing.assert_allclose(ifft_radix2(fft_radix2(x)), x, atol=1e-13 * n)


def test_fft_radix2_batches_over_leading_axes_and_accepts_real_and_torch_input():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 3, 32))
    np.testing.assert_allclose(fft_radix2(x), np.fft.fft(x, axis=-1), atol=1e-11)
    np.testing.assert_allclose(fft_radix2(torch.tensor(x)), torch.fft.fft(torch.tensor(x)).numpy(), atol=1e-11)
    np.testing.assert_allclose(fft_radix2([1, 2, 3, 4]), [10, -2 + 2j, -2, -2 - 2j], atol=1e-14)


def test_fft_errors():
    with pytest.raises(ValueError, match="power-of-2 length.*got length 12 \\(zero-pad it to 16\\)"):
        fft_radix2(np.ones(12))
    with pytest.raises(ValueError, match="X must have a power-of-2"):
        ifft_radix2(np.ones(6))
    with pytest.raises(ValueError, match="x must not be empty"):
        fft_radix2(np.ones(0))
    with pytest.raises(ValueError, match="at least 1 dimension"):
        dft(3.0)
    with pytest.raises(TypeError, match="array of numbers"):
        dft(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="NaN or infinity"):
        idft([1.0, np.inf])


# ---------------------------------------------------------------------------------------------
# 3.3 Linear and circular convolution, wrap-around
# ---------------------------------------------------------------------------------------------
SHAPES = [(1, 1), (5, 1), (1, 5), (10, 3), (3, 10), (17, 17), (40, 9), (9, 40), (64, 31)]


@pytest.mark.parametrize("lx, lk", SHAPES)
def test_linear_conv_matches_numpy_scipy_and_fft_conv(lx, lk):
    rng = np.random.default_rng(100 * lx + lk)
    x, k = rng.normal(size=lx), rng.normal(size=lk)
    full = linear_conv(x, k)
    np.testing.assert_allclose(full, np.convolve(x, k), atol=1e-12)
    np.testing.assert_allclose(full, scipy.signal.convolve(x, k, method="direct"), atol=1e-12)
    np.testing.assert_allclose(full, scipy.signal.fftconvolve(x, k), atol=1e-10)
    modes = ["full", "same", "causal"] + (["valid"] if lk <= lx else [])
    for mode in modes:
        np.testing.assert_allclose(linear_conv(x, k, mode=mode), fft_conv(x, k, mode=mode), atol=1e-10)
        if mode != "causal":
            np.testing.assert_allclose(
                linear_conv(x, k, mode=mode), scipy.signal.convolve(x, k, mode=mode, method="direct"), atol=1e-12
            )
    np.testing.assert_allclose(linear_conv(x, k, mode="causal"), full[:lx])


def test_linear_conv_complex_and_commutative():
    rng = np.random.default_rng(3)
    x = rng.normal(size=12) + 1j * rng.normal(size=12)
    k = rng.normal(size=5) - 2j * rng.normal(size=5)
    np.testing.assert_allclose(linear_conv(x, k), np.convolve(x, k), atol=1e-12)
    np.testing.assert_allclose(linear_conv(x, k), linear_conv(k, x), atol=1e-12)


@pytest.mark.parametrize("lx, lk", SHAPES)
def test_circular_conv_is_the_dft_product_and_a_circulant_matrix(lx, lk):
    rng = np.random.default_rng(lx + 1000 * lk)
    x, k = rng.normal(size=lx), rng.normal(size=lk)
    for n in {max(lx, lk), max(lx, lk) + 3, lx + lk - 1, 2 * max(lx, lk)}:
        y = circular_conv(x, k, n)
        assert y.shape == (n,)
        np.testing.assert_allclose(y, np.fft.ifft(np.fft.fft(x, n) * np.fft.fft(k, n)).real, atol=1e-11)
        xp, kp = np.pad(x, (0, n - lx)), np.pad(k, (0, n - lk))
        np.testing.assert_allclose(y, scipy.linalg.circulant(kp) @ xp, atol=1e-11)
        np.testing.assert_allclose(y, circulant(kp) @ xp, atol=1e-11)
        np.testing.assert_allclose(y, circular_conv(k, x, n), atol=1e-11)  # commutative
        # the key identity: circular = linear folded with period n
        np.testing.assert_allclose(y, periodic_sum(np.convolve(x, k), n), atol=1e-11)


def test_dual_convolution_theorem_dft_of_product():
    """DFT(x y) = (1/N) DFT(x) (*)_N DFT(y)."""
    rng = np.random.default_rng(11)
    x, y = rng.normal(size=16), rng.normal(size=16)
    np.testing.assert_allclose(np.fft.fft(x * y), circular_conv(np.fft.fft(x), np.fft.fft(y)) / 16, atol=1e-11)


def test_periodic_sum():
    y = np.arange(1.0, 8.0)  # 1..7
    np.testing.assert_array_equal(periodic_sum(y, 3), [1 + 4 + 7, 2 + 5, 3 + 6])
    np.testing.assert_array_equal(periodic_sum(y, 7), y)
    np.testing.assert_array_equal(periodic_sum(y, 10), np.r_[y, 0, 0, 0])
    np.testing.assert_array_equal(periodic_sum(y, 1), [28])
    batch = np.stack([y, 2 * y])
    np.testing.assert_array_equal(periodic_sum(batch, 3), [[12, 7, 9], [24, 14, 18]])


@pytest.mark.parametrize("lx, lk", [(10, 3), (3, 10), (16, 16), (33, 8)])
def test_wraparound_error_vanishes_exactly_from_lx_plus_lk_minus_1(lx, lk):
    rng = np.random.default_rng(lx * lk)
    x, k = rng.normal(size=lx), rng.normal(size=lk)
    full = np.convolve(x, k)
    for n in range(max(lx, lk), lx + lk + 4):
        err = wraparound_error(x, k, n)
        assert err.shape == (n,)
        # e[t] = sum_{m >= 1} y[t + m n]: the tail beyond n folded back to the start
        head = np.pad(full, (0, max(0, n - full.size)))[:n]
        np.testing.assert_allclose(err, periodic_sum(full, n) - head, atol=1e-12)
        if n >= lx + lk - 1:
            assert np.abs(err).max() < 1e-12
        else:
            assert np.abs(err).max() > 1e-3
            # only the first lx + lk - 1 - n outputs are wrong, the rest are exact
            bad = lx + lk - 1 - n
            assert np.abs(err[bad:]).max() < 1e-12 and np.abs(err[:bad]).min() > 0


def test_causal_fft_conv_needs_padding_to_2L_numbers_from_the_notes():
    """Padded to 2L: equals np.convolve(u, k)[:L] to 1e-12 (float64), 1e-5 (float32); unpadded: O(1) error."""
    rng = np.random.default_rng(0)
    L = 256
    u, k = rng.normal(size=L), rng.normal(size=L) * np.exp(-np.arange(L) / 50)
    reference = np.convolve(u, k)[:L]
    padded = circular_conv(u, k, 2 * L)[:L]
    np.testing.assert_allclose(padded, reference, atol=1e-12)
    np.testing.assert_allclose(fft_conv(u, k, mode="causal"), reference, atol=1e-12)
    y32 = fft_conv(torch.tensor(u, dtype=torch.float32), torch.tensor(k, dtype=torch.float32), mode="causal")
    assert np.abs(y32.numpy() - reference).max() < 1e-5 * np.abs(reference).max()
    unpadded = circular_conv(u, k, L)
    assert np.abs(unpadded - reference).max() > 0.5  # O(1): the tail of the response wraps onto the start
    assert np.abs(circular_conv(u, k, 2 * L - 1)[:L] - reference).max() < 1e-12  # 2L - 1 is already enough
    assert np.abs(circular_conv(u, k, 2 * L - 2)[:L] - reference).max() > 1e-6


def test_unpadded_circular_convolution_breaks_causality():
    """An impulse at the last position must not affect earlier outputs; without padding it does."""
    L = 32
    k = 0.9 ** np.arange(L)
    x = np.zeros(L)
    x[-1] = 1.0
    assert np.abs(fft_conv(x, k, mode="causal")[:-1]).max() < 1e-12
    wrapped = circular_conv(x, k, L)
    np.testing.assert_allclose(wrapped[:-1], k[1:], atol=1e-12)  # y[t] = k[t + 1]: the future leaks in


@pytest.mark.parametrize("shape_x, shape_k", [((7, 9), (3, 4)), ((8, 8), (5, 5)), ((6, 10), (1, 3)), ((4, 4), (4, 4))])
def test_circular_conv2d_matches_fft2_and_scipy_wrap(shape_x, shape_k):
    rng = np.random.default_rng(sum(shape_x) * 10 + sum(shape_k))
    x, k = rng.normal(size=shape_x), rng.normal(size=shape_k)
    y = circular_conv2d(x, k)
    np.testing.assert_allclose(y, np.fft.ifft2(np.fft.fft2(x) * np.fft.fft2(k, s=x.shape)).real, atol=1e-11)
    # scipy's 'same' output is centred: shift it by ((h - 1) // 2, (w - 1) // 2)
    wrap = scipy.signal.convolve2d(x, k, mode="same", boundary="wrap")
    shift = ((shape_k[0] - 1) // 2, (shape_k[1] - 1) // 2)
    np.testing.assert_allclose(y, np.roll(wrap, shift, axis=(0, 1)), atol=1e-11)
    # padded to H + h - 1, W + w - 1 the circular convolution is the linear one
    s = (shape_x[0] + shape_k[0] - 1, shape_x[1] + shape_k[1] - 1)
    np.testing.assert_allclose(circular_conv2d(x, k, s), scipy.signal.convolve2d(x, k), atol=1e-11)
    np.testing.assert_allclose(circular_conv2d(x, k, s), fft_conv2d(x, k), atol=1e-10)


def test_convolution_errors():
    with pytest.raises(ValueError, match="mode must be one of"):
        linear_conv([1.0], [1.0], mode="circular")
    with pytest.raises(ValueError, match="valid"):
        linear_conv(np.ones(3), np.ones(5), mode="valid")
    with pytest.raises(ValueError, match="x must be 1-D, got an array of shape \\(2, 2\\)"):
        linear_conv(np.ones((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match="n must be >= max\\(len\\(x\\), len\\(k\\)\\) = 5"):
        circular_conv(np.ones(5), np.ones(2), 4)
    with pytest.raises(ValueError, match="n must be a positive int"):
        circular_conv(np.ones(5), np.ones(2), 0)
    with pytest.raises(ValueError, match="shape must be at least \\(4, 4\\)"):
        circular_conv2d(np.ones((4, 4)), np.ones((2, 2)), (3, 4))
    with pytest.raises(ValueError, match="shape must be a pair"):
        circular_conv2d(np.ones((4, 4)), np.ones((2, 2)), (4, 4, 4))
    with pytest.raises(ValueError, match="n must be a positive int"):
        periodic_sum(np.ones(4), -2)
    with pytest.raises(ValueError, match="k must not be empty"):
        wraparound_error(np.ones(4), [], 4)
