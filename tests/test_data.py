import numpy as np
import pytest
import torch

import lib


def test_house_prices_table_of_the_notes():
    house = lib.data.house_prices()
    assert house.X.shape == (4, 4) and len(house) == 4
    np.testing.assert_array_equal(house.X[:, 0], [2104, 1416, 1534, 852])
    np.testing.assert_array_equal(house.y, [460, 232, 315, 178])
    frame = house.frame()
    assert list(frame.columns) == ["面积", "卧室数", "楼层数", "房龄", "价格"]


def test_diabetes_and_standardization():
    raw = lib.data.diabetes()
    assert raw.X.shape == (442, 10)
    std = lib.data.diabetes(standardize=True)
    np.testing.assert_allclose(std.X.mean(0), 0.0, atol=1e-12)
    np.testing.assert_allclose(std.X.std(0), 1.0, rtol=1e-12)


def test_digits_and_tensors():
    digits = lib.data.digits()
    assert digits.X.shape == (1797, 64) and set(np.unique(digits.y)) == set(range(10))
    X, y = digits.tensors()
    assert X.dtype == torch.float32 and y.dtype == torch.long
    assert lib.data.digits(n_class=3).y.max() == 2
    with pytest.raises(ValueError, match="n_class must be <= 10"):
        lib.data.digits(n_class=11)


def test_train_test_split_is_reproducible_and_disjoint():
    d = lib.data.diabetes()
    train, test = lib.data.train_test_split(d, 0.25, rng=0)
    assert len(train) + len(test) == 442 and len(test) == 110
    train2, _ = lib.data.train_test_split(d, 0.25, rng=0)
    np.testing.assert_array_equal(train.X, train2.X)
    with pytest.raises(ValueError, match="test_fraction must be < 1"):
        lib.data.train_test_split(d, 1.0)
    with pytest.raises(ValueError, match="empty split"):
        lib.data.train_test_split(lib.data.house_prices(), 0.01)


def test_dataset_checks_consistency():
    with pytest.raises(ValueError, match="inconsistent dataset"):
        lib.data.Dataset(np.zeros((3, 2)), np.zeros(4), ("a", "b"), "y")
