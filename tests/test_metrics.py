import numpy as np
import pytest
from sklearn import metrics as skm

import lib


def test_metrics_match_scikit_learn():
    rng = np.random.default_rng(0)
    y = rng.normal(size=50)
    pred = y + rng.normal(scale=0.3, size=50)
    assert np.isclose(lib.metrics.mean_squared_error(y, pred), skm.mean_squared_error(y, pred))
    assert np.isclose(lib.metrics.r2_score(y, pred), skm.r2_score(y, pred))
    labels = rng.integers(0, 3, size=40)
    guess = np.where(rng.random(40) < 0.7, labels, (labels + 1) % 3)
    assert lib.metrics.accuracy_score(labels, guess) == pytest.approx(skm.accuracy_score(labels, guess))


def test_metrics_validate_input():
    with pytest.raises(ValueError, match="same length"):
        lib.metrics.r2_score([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="constant"):
        lib.metrics.r2_score([1.0, 1.0], [1.0, 2.0])
