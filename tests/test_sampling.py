"""lib.sampling (2.4 Monte Carlo and importance sampling; A.4 Markov chains) against scipy, numpy and the notes."""

import numpy as np
import pytest
import scipy.stats as st
from scipy.integrate import quad
from scipy.linalg import expm, null_space

from lib.sampling import (
    MCEstimate,
    check_generator,
    check_transition_matrix,
    draw,
    effective_sample_size,
    gillespie,
    importance_sampling,
    importance_weights,
    master_equation,
    mc_integrate,
    monte_carlo,
    simulate_markov_chain,
    state_at,
    stationary_distribution,
)


def gauss_integrand(x):
    return np.exp(-(x**2))


EXACT_GAUSS_01 = quad(gauss_integrand, 0, 1)[0]  # 0.746824...


# ---------------------------------------------------------------------------------------------
# samplers and the result
# ---------------------------------------------------------------------------------------------
def test_draw_accepts_scipy_distributions_and_functions():
    x = draw(st.norm(0, 1), 5, rng=3)
    np.testing.assert_allclose(x, st.norm(0, 1).rvs(size=5, random_state=np.random.default_rng(3)))
    y = draw(lambda n, rng: rng.uniform(size=(n, 2)), 4, rng=0)
    assert y.shape == (4, 2)
    with pytest.raises(ValueError, match="must return n = 4 samples"):
        draw(lambda n, rng: rng.uniform(size=3), 4)
    with pytest.raises(TypeError, match="sampler must be a function"):
        draw(3.0, 4)
    with pytest.raises(ValueError, match="n must be >= 1"):
        draw(st.norm(), 0)
    with pytest.raises(ValueError, match="contains NaN"):
        draw(lambda n, rng: np.full(n, np.nan), 2)


def test_monte_carlo_is_unbiased_with_the_predicted_variance():
    """notes 000 §1.2: over 2000 repetitions the mean is within 3 SE of the truth, the variance matches within 5%."""
    rng = np.random.default_rng(0)
    n, reps = 100, 2000
    ests = np.array([mc_integrate(gauss_integrand, st.uniform(0, 1), n=n, rng=rng).estimate for _ in range(reps)])
    var_f = quad(lambda x: gauss_integrand(x) ** 2, 0, 1)[0] - EXACT_GAUSS_01**2  # eq. (1.5) with p = 1 on [0, 1]
    assert abs(ests.mean() - EXACT_GAUSS_01) < 3 * ests.std() / np.sqrt(reps)
    assert ests.var(ddof=1) == pytest.approx(var_f / n, rel=0.05)


def test_monte_carlo_error_falls_as_one_over_root_n():
    """notes 000 §1.2: the fitted log-log slope of |error| against n lies in [-0.6, -0.4]."""
    rng = np.random.default_rng(1)
    ns = np.array([100, 400, 1600, 6400, 25600])
    rmse = [
        np.sqrt(np.mean([(monte_carlo(lambda x: x**2, st.norm(), n, rng).estimate - 1.0) ** 2 for _ in range(200)]))
        for n in ns
    ]
    slope = np.polyfit(np.log(ns), np.log(rmse), 1)[0]
    assert -0.6 <= slope <= -0.4


def test_monte_carlo_standard_error_and_vector_valued_f():
    r = monte_carlo(lambda x: np.column_stack([x, x**2]), st.norm(1.0, 2.0), 50_000, rng=2)
    assert isinstance(r, MCEstimate) and r.ess == 50_000 and r.weights is None
    np.testing.assert_allclose(r.estimate, [1.0, 5.0], atol=4 * np.max(r.std_error))
    x = st.norm(1.0, 2.0).rvs(size=50_000, random_state=np.random.default_rng(2))
    np.testing.assert_allclose(r.std_error, [x.std(ddof=1) / np.sqrt(5e4), (x**2).std(ddof=1) / np.sqrt(5e4)])
    lo, hi = monte_carlo(lambda x: x, st.norm(), 1000, rng=0).interval()
    assert lo < hi
    with pytest.raises(ValueError, match="one value \\(or one row\\) per sample"):
        monte_carlo(lambda x: x.sum(), st.norm(), 10)
    with pytest.raises(ValueError, match="f\\(x\\) returned NaN"):
        monte_carlo(lambda x: np.where(x > 0, np.nan, x), st.norm(), 10)


