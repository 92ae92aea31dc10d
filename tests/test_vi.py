"""lib.vi: the evidence identity on the normal-mean model (against SciPy), the two directions of KL,
and mean-field CAVI (monotone ELBO, exact posterior mean, under-dispersion)."""

import numpy as np
import pytest
from scipy import stats

import lib
from lib import vi


def posterior(x, mu0, tau0, sigma):
    prec = 1 / tau0**2 + x.size / sigma**2
    return (mu0 / tau0**2 + x.sum() / sigma**2) / prec, prec**-0.5


def test_evidence_and_elbo_identity():
    rng = np.random.default_rng(0)
    x = rng.normal(1.0, 2.0, 15)
    mu0, tau0, sigma = 0.5, 3.0, 2.0
    ev = vi.normal_mean_evidence(x, mu0, tau0, sigma)
    cov = sigma**2 * np.eye(15) + tau0**2 * np.ones((15, 15))
    assert np.isclose(ev, stats.multivariate_normal(mu0 * np.ones(15), cov).logpdf(x), atol=1e-10)
    mp, sp = posterior(x, mu0, tau0, sigma)
    assert np.isclose(vi.normal_mean_elbo(mp, sp, x, mu0, tau0, sigma), ev, atol=1e-10)
    for m, s in rng.normal(size=(5, 2)):
        s = abs(s) + 0.1
        kl = lib.prob.gaussian_kl([m], [[s * s]], [mp], [[sp * sp]])
        elbo = vi.normal_mean_elbo(m, s, x, mu0, tau0, sigma)
        assert np.isclose(elbo + kl, ev, atol=1e-10) and elbo < ev


def test_reverse_kl_picks_a_mode_and_forward_kl_matches_moments():
    grid = np.linspace(-6, 6, 4001)
    p = 0.5 * stats.norm(-2, 0.6).pdf(grid) + 0.5 * stats.norm(2, 0.6).pdf(grid)
    m_r, s_r = vi.fit_gaussian_to_density(grid, p, "reverse")
    m_f, s_f = vi.fit_gaussian_to_density(grid, p, "forward")
    assert abs(abs(m_r) - 2) < 0.05 and abs(s_r - 0.6) < 0.05
    assert abs(m_f) < 1e-6 and np.isclose(s_f, np.sqrt(4 + 0.36), atol=1e-3)
    with pytest.raises(ValueError, match="direction"):
        vi.fit_gaussian_to_density(grid, p, "both")


def test_cavi_normal_gamma_is_monotone_and_underdispersed():
    rng = np.random.default_rng(1)
    x = rng.normal(0.5, 1.0, 20)
    st = vi.cavi_normal_gamma(x, 0.0, 1.0, 1.0, 1.0, n_iter=30)
    assert np.all(np.diff(st.elbo) > -1e-10)
    n, xb = 20, x.mean()
    lam_n, a_n = 1 + n, 1 + n / 2
    b_n = 1 + 0.5 * np.sum((x - xb) ** 2) + n * xb**2 / (2 * lam_n)
    assert np.isclose(st.m, n * xb / lam_n)
    assert 1 / st.lam < b_n / (lam_n * (a_n - 1))  # mean field under-estimates the marginal variance of mu


def test_cavi_gmm_recovers_well_separated_means_and_raises_the_elbo():
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.normal(-4, 1, 150), rng.normal(0, 1, 150), rng.normal(4, 1, 150)])
    st = vi.cavi_gmm(x, 3, random_state=0, n_iter=40)
    assert np.all(np.diff(st.elbo) > -1e-8)
    assert np.allclose(np.sort(st.m), [-4, 0, 4], atol=0.35)
    assert np.allclose(st.phi.sum(axis=1), 1)


def test_bad_input():
    with pytest.raises(ValueError, match="tau0"):
        vi.normal_mean_evidence([1.0, 2.0], 0.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="s must be"):
        vi.normal_mean_elbo(0.0, -1.0, [1.0], 0.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="n_components"):
        vi.cavi_gmm([1.0, 2.0], 3)
    with pytest.raises(ValueError, match="NaN"):
        vi.cavi_normal_gamma([1.0, np.nan])
    with pytest.raises(ValueError, match="non-negative"):
        vi.fit_gaussian_to_density([0.0, 1.0, 2.0], [1.0, -1.0, 1.0])
