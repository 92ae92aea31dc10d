"""lib.ssm (chapter 18.1-18.2) against scipy.signal, scipy.linalg.expm, torch.autograd and the notes' closed forms."""

import math

import numpy as np
import pytest
import scipy.linalg
import scipy.signal
import torch

from lib.ssm import (
    discretize,
    ema,
    impulse_response,
    memory_length,
    memory_profile,
    ssm_conv,
    ssm_kernel,
    ssm_scan,
)


def random_system(n, seed, stable=True):
    """A random continuous-time SISO system; `stable` shifts the spectrum into the left half-plane."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n))
    if stable:
        A -= (np.max(np.linalg.eigvals(A).real) + 0.5) * np.eye(n)
    return A, rng.normal(size=n), rng.normal(size=n)


SYSTEMS = [random_system(n, seed) for n, seed in [(1, 0), (2, 1), (4, 2), (8, 3)]]
SINGULAR = (np.array([[0.0, 1.0], [0.0, -1.0]]), np.array([0.0, 1.0]), np.array([1.0, 0.0]))  # A has eigenvalue 0


# ---------------------------------------------------------------------------------------------
# Discretisation
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("A, B, C", [*SYSTEMS, SINGULAR])
@pytest.mark.parametrize("dt", [0.01, 0.1, 0.7])
def test_discretize_matches_scipy_cont2discrete(A, B, C, dt):
    for method in ("zoh", "bilinear"):
        Ad, Bd = discretize(A, B, dt, method)
        ref = scipy.signal.cont2discrete((A, B[:, None], C[None, :], np.zeros((1, 1))), dt, method=method)
        np.testing.assert_allclose(Ad, ref[0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(Bd, ref[1][:, 0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("A, B, C", SYSTEMS)
def test_zoh_closed_form_for_invertible_A(A, B, C):
    dt = 0.3
    Ad, Bd = discretize(A, B, dt, "zoh")
    np.testing.assert_allclose(Ad, scipy.linalg.expm(dt * A), rtol=1e-12)
    np.testing.assert_allclose(Bd, np.linalg.solve(A, (scipy.linalg.expm(dt * A) - np.eye(len(B))) @ B), rtol=1e-9)


def test_zoh_and_bilinear_agree_to_second_order_in_dt():
    A, B, _ = SYSTEMS[2]
    gaps = []
    for dt in (0.02, 0.01):
        (Az, _), (Ab, _) = discretize(A, B, dt, "zoh"), discretize(A, B, dt, "bilinear")
        gaps.append(np.abs(Az - Ab).max())
    # both are e^{dt A} + O(dt^3): halving dt divides the gap by about 8
    assert 6 < gaps[0] / gaps[1] < 10


# ---------------------------------------------------------------------------------------------
# Kernel, scan and convolution
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("A, B, C", SYSTEMS)
def test_kernel_is_C_Abar_power_t_Bbar(A, B, C):
    Ad, Bd = discretize(A, B, 0.1)
    K = ssm_kernel(Ad, Bd, C, 30, D=0.7)
    direct = np.array([C @ np.linalg.matrix_power(Ad, t) @ Bd for t in range(30)])
    direct[0] += 0.7
    np.testing.assert_allclose(K, direct, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("A, B, C", SYSTEMS)
@pytest.mark.parametrize("method", ["zoh", "bilinear"])
def test_scan_equals_convolution(A, B, C, method):
    Ad, Bd = discretize(A, B, 0.05, method)
    u = np.random.default_rng(5).normal(size=(3, 200))  # a batch of 3 sequences
    y_scan = ssm_scan(Ad, Bd, C, u, D=0.3)
    y_conv = ssm_conv(Ad, Bd, C, u, D=0.3)
    assert y_scan.shape == y_conv.shape == (3, 200)
    np.testing.assert_allclose(y_conv, y_scan, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("A, B, C", SYSTEMS)
def test_scan_matches_scipy_dlsim_with_shifted_convention(A, B, C):
    """dlsim uses x[k+1] = A x[k] + B u[k]; ours is x_k = A x_{k-1} + B u_k, i.e. dlsim with C' = C A, D' = D + C B."""
    Ad, Bd = discretize(A, B, 0.1)
    u = np.random.default_rng(6).normal(size=50)
    D = 0.25
    _, y_ref, _ = scipy.signal.dlsim((Ad, Bd[:, None], (C @ Ad)[None, :], np.array([[D + C @ Bd]]), 0.1), u)
    np.testing.assert_allclose(ssm_scan(Ad, Bd, C, u, D=D), y_ref[:, 0], rtol=1e-10, atol=1e-12)


def test_scan_returns_states_and_uses_x0():
    A, B, C = SYSTEMS[1]
    Ad, Bd = discretize(A, B, 0.1)
    u = np.zeros(10)
    x0 = np.array([1.0, -2.0])
    y, states = ssm_scan(Ad, Bd, C, u, x0=x0, return_states=True)
    assert states.shape == (10, 2)
    for k in range(10):  # free response: x_k = A^{k+1} x_{-1}
        np.testing.assert_allclose(states[k], np.linalg.matrix_power(Ad, k + 1) @ x0, rtol=1e-12)
    np.testing.assert_allclose(y, states @ C, rtol=1e-12)


@pytest.mark.parametrize("A, B, C", SYSTEMS)
def test_kernel_is_the_impulse_response_of_the_scan(A, B, C):
    Ad, Bd = discretize(A, B, 0.2)
    impulse = np.zeros(25)
    impulse[0] = 1.0
    np.testing.assert_allclose(ssm_scan(Ad, Bd, C, impulse, D=0.5), ssm_kernel(Ad, Bd, C, 25, D=0.5), rtol=1e-12)


@pytest.mark.parametrize("A, B, C", SYSTEMS[1:])
def test_zoh_kernel_samples_the_continuous_impulse_response(A, B, C):
    """Exactly K_k = C e^{A k dt} Bbar; and K_k / dt -> C e^{A t} B with an O(dt) error."""
    t_end = 2.0
    errors = []
    for dt in (0.02, 0.01):
        Ad, Bd = discretize(A, B, dt)
        n = int(round(t_end / dt))
        K = ssm_kernel(Ad, Bd, C, n)
        t = dt * np.arange(n)
        exact = np.array([C @ scipy.linalg.expm(A * s) @ Bd for s in t])
        np.testing.assert_allclose(K, exact, rtol=1e-8, atol=1e-12)
        errors.append(np.abs(K / dt - impulse_response(A, B, C, t)).max())
    assert errors[1] < 1e-1 * np.abs(impulse_response(A, B, C, [0.0])).max() + 1e-1
    assert 1.7 < errors[0] / errors[1] < 2.3  # first order in dt


def test_impulse_response_scalar_closed_form():
    t = np.linspace(0, 3, 7)
    np.testing.assert_allclose(impulse_response([[-2.0]], [3.0], [0.5], t), 1.5 * np.exp(-2 * t), rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# EMA, memory (notes 003 P8 and 000 §5.1)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.99])
def test_ema_closed_form_and_steady_state(beta):
    a = ema(np.ones(400), beta)
    t = np.arange(400)
    np.testing.assert_allclose(a, (1 - beta ** (t + 1)) / (1 - beta), rtol=1e-12)
    # the notes: A_{n+1} = beta A_n + 1, A_0 = 0  =>  A_n = (1 - beta^n)/(1 - beta) -> 1/(1 - beta)
    A = [0.0]
    for _ in range(10):
        A.append(beta * A[-1] + 1)
    np.testing.assert_allclose(a[:10], A[1:], rtol=1e-12)
    if beta < 0.99:
        assert abs(a[-1] - 1 / (1 - beta)) < 1e-8


def test_ema_steady_state_worked_numbers():
    assert ema(np.ones(2000), 0.9)[-1] == pytest.approx(10.0, rel=1e-12)
    assert ema(np.ones(5000), 0.99)[-1] == pytest.approx(100.0, rel=1e-12)


def test_ema_is_the_scalar_ssm_and_accepts_torch():
    u = np.random.default_rng(1).normal(size=(2, 40))
    np.testing.assert_allclose(ema(u, 0.8, a0=2.0), ssm_scan([[0.8]], [1.0], [1.0], u, x0=[2.0]), rtol=1e-12)
    ut = torch.tensor(u, requires_grad=True)
    at = ema(ut, 0.8, a0=2.0)
    assert isinstance(at, torch.Tensor) and at.shape == (2, 40)
    np.testing.assert_allclose(at.detach().numpy(), ema(u, 0.8, a0=2.0), rtol=1e-12)
    assert torch.autograd.gradcheck(lambda x: ema(x, 0.8), (ut[:, :8].detach().requires_grad_(),))


@pytest.mark.parametrize("beta", [0.5, 0.9])
def test_memory_profile_of_ema_is_beta_power_n(beta):
    u = torch.randn(30, dtype=torch.float64)
    g = memory_profile(lambda x: ema(x, beta), u, t=20)
    n = np.arange(21)
    np.testing.assert_allclose(g[20 - n], beta**n, rtol=1e-12)
    assert np.all(g[21:] == 0)  # causal: the future has no influence at all


def test_memory_profile_of_ssm_is_its_kernel_and_short_conv_is_exactly_finite():
    A, B, C = SYSTEMS[2]
    Ad, Bd = discretize(A, B, 0.1)
    K = ssm_kernel(Ad, Bd, C, 40, D=0.4)
    M = torch.tensor(scipy.linalg.toeplitz(K, np.zeros(40)))  # the lower-triangular Toeplitz matrix of the SSM
    g = memory_profile(lambda x: M @ x, torch.randn(40, dtype=torch.float64), t=39)
    np.testing.assert_allclose(g[::-1], np.abs(K), rtol=1e-12)

    w = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)  # a causal conv with 3 taps: memory exactly 3
    conv = lambda x: torch.nn.functional.conv1d(x[None, None], w.flip(0)[None, None], padding=2)[0, 0, : len(x)]
    g = memory_profile(conv, torch.randn(20, dtype=torch.float64), t=10)
    np.testing.assert_allclose(g[10 - np.arange(3)], np.abs(w.numpy()), rtol=1e-12)
    assert np.all(g[:8] == 0) and np.all(g[11:] == 0)
    assert memory_length(g[10::-1], eps=1e-12) == 2


def test_memory_profile_multichannel_uses_frobenius_norm():
    W = torch.randn(3, 3, dtype=torch.float64)
    g = memory_profile(lambda x: x @ W.T, torch.randn(5, 3, dtype=torch.float64), t=2)
    np.testing.assert_allclose(g, [0, 0, torch.linalg.norm(W).item(), 0, 0], atol=1e-12)


@pytest.mark.parametrize("beta, eps", [(0.9, 1e-2), (0.5, 1e-3), (0.99, 0.05)])
def test_memory_length_of_ema(beta, eps):
    kernel = beta ** np.arange(2000)
    assert memory_length(kernel, eps) == math.floor(math.log(eps) / math.log(beta))


# ---------------------------------------------------------------------------------------------
# Errors name the argument, what was expected and what was received
# ---------------------------------------------------------------------------------------------
def test_errors():
    A, B, C = SYSTEMS[1]
    with pytest.raises(ValueError, match="A must be a square matrix, got shape"):
        discretize(np.ones((2, 3)), B, 0.1)
    with pytest.raises(ValueError, match="B must have 2 entries to match A"):
        discretize(A, np.ones(3), 0.1)
    with pytest.raises(ValueError, match="C must have 2 entries"):
        ssm_kernel(A, B, np.ones(5), 10)
    with pytest.raises(ValueError, match="dt must be > 0, got 0"):
        discretize(A, B, 0.0)
    with pytest.raises(ValueError, match="method must be one of .*'euler'"):
        discretize(A, B, 0.1, "euler")
    with pytest.raises(TypeError, match="length must be a integral"):
        ssm_kernel(A, B, C, 2.5)
    with pytest.raises(ValueError, match="u must have at least one dimension"):
        ssm_scan(A, B, C, 1.0)
    with pytest.raises(ValueError, match="x0 must have 2 entries"):
        ssm_scan(A, B, C, np.ones(4), x0=np.ones(3))
    with pytest.raises(ValueError, match="u contains NaN"):
        ssm_conv(A, B, C, np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="beta must be < 1, got 1.0"):
        ema(np.ones(3), 1.0)
    with pytest.raises(ValueError, match="t must be non-negative"):
        impulse_response(A, B, C, [-1.0, 0.0])
    with pytest.raises(TypeError, match="u must be a torch.Tensor, got ndarray"):
        memory_profile(lambda x: x, np.ones(3), 0)
    with pytest.raises(ValueError, match=r"t must be an int in \[0, 2\], got 3"):
        memory_profile(lambda x: x, torch.ones(3), 3)
    with pytest.raises(ValueError, match="fn\\(u\\) must return a tensor with time"):
        memory_profile(lambda x: x.sum(), torch.ones(3), 0)
    with pytest.raises(ValueError, match="eps must be > 0"):
        memory_length(np.ones(3), 0.0)