# ---------------------------------------------------------------------------------------------
# integrals and importance sampling
# ---------------------------------------------------------------------------------------------
def test_mc_integrate_against_quad_and_the_quarter_disc():
    est = mc_integrate(gauss_integrand, st.uniform(0, 1), n=200_000, rng=3)
    assert abs(est.estimate - EXACT_GAUSS_01) < 4 * est.std_error
    # a Beta(1, 1.5) proposal that follows the decreasing integrand has a smaller standard error
    beta = mc_integrate(gauss_integrand, st.beta(1, 1.5), n=200_000, rng=3)
    assert abs(beta.estimate - EXACT_GAUSS_01) < 4 * beta.std_error and beta.std_error < est.std_error
    # pi as 4 x the area of the quarter disc, uniform samples on the unit square (V = 1)
    quarter = mc_integrate(
        lambda x: (np.sum(x**2, axis=1) <= 1).astype(float),
        lambda n, rng: rng.uniform(size=(n, 2)),
        lambda x: np.zeros(len(x)),
        n=400_000,
        rng=4,
    )
    assert abs(4 * quarter.estimate - np.pi) < 4 * 4 * quarter.std_error
    # integral over the real line with a Gaussian proposal: int exp(-x^2) dx = sqrt(pi)
    line = mc_integrate(gauss_integrand, st.norm(0, 1), n=100_000, rng=5)
    assert abs(line.estimate - np.sqrt(np.pi)) < 4 * line.std_error


def test_the_variance_optimal_proposal_gives_zero_variance():
    """q proportional to |f| p makes every term f p / q equal: the tail probability P(X > 3) with a truncated normal."""
    target = st.norm()
    optimal = st.truncnorm(3, np.inf)
    r = importance_sampling(lambda x: (x > 3).astype(float), optimal, target.logpdf, n=1000, rng=0)
    assert r.estimate == pytest.approx(target.sf(3), rel=1e-10)
    assert r.std_error < 1e-12


def test_importance_sampling_plain_and_self_normalised_against_exact_moments():
    target = st.norm(1.0, 0.5)
    proposal = st.norm(0.0, 2.0)
    for self_normalized in (False, True):
        # the self-normalised estimator only needs the target up to a constant: drop the normaliser
        logp = target.logpdf if not self_normalized else (lambda x: -((x - 1.0) ** 2) / (2 * 0.25))
        r = importance_sampling(
            lambda x: np.column_stack([x, x**2]), proposal, logp, n=100_000, rng=6, self_normalized=self_normalized
        )
        np.testing.assert_allclose(r.estimate, [1.0, 1.25], atol=4 * np.max(r.std_error))
        assert r.weights.sum() == pytest.approx(1.0) and 1 <= r.ess <= 100_000
    # the plain estimator by hand
    x = proposal.rvs(size=1000, random_state=np.random.default_rng(7))
    w = target.pdf(x) / proposal.pdf(x)
    r = importance_sampling(lambda x: x**3, proposal, target.logpdf, n=1000, rng=7)
    assert r.estimate == pytest.approx(np.mean(w * x**3), rel=1e-12)
    assert r.std_error == pytest.approx(np.std(w * x**3, ddof=1) / np.sqrt(1000), rel=1e-12)
    s = importance_sampling(lambda x: x**3, proposal, target.logpdf, n=1000, rng=7, self_normalized=True)
    assert s.estimate == pytest.approx(np.sum(w * x**3) / np.sum(w), rel=1e-12)
    assert s.ess == pytest.approx(np.sum(w) ** 2 / np.sum(w**2), rel=1e-12)


def test_self_normalised_estimator_over_repetitions_and_its_standard_error():
    """the delta-method standard error matches the spread of the estimator over repetitions within 10%."""
    rng = np.random.default_rng(8)
    target_unnorm = lambda x: -np.abs(x)  # noqa: E731  Laplace(0, 1) up to the factor 1/2
    results = [
        importance_sampling(lambda x: x**2, st.norm(0, 3), target_unnorm, n=2000, rng=rng, self_normalized=True)
        for _ in range(400)
    ]
    ests = np.array([r.estimate for r in results])
    assert abs(ests.mean() - 2.0) < 4 * ests.std() / np.sqrt(len(ests))  # E[x^2] = 2 for Laplace(0, 1)
    assert np.mean([r.std_error for r in results]) == pytest.approx(ests.std(ddof=1), rel=0.1)


