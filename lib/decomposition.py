r"""主成分分析（PCA）：特征分解与奇异值分解两种算法，以及图像分块
（“主成分分析的三种视角”“PCA 的应用：压缩与去噪”两节）。

样本 :math:`\mathbf x_n\in\mathbb R^D` 按 *行* 排成 :math:`X`（:math:`N\times D`），中心化后记为 :math:`\tilde X`。
主方向是协方差矩阵 :math:`S=\tilde X^\top\tilde X/N` 最大的 :math:`M` 个特征值对应的特征向量
:math:`\mathbf u_1,\dots,\mathbf u_M`；也是 :math:`\tilde X=U\Sigma V^\top` 的前 :math:`M` 个 *右* 奇异向量
（讲义把样本排成列，所以在那里是左奇异向量）。
系数（主成分得分）是 :math:`a_{ni}=\mathbf u_i^\top(\mathbf x_n-\bar{\mathbf x})`，
重构 :math:`\hat{\mathbf x}_n=\bar{\mathbf x}+\sum_{i\le M}a_{ni}\mathbf u_i`，平均重构误差等于被丢掉的特征值之和：

.. math:: \frac1N\sum_n\lVert\mathbf x_n-\hat{\mathbf x}_n\rVert^2=\sum_{i>M}\lambda_i(S)
          =\operatorname{tr}S-\sum_{i\le M}\lambda_i(S).

与 scikit-learn 一致，``explained_variance_`` 用无偏的 :math:`\tilde X^\top\tilde X/(N-1)` 的特征值
（是 :math:`S` 的特征值的 :math:`N/(N-1)` 倍；比例 ``explained_variance_ratio_`` 两者相同），
并固定符号：每个主方向中绝对值最大的分量为正。

=======================  ===============================================================
``PCA``                   ``method="eig"``（:math:`S` 的特征分解）或 ``"svd"``（:math:`\tilde X` 的 SVD），
                          接口同 ``sklearn.decomposition.PCA``：``fit``/``transform``/``inverse_transform``
``svd_flip``              固定奇异向量的符号（与 ``sklearn.utils.extmath.svd_flip(u_based_decision=False)`` 相同）
``reconstruction_error``  每个样本的平均重构误差 :math:`\frac1N\sum_n\lVert\mathbf x_n-\hat{\mathbf x}_n\rVert^2`
``image_to_patches``      把灰度图切成不重叠的 :math:`s\times s` 小块，每块展平成一行
``patches_to_image``      上面的逆操作
=======================  ===============================================================

最后两个函数用在“PCA 的应用：压缩与去噪”一节。
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin

from .base import BaseEstimator, TransformerMixin, validate_data
from .utils import check_array, check_is_fitted, check_option, check_scalar

__all__ = ["svd_flip", "PCA", "reconstruction_error", "image_to_patches", "patches_to_image"]

_METHODS = ("svd", "eig")


def svd_flip(U, Vt) -> tuple[np.ndarray, np.ndarray]:
    r"""奇异向量只确定到正负号（:math:`\mathbf u_i\mathbf v_i^\top=(-\mathbf u_i)(-\mathbf v_i)^\top`）。
    这里让 ``Vt`` 每一行中绝对值最大的元素为正，``U`` 的对应列同时变号，乘积 :math:`U\Sigma V^\top` 不变。"""
    U = check_array(U, "U", ndim=2)
    Vt = check_array(Vt, "Vt", ndim=2)
    if U.shape[1] != Vt.shape[0]:
        raise ValueError(f"U must have as many columns as Vt has rows, got {U.shape} and {Vt.shape}")
    signs = np.sign(Vt[np.arange(Vt.shape[0]), np.argmax(np.abs(Vt), axis=1)])
    signs[signs == 0] = 1.0
    return U * signs, Vt * signs[:, None]


class PCA(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""主成分分析，接口同 ``sklearn.decomposition.PCA``。

    Parameters
    ----------
    n_components : ``None``（保留 :math:`\min(N,D)` 个）、正整数 :math:`M`，或 ``(0, 1)`` 中的小数——
        保留使累计解释方差比例达到它的最少主成分数（与 scikit-learn 相同）。
    method : ``"svd"``（默认）：对中心化数据做薄 SVD，:math:`\tilde X=U\Sigma V^\top`，主方向是 :math:`V` 的列，
        方差是 :math:`\sigma_i^2/(N-1)`；``"eig"``：对 :math:`\tilde X^\top\tilde X/(N-1)` 做对称特征分解
        （``numpy.linalg.eigh``），
        特征值降序排列。两者在数学上相同；SVD 不需要形成 :math:`\tilde X^\top\tilde X`，数值上更稳。
    whiten : 为 ``True`` 时 ``transform`` 再把每个主成分除以其标准差，使得分的方差为 1。

    Attributes
    ----------
    components_ : ``(M, D)``，每行一个单位长度的主方向。  explained_variance_ : 各主方向上的（无偏）方差。
    explained_variance_ratio_ : 占总方差的比例。  singular_values_ : :math:`\tilde X` 的奇异值。
    mean_ : :math:`\bar{\mathbf x}`。  n_components_ : :math:`M`。  n_samples_, n_features_in_。
    """

    def __init__(self, n_components=None, *, method: str = "svd", whiten: bool = False):
        self.n_components = n_components
        self.method = method
        self.whiten = whiten

    def _n_kept(self, ratio: np.ndarray, max_components: int) -> int:
        k = self.n_components
        if k is None:
            return max_components
        if isinstance(k, Integral) and not isinstance(k, bool):
            return int(check_scalar(k, "n_components", Integral, min_val=1, max_val=max_components))
        if isinstance(k, Real) and not isinstance(k, bool):
            check_scalar(k, "n_components", Real, min_val=0, max_val=1, include_min=False, include_max=False)
            return int(np.searchsorted(np.cumsum(ratio), k, side="right") + 1)
        raise TypeError(f"n_components must be None, an int or a float in (0, 1), got {type(k).__name__}")

    def fit(self, X, y=None) -> PCA:
        X = validate_data(self, X, dtype=np.float64)
        check_option(self.method, "method", _METHODS)
        if not isinstance(self.whiten, bool):
            raise TypeError(f"whiten must be a bool, got {self.whiten!r}")
        N, D = X.shape
        if N < 2:
            raise ValueError(f"PCA needs at least 2 samples to estimate a variance, got n_samples = {N}")
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_
        if self.method == "svd":
            U, s, Vt = np.linalg.svd(Xc, full_matrices=False)
            variance = s**2 / (N - 1)
        else:
            evals, evecs = np.linalg.eigh(Xc.T @ Xc / (N - 1))  # ascending
            order = np.argsort(evals)[::-1][: min(N, D)]
            variance = np.maximum(evals[order], 0.0)
            Vt = evecs[:, order].T
            U = np.zeros((1, len(order)))  # only its signs matter below
        _, Vt = svd_flip(U, Vt)
        total = variance.sum()
        ratio = variance / total if total > 0 else np.zeros_like(variance)
        M = self._n_kept(ratio, min(N, D))
        self.components_ = Vt[:M]
        self.explained_variance_ = variance[:M]
        self.explained_variance_ratio_ = ratio[:M]
        self.singular_values_ = np.sqrt(variance[:M] * (N - 1))
        self.n_components_ = M
        self.n_samples_ = N
        return self

    @property
    def _n_features_out(self) -> int:
        """``transform`` 输出的列数 :math:`M`，``get_feature_names_out`` 用它给列命名（``pca0``、``pca1`` ……）。"""
        return self.n_components_

    def transform(self, X) -> np.ndarray:
        r"""主成分得分 :math:`a_{ni}=\mathbf u_i^\top(\mathbf x_n-\bar{\mathbf x})`，形状 ``(N, M)``。"""
        Z = (self._validate_X(X, "components_") - self.mean_) @ self.components_.T
        return Z / np.sqrt(np.maximum(self.explained_variance_, 1e-300)) if self.whiten else Z

    def inverse_transform(self, Z) -> np.ndarray:
        r"""由得分重构 :math:`\hat{\mathbf x}=\bar{\mathbf x}+\sum_ia_i\mathbf u_i`（只用保留的 :math:`M` 个方向）。"""
        check_is_fitted(self, "components_")
        Z = check_array(Z, "Z", ndim=2)
        if Z.shape[1] != self.n_components_:
            raise ValueError(f"Z must have n_components_={self.n_components_} columns, got {Z.shape[1]}")
        if self.whiten:
            Z = Z * np.sqrt(self.explained_variance_)
        return Z @ self.components_ + self.mean_