def test_a_too_narrow_proposal_collapses_the_effective_sample_size():
    """target N(0,1), proposal N(0, 0.3^2): the weights have infinite variance (sigma_q^2 < sigma_p^2 / 2)."""
    good = importance_sampling(lambda x: x**2, st.norm(0, 1.5), st.norm().logpdf, n=20_000, rng=9)
    bad = importance_sampling(lambda x: x**2, st.norm(0, 0.3), st.norm().logpdf, n=20_000, rng=9)
    assert good.ess > 0.5 * 20_000
    assert bad.ess < 0.05 * 20_000
    assert abs(good.estimate - 1.0) < 4 * good.std_error
    # the tails, where x^2 is large, are (almost) never sampled: the estimate is far off, and its own standard
    # error does not show it
    assert bad.estimate < 0.5 and abs(bad.estimate - 1.0) > 4 * bad.std_error


def test_effective_sample_size_and_weights():
    assert effective_sample_size(np.ones(10)) == pytest.approx(10.0)
    assert effective_sample_size([0, 0, 5.0, 0]) == 1.0
    assert effective_sample_size([1.0, 3.0]) == pytest.approx(16 / 10)
    w = importance_weights(np.array([0.0, -np.inf, 1000.0, 1000.0]), np.zeros(4))  # no overflow
    np.testing.assert_allclose(w, [0.0, 0.0, 0.5, 0.5])
    with pytest.raises(ValueError, match="weights must be non-negative"):
        effective_sample_size([1.0, -0.5])
    with pytest.raises(ValueError, match="must not all be 0"):
        effective_sample_size([0.0, 0.0])
    with pytest.raises(ValueError, match="weights must not be empty"):
        effective_sample_size([])
    with pytest.raises(ValueError, match="no sample falls where the target has mass"):
        importance_weights(np.full(3, -np.inf), np.zeros(3))
    with pytest.raises(ValueError, match="log_proposal contains NaN or infinity"):
        importance_weights(np.zeros(2), np.array([0.0, -np.inf]))
    with pytest.raises(TypeError, match="proposal_logpdf is required"):
        importance_sampling(lambda x: x, lambda n, rng: rng.normal(size=n), st.norm().logpdf, n=10)
    with pytest.raises(TypeError, match="self_normalized must be a bool"):
        importance_sampling(lambda x: x, st.norm(), st.norm().logpdf, n=10, self_normalized=1)


# ---------------------------------------------------------------------------------------------
# Markov chains (appendix A.4)
# ---------------------------------------------------------------------------------------------
Q3 = np.array([[-1.0, 0.7, 0.3], [0.5, -1.5, 1.0], [0.2, 0.8, -1.0]])
P3 = np.array([[0.5, 0.3, 0.2], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])


def test_stationary_distribution_against_scipy_null_space():
    for M, gen in ((P3, False), (Q3, True)):
        pi = stationary_distribution(M, generator=gen)
        ns = null_space((M - (0 if gen else np.eye(3))).T)[:, 0]
        np.testing.assert_allclose(pi, ns / ns.sum(), rtol=1e-10)
        np.testing.assert_allclose(pi @ M, 0 if gen else pi, atol=1e-12)
    # the discrete chain's n-step distribution converges to it (P^n rows)
    np.testing.assert_allclose(np.linalg.matrix_power(P3, 200), np.tile(stationary_distribution(P3), (3, 1)))
    with pytest.raises(ValueError, match="not unique"):
        stationary_distribution(np.eye(2))
    with pytest.raises(ValueError, match="each row of P must sum to 1"):
        stationary_distribution([[0.5, 0.4], [0.5, 0.5]])
    with pytest.raises(ValueError, match="each row of Q must sum to 0"):
        stationary_distribution([[-1.0, 0.5], [1.0, -1.0]], generator=True)
    with pytest.raises(ValueError, match="jump rates"):
        check_generator([[1.0, -1.0], [1.0, -1.0]])
    with pytest.raises(ValueError, match="P must be non-negative"):
        check_transition_matrix([[1.5, -0.5], [0.5, 0.5]])