def reconstruction_error(X, X_hat) -> float:
    r"""平均重构误差 :math:`\frac1N\sum_n\lVert\mathbf x_n-\hat{\mathbf x}_n\rVert^2`。"""
    X = check_array(X, "X", ndim=2)
    X_hat = check_array(X_hat, "X_hat", ndim=2)
    if X.shape != X_hat.shape:
        raise ValueError(f"X and X_hat must have the same shape, got {X.shape} and {X_hat.shape}")
    return float(((X - X_hat) ** 2).sum(axis=1).mean())


def image_to_patches(image, size: int) -> np.ndarray:
    r"""把 :math:`H\times W` 的灰度图切成不重叠的 ``size``×``size`` 小块（按行优先的顺序），
    每块展平成长度 ``size**2`` 的一行，返回 ``(H/size · W/size, size**2)``。
    :math:`H`、:math:`W` 须是 ``size`` 的倍数。"""
    image = check_array(image, "image", ndim=2)
    s = check_scalar(size, "size", Integral, min_val=1)
    H, W = image.shape
    if H % s or W % s:
        raise ValueError(f"image height and width must be multiples of size={s}, got shape {image.shape}")
    return image.reshape(H // s, s, W // s, s).swapaxes(1, 2).reshape(-1, s * s)


def patches_to_image(patches, image_shape, size: int) -> np.ndarray:
    """:func:`image_to_patches` 的逆：把 ``(块数, size**2)`` 的小块按原来的顺序拼回 ``image_shape`` 的图。"""
    patches = check_array(patches, "patches", ndim=2)
    s = check_scalar(size, "size", Integral, min_val=1)
    H, W = (int(v) for v in image_shape)
    if H % s or W % s:
        raise ValueError(f"image_shape must be multiples of size={s}, got {tuple(image_shape)}")
    if patches.shape != ((H // s) * (W // s), s * s):
        raise ValueError(
            f"patches must have shape {((H // s) * (W // s), s * s)} for image_shape {(H, W)} and size {s}, "
            f"got {patches.shape}"
        )
    return patches.reshape(H // s, W // s, s, s).swapaxes(1, 2).reshape(H, W)