def test_simulated_chain_frequencies_match_the_n_step_distribution():
    x = simulate_markov_chain(P3, np.zeros(20_000, dtype=int), 5, rng=0)
    assert x.shape == (20_000, 6) and np.all(x[:, 0] == 0)
    p5 = np.linalg.matrix_power(P3, 5)[0]
    freq = np.bincount(x[:, -1], minlength=3) / 20_000
    assert np.all(np.abs(freq - p5) < 4 * np.sqrt(p5 * (1 - p5) / 20_000))
    # a long single path: the time average approaches the stationary distribution (ergodic theorem)
    path = simulate_markov_chain(P3, 2, 100_000, rng=1)
    assert path.shape == (100_001,)
    np.testing.assert_allclose(np.bincount(path, minlength=3) / path.size, stationary_distribution(P3), atol=0.01)
    with pytest.raises(ValueError, match="x0 must hold states in 0..2"):
        simulate_markov_chain(P3, 3, 10)
    with pytest.raises(TypeError, match="x0 must hold integer states"):
        simulate_markov_chain(P3, 0.5, 10)


def test_master_equation_against_expm_chapman_kolmogorov_and_an_ode_solver():
    from scipy.integrate import solve_ivp

    p0 = np.array([1.0, 0.0, 0.0])
    ts = np.array([0.0, 0.3, 1.0, 2.5])
    P = master_equation(Q3, p0, ts)
    np.testing.assert_allclose(P, [p0 @ expm(Q3 * t) for t in ts], rtol=1e-12)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    # Chapman-Kolmogorov: e^{Q(s+t)} = e^{Qs} e^{Qt}
    np.testing.assert_allclose(expm(Q3 * 1.3), expm(Q3 * 0.5) @ expm(Q3 * 0.8), rtol=1e-12)
    # the ODE dp/dt = p Q integrated numerically
    sol = solve_ivp(lambda t, p: p @ Q3, (0, 2.5), p0, t_eval=ts, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(P, sol.y.T, atol=1e-9)
    np.testing.assert_allclose(master_equation(Q3, p0, 60.0), stationary_distribution(Q3, generator=True), atol=1e-12)
    with pytest.raises(ValueError, match="t must be >= 0"):
        master_equation(Q3, p0, -1.0)
    with pytest.raises(ValueError, match="p0 must be a probability vector"):
        master_equation(Q3, [0.5, 0.6, 0.0], 1.0)


def test_gillespie_histogram_matches_the_master_equation():
    """notes 003 P4: the Gillespie histogram at time T agrees with p(T) = p(0) e^{QT} within 4 standard errors."""
    rng = np.random.default_rng(2)
    T, n = 1.2, 4000
    finals = np.array([state_at(*gillespie(Q3, 0, T, rng), T) for _ in range(n)])
    p_T = master_equation(Q3, np.array([1.0, 0.0, 0.0]), T)
    freq = np.bincount(finals, minlength=3) / n
    assert np.all(np.abs(freq - p_T) < 4 * np.sqrt(p_T * (1 - p_T) / n))
    # holding times in state 0 are exponential with rate -Q_00 = 1 (Kolmogorov-Smirnov test)
    holds = []
    for _ in range(2000):
        times, states = gillespie(Q3, 0, 50.0, rng)
        holds.append(times[1])
    assert st.kstest(holds, st.expon(scale=1.0).cdf).pvalue > 0.01


def test_gillespie_path_structure_and_absorbing_states():
    times, states = gillespie(Q3, 1, 10.0, rng=3)
    assert times[0] == 0 and np.all(np.diff(times) > 0) and times[-1] <= 10.0
    assert np.all(states[1:] != states[:-1])  # every recorded event is a jump to another state
    assert state_at(times, states, 0.0) == 1
    absorbing = np.array([[-1.0, 1.0], [0.0, 0.0]])
    times, states = gillespie(absorbing, 0, 100.0, rng=0)
    assert states[-1] == 1 and len(states) == 2
    with pytest.raises(ValueError, match="x0 must be a single state"):
        gillespie(Q3, np.array([0, 1]), 1.0)
    with pytest.raises(ValueError, match="times must start at 0"):
        state_at([1.0, 2.0], [0, 1], 1.5)
