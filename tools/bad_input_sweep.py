"""坏输入扫描：对 lib 的每个公开可调用对象，一次换一个参数为坏值，分类结果。

用法：``nice -n 10 python tools/bad_input_sweep.py --out _build/reports/bad-input.json [--modules lib.hyena ...]
[--phases call method]``（全部模块约 2 分钟）。输出 JSON 的 ``overall``/``per_phase``/``per_module`` 是计数，
``records`` 是每次调用（``phase``、``module``、``callable``、``method``、``param``、``bad``、``outcome``、``detail``）。

- 自动发现 ``lib`` 下的所有模块（新模块自动包括）；公开名 = ``__all__`` 或不以 ``_`` 开头、定义在该模块中的函数与类。
- 有效调用：签名默认值 + ``_valid_table``（按参数名）；有效调用本身失败的对象记为 ``skipped``。
  dataclass 的结果记录（``History`` 之类）不是输入的入口，不扫；``IN_DOMAIN`` 列出对某些参数其实合法的"坏值"
  （``tol=0``、``random_state=10**12``、``n_estimators=10**12`` ……），不调用、不计数。
- 坏值逐一替换一个参数；调用在一个长驻子进程中执行（超时 ``--timeout`` 秒或崩溃后重启；内存上限 3 GiB）。
- 分类：``clear``（ValueError/TypeError/IndexError/NotFittedError 且消息把参数名作为一个词点出）、
  ``unclear``（其他异常，或消息不含参数名）、``accepted``（坏值被默默接受并正常返回）、``hang``（超时）。
- 估计器（``sklearn.base.BaseEstimator`` 的子类）按 scikit-learn 的约定在 ``__init__`` 里不检查：构造阶段对它们是
  "坏超参数构造 + 用有效数据 ``fit``"。
- 方法阶段（``phase="method"``）：估计器用有效数据 ``fit`` 之后，逐一把 ``fit``/``predict``/``predict_proba``/
  ``transform``/``score``/``sample`` …… 的一个参数换成坏值（X 含 NaN/inf、维数不对、空、字符串、参差列表、预测时
  特征数不对；y 长度不对、含 NaN、二维、连续值给分类器；``n_samples`` 非法），以及 fit 之前调用（应为
  ``NotFittedError``）；torch 模块用 ``MODULE_SPECS`` 里的构造参数与有效输入，逐一换成坏张量（维数、特征/通道数、
  float64（参数是 float32）、整数 dtype、NumPy 数组、越界的下标、批大小不一致）。forward 里的 NaN 是合法输入，不扫。
  某个坏值对某个参数其实合法（例如 ``Linear`` 类模块接受任意多的前导维）时写在规格的 ``ok`` 里，不生成。
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import inspect
import json
import math
import multiprocessing as mp
import pkgutil
import re
import resource
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

SKIP_MODULES = ("lib.widgets", "lib.plot", "lib.triton_kernels", "lib.fonts", "lib.checkpoints", "lib.results")


def _valid_table():
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = (X[:, 0] > 0).astype(int)
    import torch

    g = torch.Generator().manual_seed(0)
    return {
        "u": torch.randn(1, 2, 8, generator=g),
        "k": torch.randn(2, 8, generator=g),
        "input": torch.randn(1, 1, 4, 4, generator=g),
        "X": X,
        "y": y,
        "x": X,
        "a": rng.normal(size=8),
        "b": rng.normal(size=3),
        "signal": rng.normal(size=8),
        "kernel": rng.normal(size=3),
        "n": 20,
        "n_samples": 20,
        "seed": 0,
        "y_true": y,
        "y_pred": y,
        "labels": y,
    }


def _bad_values():
    import numpy as np

    return [
        ("None", None),
        ("nan", math.nan),
        ("inf", math.inf),
        ("neg", -1),
        ("zero", 0),
        ("huge", 10**12),
        ("str", "bad"),
        ("empty", np.empty((0,))),
        ("nan_array", np.array([[math.nan, 1.0], [2.0, 3.0]])),
    ]


# 扫描的"坏值"对这些参数其实在定义域内（按参数名，或 "可调用对象.参数名"）：不调用、不计数。
# 例如 tol=0（一直迭代到 max_iter）、alpha=0（不正则化）、random_state=0/10**12（合法的种子）、
# coef0 < 0、C=inf（硬间隔）、max_iter/n_estimators/n_init = 10**12（用户要的就是这么多轮；会跑很久，但不是坏输入）。
_SEEDS = {"random_state", "seed", "rng"}
IN_DOMAIN = {
    "zero": _SEEDS
    | {"tol", "min_delta", "noise", "noise_std", "alpha", "reg_covar", "min_impurity_decrease", "coef0", "dropout"}
    | {"p", "min_share", "s", "std", "depth", "degree", "max_depth", "max_iter", "SVC.max_iter", "shift"}
    | {"padding", "output_padding", "num_inner_mlps", "momentum", "w", "GaussianOptimalDenoiser.mean", "mu0"}
    # ViT.num_classes=0：不要分类头，输出表示
    | {"beta_bernoulli_map.k", "ViT.num_classes", "LSTM.proj_size", "BernoulliNB.binarize"},
    "huge": _SEEDS
    | {"max_iter", "patience", "n_splits", "alpha", "C", "tol", "gamma", "bandwidth", "width", "beta", "eta0"}
    | {"learning_rate", "noise", "noise_std", "std", "radius", "s", "base", "min_samples_leaf", "min_samples_split"}
    | {"max_depth", "degree", "reg_covar", "min_delta", "sigma", "tau0", "coef0", "min_impurity_decrease", "groups"}
    | {"n_estimators", "n_init", "bootstrap_exclusion_probability.n", "fft_size.n", "lasso_path.eps"}
    | {"eps", "slow_decay_pct", "w", "GaussianOptimalDenoiser.mean", "shift", "divisor_override"}
    | {"a", "b", "a0", "b0", "lam0", "tau_init", "mu0", "lr", "noise_variance", "n_iter", "n_steps"}
    # 狄利克雷先验的集中度可以很大
    | {
        "beta_bernoulli_map.n",
        "layer_norm_eps",
        "BernoulliNB.binarize",
        "startprob_prior",
        "transmat_prior",
        "emissionprob_prior",
    },
    "neg": {"BernoulliNB.binarize", "coef0", "SVC.max_iter", "shift", "w", "GaussianOptimalDenoiser.mean", "mu0"},
    "inf": {"C"},
    "empty": {"attention_levels", "beta_bernoulli_posterior.x"},  # 没有数据时后验就是先验
    "None": {
        "BernoulliNB.binarize",
        "max_features",
        "digits_tensors.dtype",
        "digits_tensors.seed",
        "y_dtype",
        "ndim",
        "check_array.dtype",
    }
    # momentum=None：累积平均（同 torch）；池化的 stride=None：等于 kernel_size；init=None：torch 的默认初始化
    | {"momentum", "stride", "Autoencoder.init"},
    # 张量运算（与 torch 的算子一样）让 NaN 原样传播：forward 一类的输入里 NaN 是合法值
    "nan_array": {"dilate.x", "fft_conv2d.x", "fft_conv2d.k", "fft_conv.x", "fft_conv.k"},
    "str": {"check_array.name"},  # 参数名本身就是字符串
}
IN_DOMAIN["zero"] = IN_DOMAIN["zero"] | {"check_array.ndim"}  # 0-D 数组是合法的期望
IN_DOMAIN["huge"] = IN_DOMAIN["huge"] | {"check_array.ndim"}

# 逐元素的函数：标量 z（负、零、很大）是合法输入
_ELEMENTWISE = ("sigmoid", "log_sigmoid", "logistic_loss", "zero_one_loss", "hinge_loss", "hinge_subgradient")
_ELEMENTWISE += ("hard_margin_loss", "gaussian_logpdf")
for _label in ("neg", "zero", "huge"):
    IN_DOMAIN[_label] = IN_DOMAIN[_label] | {f"{f}.z" for f in _ELEMENTWISE} | {"softmax.Z", "mean"}
IN_DOMAIN["neg"] = IN_DOMAIN["neg"] | {"b", "axis"}
IN_DOMAIN["zero"] = IN_DOMAIN["zero"] | {"b", "axis", "bernoulli_logpmf.z"}
IN_DOMAIN["huge"] = IN_DOMAIN["huge"] | {"var", "temperature"}
IN_DOMAIN["None"] = IN_DOMAIN["None"] | {"axis"}  # NumPy：axis=None 是对所有元素
# 文本：pad_id=None 是不补齐、0 是合法的 id；k=0 是最大似然；很大的 k、min_count、max_df、max_features 都合法
# （分别是极强的平滑、全部记为 <unk>、不剪枝）；空的停用词表就是不去停用词；norm=None 是不归一化（同 scikit-learn）
IN_DOMAIN["None"] = IN_DOMAIN["None"] | {"pad_id", "TfidfVectorizer.norm"}
IN_DOMAIN["zero"] = IN_DOMAIN["zero"] | {"pad_id", "NGramLM.k", "Word2Vec.power"}  # power=0：均匀的噪声分布
IN_DOMAIN["huge"] = IN_DOMAIN["huge"] | {"NGramLM.k", "NGramLM.min_count", "max_df", "max_features"}
IN_DOMAIN["empty"] = IN_DOMAIN["empty"] | {"stop_words"}


def _in_domain(name, param, label):
    allowed = IN_DOMAIN.get(label, ())
    return param in allowed or f"{name}.{param}" in allowed


def discover(only=None):
    import lib

    names = ["lib"] + [m.name for m in pkgutil.walk_packages(lib.__path__, "lib.")]
    out = []
    for modname in sorted(names):
        if modname.startswith(SKIP_MODULES) or (only and not modname.startswith(tuple(only))):
            continue
        try:
            mod = importlib.import_module(modname)
        except Exception:
            continue
        public = getattr(mod, "__all__", None) or [n for n in vars(mod) if not n.startswith("_")]
        for name in public:
            obj = getattr(mod, name, None)
            if dataclasses.is_dataclass(obj):  # 结果记录（History 之类）：字段原样保存，不是输入的入口
                continue
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == modname:
                out.append((modname, name))
    return out


def _plan(modname, name):
    """有效关键字参数与要扰动的参数名；无法构造有效调用时返回 None。"""
    obj = getattr(importlib.import_module(modname), name)
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    table = _valid_table()
    # 构造参数没有默认值的类：用方法阶段的规格里的构造参数（MultiHeadAttention(d_model=8, n_heads=2) ……）
    if not CALL_SPECS:
        CALL_SPECS.update(_call_specs())
    spec = CALL_SPECS.get(f"{modname}.{name}", CALL_SPECS.get(name, dict))
    per_class = MODULE_SPECS[name][0]() if name in MODULE_SPECS else spec()
    kwargs = {}
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name == "self":
            continue
        if p.name in per_class:
            kwargs[p.name] = per_class[p.name]
        elif p.default is not inspect.Parameter.empty:
            kwargs[p.name] = p.default
        elif p.name in table:
            kwargs[p.name] = table[p.name]
        else:
            return None
    return kwargs


def _call_specs():
    import numpy as np
    import torch

    rng = np.random.default_rng(0)
    g = torch.Generator().manual_seed(0)
    s8, k3 = rng.normal(size=8), rng.normal(size=3)
    x20 = rng.normal(size=20)
    X = rng.normal(size=(20, 3))
    y01, ypm, w3 = (X[:, 0] > 0).astype(int), np.where(X[:, 0] > 0, 1, -1), rng.normal(size=3)
    Y3, W33 = np.eye(3)[rng.integers(3, size=20)], rng.normal(size=(3, 3))
    p3, q3 = np.array([0.2, 0.3, 0.5]), np.array([0.3, 0.3, 0.4])
    return {
        "sine_function": lambda: dict(x=np.linspace(0, 1, 8)),
        "digits_to_images": lambda: dict(X=rng.uniform(0, 16, size=(4, 64))),
        "fft_radix2": lambda: dict(x=s8),
        "ifft_radix2": lambda: dict(X=np.fft.fft(s8)),
        "linear_conv": lambda: dict(x=s8, k=k3),
        "circular_conv": lambda: dict(x=s8, k=k3),
        "fft_conv": lambda: dict(x=s8, k=k3),
        "wraparound_error": lambda: dict(x=s8, k=k3, n=8),
        "causal_toeplitz": lambda: dict(k=k3),
        "causal_fft_conv": lambda: dict(u=torch.randn(1, 2, 8, generator=g), k=torch.randn(2, 8, generator=g)),
        "monarch_factors": lambda: dict(n=64),
        "monarch_permutation": lambda: dict(factors=(4, 2)),
        "monarch_fft": lambda: dict(x=torch.randn(2, 8, generator=g)),
        "monarch_kernel_spectrum": lambda: dict(k=torch.randn(2, 8, generator=g), L=8),
        "monarch_causal_conv": lambda: dict(u=torch.randn(1, 2, 8, generator=g), k=torch.randn(2, 8, generator=g)),
        "fft_conv2d_multichannel": lambda: dict(
            x=torch.randn(1, 2, 6, 6, generator=g), k=torch.randn(3, 2, 3, 3, generator=g)
        ),
        "fit_1d_closed_form": lambda: dict(x=x20, y=2 * x20 + 1),
        "gaussian_log_likelihood": lambda: dict(y=x20, y_pred=0.9 * x20),
        "dropout": lambda: dict(x=torch.randn(5, 4, generator=g)),
        "beta_bernoulli_posterior": lambda: dict(x=np.array([0, 1, 1, 0, 1])),
        "beta_bernoulli_map": lambda: dict(k=3, n=10, a=2.0, b=2.0),
        "fit_linear_svm_subgradient": lambda: dict(X=X, y=np.where(X[:, 0] > 0, 1, -1), n_steps=50),
        "cavi_normal_gamma": lambda: dict(x=x20),
        # 聚类、逻辑回归、SVM 的函数形式
        "squared_distances": lambda: dict(X=X, centers=X[:3]),
        "assign_clusters": lambda: dict(X=X, centers=X[:3]),
        "kmeans_objective": lambda: dict(X=X, centers=X[:3]),
        "init_centers": lambda: dict(X=X, n_clusters=3),
        "soft_assign": lambda: dict(X=X, centers=X[:3], beta=1.0),
        "soft_kmeans_objective": lambda: dict(X=X, centers=X[:3], beta=1.0),
        "sigmoid": lambda: dict(z=s8),
        "log_sigmoid": lambda: dict(z=s8),
        "logsumexp": lambda: dict(Z=X),
        "softmax": lambda: dict(Z=X),
        "log_softmax": lambda: dict(Z=X),
        "lib.linear.logistic.logistic_loss": lambda: dict(X=X, y=y01, w=w3),
        "logistic_grad": lambda: dict(X=X, y=y01, w=w3),
        "logistic_hessian": lambda: dict(X=X, w=w3),
        "sigmoid_mse_loss": lambda: dict(X=X, y=y01, w=w3),
        "sigmoid_mse_grad": lambda: dict(X=X, y=y01, w=w3),
        "sigmoid_mse_hessian": lambda: dict(X=X, y=y01, w=w3),
        "softmax_loss": lambda: dict(X=X, Y=Y3, W=W33),
        "softmax_grad": lambda: dict(X=X, Y=Y3, W=W33),
        "softmax_hessian": lambda: dict(X=X, W=W33),
        "signed_distance": lambda: dict(X=X, w=w3, b=0.5),
        "geometric_margin": lambda: dict(X=X, y=ypm, w=w3, b=0.5),
        "zero_one_loss": lambda: dict(z=s8),
        "hinge_loss": lambda: dict(z=s8),
        "hinge_subgradient": lambda: dict(z=s8),
        "lib.svm.logistic_loss": lambda: dict(z=s8),
        "hard_margin_loss": lambda: dict(z=s8),
        # 概率
        "entropy": lambda: dict(p=p3),
        "cross_entropy": lambda: dict(p=p3, q=q3),
        "kl_divergence": lambda: dict(p=p3, q=q3),
        "js_divergence": lambda: dict(p=p3, q=q3),
        "bayes_rule": lambda: dict(prior=np.array([0.5, 0.5]), likelihood=np.array([0.2, 0.6])),
        "additive_smoothing": lambda: dict(counts=np.array([1, 2, 3])),
        "gaussian_entropy": lambda: dict(cov=np.eye(2)),
        "gaussian_kl": lambda: dict(mean1=np.zeros(2), cov1=np.eye(2), mean2=np.ones(2), cov2=2 * np.eye(2)),
        "gaussian_w2": lambda: dict(mean1=np.zeros(2), cov1=np.eye(2), mean2=np.ones(2), cov2=2 * np.eye(2)),
        "gaussian_logpdf": lambda: dict(z=s8),
        "mvn_logpdf": lambda: dict(Z=X[:, :2], mean=np.zeros(2), cov=np.eye(2)),
        "bernoulli_logpmf": lambda: dict(z=np.array([0, 1, 1]), p=0.3),
        "bernoulli_mle": lambda: dict(z=np.array([0, 1, 1])),
    }


# 有效参数不能从 _valid_table 按名字得到的函数：逐个给出（_plan 里按需建，导入本文件时不导入 torch）
CALL_SPECS = {}


def _names_argument(msg, param):
    """参数名作为一个词出现在消息里（``X`` 不因 "expected" 里的 x 而算点名）。"""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(param)}(?![A-Za-z0-9_])", msg, re.IGNORECASE) is not None


# FileNotFoundError：缺文件时 Python 的惯例异常（消息点名参数与路径时算清楚）
CLEAR_TYPES = ("ValueError", "TypeError", "IndexError", "NotFittedError", "FileNotFoundError")


def _classify(fn, param, may_accept=False):
    try:
        out = fn()
        if inspect.isgenerator(out):  # staged_predict 等：消费掉才真正计算
            list(out)
    except Exception as e:  # noqa: BLE001
        kind = type(e).__name__
        names = (param,) if isinstance(param, str) else param
        ok = kind in CLEAR_TYPES and (param is None or any(_names_argument(str(e), p) for p in names))
        return ("clear" if ok else "unclear", f"{kind}: {str(e)[:160]}")
    return ("valid" if may_accept else "accepted", "")


def _is_estimator(obj):
    from sklearn.base import BaseEstimator

    return inspect.isclass(obj) and issubclass(obj, BaseEstimator)


def _call(modname, name, kwargs, param):
    obj = getattr(importlib.import_module(modname), name)
    if _is_estimator(obj):  # scikit-learn 约定：超参数在 fit 里检查
        return _classify(lambda: _fit_valid(obj(**kwargs)), param)
    return _classify(lambda: obj(**kwargs), param)


# ---------------------------------------------------------------------------------------------
# 方法阶段：估计器
# ---------------------------------------------------------------------------------------------
ESTIMATOR_CTOR = {  # 无默认值可构造、或默认值太慢的估计器
    "OneVsRestClassifier": lambda: dict(estimator=__import__("lib.linear", fromlist=["x"]).LogisticRegression()),
    "RandomForestClassifier": lambda: dict(n_estimators=5),
    "BaggingClassifier": lambda: dict(n_estimators=5),
    "AdaBoostClassifier": lambda: dict(n_estimators=5),
}
ESTIMATOR_METHODS = (
    "fit",
    "fit_predict",
    "fit_transform",
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
    "inverse_transform",
    "score",
    "score_samples",
    "sample",
    "apply",
    "staged_predict",
    "staged_decision_function",
    "staged_score",
    "bic",
    "aic",
    "objective",
)
FIT_LIKE = ("fit", "fit_predict", "fit_transform")


def _estimator_data(est):
    import numpy as np
    from sklearn.base import is_classifier, is_regressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    if type(est).__name__ in TEXT_ESTIMATORS:  # 文本向量化：一列原始文档（同 scikit-learn）
        return list(DOCS), None
    if type(est).__name__ == "CategoricalHMM":  # 符号序列：每行一个 0..2 的整数（同 hmmlearn）
        return rng.integers(0, 3, size=(30, 1)), None
    if type(est).__name__ == "MultinomialNB":  # 计数特征
        X = rng.poisson(3.0, size=(30, 3)).astype(float)
    if is_classifier(est):
        y = (X[:, 0] + 0.3 * X[:, 1] > 0).astype(int)
    elif is_regressor(est):
        y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=30)
    else:
        y = None
    return X, y


TEXT_ESTIMATORS = ("CountVectorizer", "TfidfVectorizer")
DOCS = ("the cat sat on the mat", "a dog sat on a log", "the cat saw a dog", "dogs and cats")


def _bad_docs(at_fit):
    """原始文档参数的坏值：单个字符串（scikit-learn 也拒绝）、非字符串元素、嵌套列表、空列表（fit 时）。"""
    out = [("None", None), ("str", "the cat sat"), ("ints", [1, 2, 3]), ("nested", [["the", "cat"], ["a", "dog"]])]
    if at_fit:
        out.append(("empty", []))
    return out


def _fit_valid(est):
    X, y = _estimator_data(est)
    return est.fit(X) if y is None else est.fit(X, y)


def _make_estimator(obj):
    return obj(**ESTIMATOR_CTOR.get(obj.__name__, dict)())


def _method_args(est, method, fitted):
    """方法的有效参数（按参数名）。"""
    X, y = _estimator_data(est)
    sig = inspect.signature(getattr(est, method))
    kwargs = {}
    for p in sig.parameters.values():
        if p.name in ("X", "Z"):
            kwargs[p.name] = est.transform(X) if p.name == "Z" else X
        elif p.name == "raw_documents":
            kwargs[p.name] = X
        elif p.name == "y" and (y is not None or p.default is inspect.Parameter.empty):
            kwargs["y"] = y
        elif p.name == "n_samples":
            kwargs["n_samples"] = 5
    return kwargs


def _bad_X(X, tags, at_fit):
    import numpy as np

    out = [("None", None), ("inf", np.where(np.arange(X.size).reshape(X.shape) == 0, np.inf, X))]
    if not tags.input_tags.allow_nan:
        out.append(("nan", np.where(np.arange(X.size).reshape(X.shape) == 0, np.nan, X)))
    out += [("ndim1", X[:, 0]), ("ndim3", X[:, :, None]), ("empty", X[:0])]
    if X.shape[1] > 1:  # 一列的数据（HMM 的符号序列）截成一个元素还是同样的形状，不算参差
        out.append(("ragged", [list(X[0]), list(X[1, :1])]))
    if not tags.input_tags.string:
        out.append(("str", np.full(X.shape, "bad")))
    if not at_fit:
        out.append(("n_features", X[:, :-1]))
    return out


def _bad_y(y, est):
    import numpy as np
    from sklearn.base import is_classifier

    out = [("short", y[:-1]), ("nan", np.where(np.arange(y.size) == 0, np.nan, y.astype(float)))]
    out.append(("None", None))
    if is_classifier(est):
        out.append(("continuous", np.linspace(0.0, 1.0, y.size) + 0.123))
        out.append(("ndim2", np.c_[y, y]))
    else:
        out.append(("str", np.full(y.shape, "bad")))
    return out


def _bad_count():
    return [("None", None), ("nan", math.nan), ("neg", -1), ("zero", 0), ("float", 2.5), ("str", "bad")]


def _estimator_cases(obj):
    """(method, param, bad label, fitted, may_accept) 的清单；坏值本身在子进程里按标签重建。"""
    from sklearn.utils import get_tags

    est = _make_estimator(obj)
    X, y = _estimator_data(est)
    tags = get_tags(est)
    cases = []
    for m in ESTIMATOR_METHODS:
        if not hasattr(est, m):
            continue
        at_fit = m in FIT_LIKE
        if not at_fit:
            cases.append((m, None, "before_fit", False, False))
        fitted = not at_fit
        try:
            e = _fit_valid(_make_estimator(obj)) if fitted else _make_estimator(obj)
            args = _method_args(e, m, fitted)
            out = getattr(e, m)(**args)
            if inspect.isgenerator(out):
                list(out)
        except Exception:  # noqa: BLE001 - 有效调用失败（如 GaussianMixture 之外的 sample）：不扫
            cases.append((m, None, "valid_call_fails", fitted, False))
            continue
        for p in args:
            if p in ("X", "Z"):
                labels = [lab for lab, _ in _bad_X(X if p == "X" else e.transform(X), tags, at_fit)]
            elif p == "raw_documents":
                labels = [lab for lab, _ in _bad_docs(at_fit)]
            elif p == "y":
                labels = [lab for lab, _ in _bad_y(y, est)]
            else:
                labels = [lab for lab, _ in _bad_count()]
            cases += [(m, p, lab, fitted, False) for lab in labels]
        if at_fit and y is not None and "y" in args:
            cases.append((m, "y", "one_class", fitted, True))  # 可以报错，也可以学会只预测这一类
    return cases


def _call_estimator(modname, name, method, param, label, fitted):
    import numpy as np
    from sklearn.utils import get_tags

    obj = getattr(importlib.import_module(modname), name)
    e = _make_estimator(obj)
    if label == "valid_call_fails":
        return ("unclear", "the valid call fails")
    if fitted:
        _fit_valid(e)
    X, y = _estimator_data(e)
    args = (
        _method_args(e, method, fitted)
        if label != "before_fit"
        else _method_args(_fit_valid(_make_estimator(obj)), method, True)
    )
    may_accept = False
    if param in ("X", "Z"):
        base = args[param]
        args[param] = dict(_bad_X(base, get_tags(e), method in FIT_LIKE))[label]
    elif param == "raw_documents":
        args[param] = dict(_bad_docs(method in FIT_LIKE))[label]
    elif param == "y" and label == "one_class":
        args["y"], may_accept = np.zeros_like(y), True
    elif param == "y":
        args["y"] = dict(_bad_y(y, e))[label]
    elif param is not None:
        args[param] = dict(_bad_count())[label]
    out = _classify(lambda: getattr(e, method)(**args), param, may_accept)
    if label == "before_fit" and out[0] == "clear" and not out[1].startswith("NotFittedError"):
        out = ("unclear", out[1])
    return out


# ---------------------------------------------------------------------------------------------
# 方法阶段：torch 模块
# ---------------------------------------------------------------------------------------------
def _t(*shape, dtype=None):
    import torch

    g = torch.Generator().manual_seed(0)
    return torch.randn(*shape, generator=g, dtype=dtype or torch.float32)


def _i(high, *shape):
    import torch

    return torch.randint(0, high, shape, generator=torch.Generator().manual_seed(0))


def _diffusion():
    from lib.diffusion import GaussianDiffusion, linear_beta_schedule

    return GaussianDiffusion(linear_beta_schedule(10))


# 参数规格：("f", 固定的维 "last"/"chan"/None, ok) 浮点输入；("i", 上界, ok) 下标输入；("s", 上界) 整数标量。
# ok：对这个参数其实合法的变体（不生成），例如 Linear 类模块接受任意前导维（"ndim+"）、卷积接受无批维（"ndim-"）。
F_LAST, F_CHAN = ("f", "last", ()), ("f", "chan", ("ndim-",))
_X0 = ("f", None, ("f64", "ndim+"))  # GaussianDiffusion 接受 (B, ...) 的任意浮点数据
_T_DIFF = ("i", 11, ("ndim-",))  # t = 0..T（t = 0 是数据本身），标量 t 对整批用同一步
MODULE_SPECS = {
    "GaussianDiffusion": (
        lambda: dict(betas=__import__("lib.diffusion", fromlist=["x"]).linear_beta_schedule(10)),
        {
            "q_sample": {"x0": (lambda: _t(4, 2), _X0), "t": (lambda: _i(10, 4) + 1, _T_DIFF)},
            "q_mean_variance": {"x0": (lambda: _t(4, 2), _X0), "t": (lambda: _i(10, 4) + 1, _T_DIFF)},
            "q_posterior": {
                "x0": (lambda: _t(4, 2), _X0),
                "xt": (lambda: _t(4, 2), _X0),
                "t": (lambda: _i(10, 4) + 1, _T_DIFF),
            },
            "predict_x0_from_eps": {
                "xt": (lambda: _t(4, 2), _X0),
                "t": (lambda: _i(10, 4) + 1, _T_DIFF),
                "eps": (lambda: _t(4, 2), _X0),
            },
            "predict_eps_from_x0": {
                "xt": (lambda: _t(4, 2), _X0),
                "t": (lambda: _i(10, 4) + 1, _T_DIFF),
                "x0": (lambda: _t(4, 2), _X0),
            },
            "v_target": {
                "x0": (lambda: _t(4, 2), _X0),
                "t": (lambda: _i(10, 4) + 1, _T_DIFF),
                "eps": (lambda: _t(4, 2), _X0),
            },
        },
    ),
    "MultiHeadAttention": (
        lambda: dict(d_model=8, n_heads=2),
        {
            "forward": {"u": (lambda: _t(2, 5, 8), F_LAST)},
            "attention_weights": {"u": (lambda: _t(2, 5, 8), F_LAST)},
        },
    ),
    "Autoencoder": (
        lambda: dict(sizes=(6, 4, 2)),
        {
            "forward": {"x": (lambda: _t(3, 6), ("f", "last", ("ndim+",)))},
            "encode": {"x": (lambda: _t(3, 6), ("f", "last", ("ndim+",)))},
            "decode": {"h": (lambda: _t(3, 2), ("f", "last", ("ndim+",)))},
        },
    ),
    "Conv2d": (
        lambda: dict(in_channels=2, out_channels=3, kernel_size=3),
        {"forward": {"x": (lambda: _t(1, 2, 6, 6), F_CHAN)}},
    ),
    "ConvTranspose2d": (
        lambda: dict(in_channels=2, out_channels=3, kernel_size=3),
        {"forward": {"x": (lambda: _t(1, 2, 6, 6), F_CHAN)}},
    ),
    "MaxPool2d": (
        lambda: dict(kernel_size=2),
        {"forward": {"x": (lambda: _t(1, 2, 6, 6), ("f", None, ("ndim-", "f64")))}},
    ),
    "AvgPool2d": (
        lambda: dict(kernel_size=2),
        {"forward": {"x": (lambda: _t(1, 2, 6, 6), ("f", None, ("ndim-", "f64")))}},
    ),
    "GlobalAvgPool2d": (dict, {"forward": {"x": (lambda: _t(1, 2, 6, 6), ("f", None, ("f64",)))}}),
    "DepthwiseSeparableConv2d": (
        lambda: dict(in_channels=2, out_channels=3, kernel_size=3),
        {"forward": {"x": (lambda: _t(1, 2, 6, 6), F_CHAN)}},
    ),
    "LeNet5": (dict, {"forward": {"x": (lambda: _t(2, 1, 32, 32), F_CHAN)}}),
    "AlexNet": (lambda: dict(num_classes=10), {"forward": {"x": (lambda: _t(1, 3, 224, 224), F_CHAN)}}),
    "VGG": (
        lambda: dict(config="vgg11", num_classes=10, image_size=32, hidden=32),
        {"forward": {"x": (lambda: _t(1, 3, 32, 32), F_CHAN)}},
    ),
    "BasicBlock": (lambda: dict(in_channels=4, out_channels=4), {"forward": {"x": (lambda: _t(1, 4, 8, 8), F_CHAN)}}),
    "ResNet": (dict, {"forward": {"x": (lambda: _t(2, 1, 16, 16), F_CHAN)}}),
    "InceptionBlock": (
        lambda: dict(in_channels=4, c1=2, c3_reduce=2, c3=2, c5_reduce=2, c5=2, pool_proj=2),
        {"forward": {"x": (lambda: _t(1, 4, 8, 8), F_CHAN)}},
    ),
    "InceptionNet": (dict, {"forward": {"x": (lambda: _t(2, 1, 28, 28), F_CHAN)}}),
    "SEBlock": (lambda: dict(channels=4), {"forward": {"u": (lambda: _t(1, 4, 8, 8), F_CHAN)}}),
    "MLPDenoiser": (
        dict,
        {"forward": {"x": (lambda: _t(4, 2), F_LAST), "t": (lambda: _i(10, 4) + 1, ("i", None, ("float", "neg")))}},
    ),
    "ResBlock": (
        lambda: dict(in_ch=4, out_ch=4, time_dim=8, groups=2),
        {"forward": {"x": (lambda: _t(1, 4, 8, 8), F_CHAN), "emb": (lambda: _t(1, 8), F_LAST)}},
    ),
    "AttentionBlock": (lambda: dict(channels=4, groups=2), {"forward": {"x": (lambda: _t(1, 4, 8, 8), F_CHAN)}}),
    "UNet": (
        lambda: dict(in_channels=1, base_channels=8, groups=4),
        {
            "forward": {
                "x": (lambda: _t(2, 1, 8, 8), F_CHAN),
                "t": (lambda: _i(10, 2) + 1, ("i", None, ("float", "neg"))),
            }
        },
    ),
    "GaussianOptimalDenoiser": (
        lambda: dict(diffusion=_diffusion()),
        {
            "forward": {
                "x": (lambda: _t(4, 2), ("f", None, ("f64", "ndim+"))),
                # coef 的 t 是 alpha_bars 表的下标 0..T；标量 t 与 (1, B) 的 t 都按广播给出同样的结果
                "t": (lambda: _i(10, 4), ("i", 11, ("ndim+", "ndim-"))),
            }
        },
    ),
    "EmpiricalOptimalDenoiser": (
        lambda: dict(diffusion=_diffusion(), data=_t(5, 2)),
        # 没有参数的模块：float64 的 x 是合法的；标量 t 对所有样本用同一步
        {
            "forward": {
                "x": (lambda: _t(4, 2), ("f", "last", ("f64",))),
                "t": (lambda: _i(10, 4) + 1, ("i", 11, ("ndim-",))),
            }
        },
    ),
    "DigitsClassifier": (
        dict,
        {
            "forward": {"x": (lambda: _t(2, 1, 8, 8), ("f", "chan", ()))},
            "features": {"x": (lambda: _t(2, 1, 8, 8), ("f", "chan", ()))},
        },
    ),
    "ExponentialModulation": (
        lambda: dict(channels=4),
        {
            "window": {"t": (lambda: _t(8, 1), ("f", None, ("ndim+", "ndim-", "f64")))},
            "forward": {
                "t": (lambda: _t(8, 1), ("f", None, ("ndim+", "ndim-", "f64"))),
                "h": (lambda: _t(8, 4), ("f", "last", ("ndim+", "ndim-", "f64"))),
            },
        },
    ),
    "Sin": (lambda: dict(dim=4), {"forward": {"x": (lambda: _t(2, 4), ("f", "last", ("ndim+", "ndim-")))}}),
    "PositionalEmbedding": (lambda: dict(emb_dim=5, l_max=16), {"forward": {"L": (lambda: 8, ("s", 16))}}),
    "HyenaFilter": (
        lambda: dict(d_model=4, n_filters=2, l_max=16, filter_order=8),
        {"forward": {"L": (lambda: 8, ("s", 16))}},
    ),
    "HyenaOperator": (
        lambda: dict(d_model=8, l_max=16, filter_order=8),
        {"forward": {"u": (lambda: _t(2, 16, 8), ("f", "last", (), 16))}, "filters": {"L": (lambda: 8, ("s", 16))}},
    ),
    "Block": (
        lambda: dict(mixer=__import__("torch").nn.Identity(), d_model=8),
        {"forward": {"x": (lambda: _t(2, 16, 8), ("f", "last", ("ndim+",)))}},
    ),
    "LanguageModel": (
        lambda: dict(vocab_size=8, d_model=8, n_layers=1, l_max=16, filter_order=8),
        {"forward": {"tokens": (lambda: _i(8, 2, 16), ("i", 8, (), 16))}},
    ),
    "MLP": (lambda: dict(sizes=(3, 4, 2)), {"forward": {"x": (lambda: _t(5, 3), ("f", "last", ("ndim+",)))}}),
    "BatchNorm1d": (lambda: dict(num_features=4), {"forward": {"x": (lambda: _t(5, 4), ("f", "chan", ("ndim+",)))}}),
    "LayerNorm": (
        lambda: dict(normalized_shape=4),
        {"forward": {"x": (lambda: _t(5, 4), ("f", "last", ("ndim+", "ndim-")))}},
    ),
    "Dropout": (dict, {"forward": {"x": (lambda: _t(5, 4), ("f", None, ("ndim+", "ndim-", "f64")))}}),
    # 循环网络：(L, B, input_size)，无批维的 (L, input_size) 与 torch 一样合法
    **{
        name: (
            lambda: dict(input_size=3, hidden_size=4),
            {"forward": {"input": (lambda: _t(5, 2, 3), ("f", "last", ("ndim-",)))}},
        )
        for name in ("RNN", "LSTM", "GRU")
    },
    "MultiheadAttention": (
        lambda: dict(embed_dim=8, num_heads=2, batch_first=True),
        {"forward": {p: (lambda: _t(2, 5, 8), ("f", "last", ("ndim-",))) for p in ("query", "key", "value")}},
    ),
    "TransformerEncoderLayer": (
        lambda: dict(d_model=8, nhead=2, dim_feedforward=16, batch_first=True),
        {"forward": {"src": (lambda: _t(2, 5, 8), ("f", "last", ("ndim-",)))}},
    ),
    "TransformerEncoder": (
        lambda: dict(
            encoder_layer=__import__("lib.attention", fromlist=["x"]).TransformerEncoderLayer(
                8, 2, 16, batch_first=True
            ),
            num_layers=2,
        ),
        {"forward": {"src": (lambda: _t(2, 5, 8), ("f", "last", ("ndim-",)))}},
    ),
    "PointerNetwork": (
        lambda: dict(input_dim=1, hidden=8, nhead=2),
        {"forward": {"x": (lambda: _t(2, 5, 1), F_LAST), "targets": (lambda: _i(5, 2, 5), ("i", 5, ()))}},
    ),
    "GCNConv": (
        lambda: dict(in_channels=3, out_channels=2),
        {
            "forward": {
                "x": (lambda: _t(4, 3), ("f", "last", ("batch",))),
                "a_hat": (lambda: _t(4, 4), ("f", None, ("batch",))),
            }
        },
    ),
    "ViT": (lambda: dict(), {"forward": {"x": (lambda: _t(3, 64), ("f", "last", ("ndim+",)))}}),
    "MAE": (lambda: dict(), {"forward": {"x": (lambda: _t(3, 64), ("f", "last", ("ndim+",)))}}),
    "TextEncoder": (
        lambda: dict(vocab_size=6, max_len=4),
        {
            "forward": {
                "ids": (lambda: _i(6, 2, 4), ("i", 6, (), 4)),
                "pad": (lambda: _i(2, 2, 4).bool(), ("i", None, ("float", "neg"), 4)),
            }
        },
    ),
    "Word2Vec": (
        lambda: dict(vocab_size=6, dim=4),
        {"forward": {"inputs": (lambda: _i(6, 3), ("i", 6, ())), "targets": (lambda: _i(6, 3), ("i", 6, ()))}},
    ),
    "ELMo": (
        lambda: dict(vocab_size=6, hidden_size=4, pad_id=0),
        {
            "forward": {"ids": (lambda: _i(5, 2, 4) + 1, ("i", 6, ()))},
            "lm_loss": {"ids": (lambda: _i(5, 2, 4) + 1, ("i", 6, ()))},
        },
    ),
    "TransformerLM": (
        lambda: dict(vocab_size=6, d_model=8, nhead=2, num_layers=1, dim_feedforward=8, max_len=4),
        {"forward": {"ids": (lambda: _i(6, 2, 4), ("i", 6, (), 4))}},
    ),
    "ImageTextMatcher": (
        lambda: dict(text_dim=8, heads=2),
        {
            "forward": {
                "images": (lambda: _t(3, 64), ("f", "last", ("ndim+",))),
                "text_tokens": (lambda: _t(3, 5, 8), ("f", "last", ())),
                "pad": (lambda: _i(2, 3, 5).bool(), ("i", None, ("float", "neg"), 5)),
            }
        },
    ),
    "CaptionDecoder": (
        lambda: dict(vocab_size=6, dim=8, heads=2, max_len=4),
        {
            "forward": {
                "images": (lambda: _t(2, 64), ("f", "last", ("ndim+",))),
                "ids": (lambda: _i(6, 2, 4), ("i", 6, (), 4)),
            }
        },
    ),
    "MultiTaskMLP": (
        lambda: dict(n_tasks=2, in_features=3, hidden=(4,)),
        {"forward": {"x": (lambda: _t(2, 5, 3), ("f", "last", ()))}},
    ),
    "VAE": (
        dict,
        {
            "forward": {"x": (lambda: _t(3, 64), ("f", "last", ("ndim+",)))},
            "encode": {"x": (lambda: _t(3, 64), ("f", "last", ("ndim+",)))},
            "decode": {"z": (lambda: _t(3, 2), ("f", "last", ("ndim+", "ndim-")))},  # 文档：形状 (..., z_dim)
            "elbo": {"x": (lambda: _t(3, 64), F_LAST), "beta": (lambda: 1.0, ("r", None))},
        },
    ),
}


def _bad_tensors(v, spec, spec_all):
    """坏张量：由有效值 ``v`` 变出；``spec_all`` 是这次调用的所有参数规格（判断批大小是否有别的参数约束）。"""
    import torch

    kind = spec[0]
    if kind in ("s", "r"):
        high = spec[1]
        out = [("None", None), ("nan", math.nan), ("neg", -1), ("str", "bad")]
        if kind == "s":
            out += [("zero", 0), ("float", 2.5), ("huge", high * 4 if high else 10**12)]
        else:
            out += [("inf", math.inf)]
        return out
    ok = spec[2]
    out = [("None", None), ("numpy", v.numpy()), ("ndim+", v.unsqueeze(0)), ("ndim-", v[0])]
    if kind == "f":
        out += [("f64", v.double()), ("int", v.round().long())]
        if spec[1] == "last":
            out.append(("feat", torch.cat([v, v[..., :1]], dim=-1)))
        elif spec[1] == "chan":
            out.append(("chan", torch.cat([v, v[:, :1]], dim=1)))
        if len(spec) > 3:  # (B, L, D) 的序列比 l_max 长
            out.append(("long", torch.cat([v, v], dim=1)))
    else:
        high = spec[1]
        out += [("float", v.float()), ("neg", torch.full_like(v, -1))]
        if high is not None:
            out.append(("high", torch.full_like(v, high)))
        if len(spec) > 3:
            out.append(("long", torch.cat([v, v], dim=1)))
    n_tensors = sum(s[0] in ("f", "i") for _, s in spec_all.values())
    if n_tensors > 1 and v.ndim >= 1 and "batch" not in ok:  # 多个张量参数：批大小不一致
        out.append(("batch", torch.cat([v, v[:1]], dim=0)))
    return [(lab, b) for lab, b in out if lab not in ok]


def _module_cases(obj):
    cases = []
    _, methods = MODULE_SPECS[obj.__name__]
    for m, params in methods.items():
        try:
            _call_module_valid(obj, m)
        except Exception as e:  # noqa: BLE001
            cases.append((m, None, f"valid_call_fails: {type(e).__name__}: {str(e)[:120]}"))
            continue
        for p, (make, spec) in params.items():
            cases += [(m, p, lab) for lab, _ in _bad_tensors(make(), spec, params)]
    return cases


def _call_module_valid(obj, method, override=None):
    import torch

    ctor, methods = MODULE_SPECS[obj.__name__]
    torch.manual_seed(0)
    mod = obj(**ctor())
    if hasattr(mod, "eval"):  # torch 模块；MODULE_SPECS 里也可以有普通的类（GaussianDiffusion）
        mod.eval()
    args = {p: make() for p, (make, _) in methods[method].items()}
    args.update(override or {})
    with torch.no_grad():
        return getattr(mod, method)(**args)


def _call_module(modname, name, method, param, label):
    obj = getattr(importlib.import_module(modname), name)
    if label.startswith("valid_call_fails"):
        return ("unclear", label)
    make, spec = MODULE_SPECS[name][1][method][param]
    bad = dict(_bad_tensors(make(), spec, MODULE_SPECS[name][1][method]))[label]
    # 把 NumPy 数组转成张量并正确计算，是宽容而不是错误；批大小不一致时点名两个张量中的任一个都算清楚
    names = tuple(p for p, (_, sp) in MODULE_SPECS[name][1][method].items() if sp[0] in ("f", "i"))
    names = names if label == "batch" else param
    return _classify(lambda: _call_module_valid(obj, method, {param: bad}), names, may_accept=label == "numpy")


def _worker(conn, mem_gib, modules):
    resource.setrlimit(resource.RLIMIT_AS, (mem_gib * 2**30, mem_gib * 2**30))
    import warnings

    warnings.simplefilter("ignore")
    # 先导入要扫的模块（torch 等），再报告就绪：导入时间不算进单次调用的超时（机器很忙时导入要十几秒）
    for modname in modules:
        try:
            importlib.import_module(modname)
        except Exception:  # noqa: BLE001 - 导入失败的模块由 discover 跳过
            pass
    conn.send("ready")
    while True:
        job = conn.recv()
        if job is None:
            return
        try:
            fn = {"call": _call, "est": _call_estimator, "mod": _call_module}[job[0]]
            conn.send(fn(*job[1:]))
        except BaseException as e:  # noqa: BLE001
            conn.send(("unclear", f"{type(e).__name__}: {str(e)[:160]}"))


class Runner:
    def __init__(self, timeout, mem_gib, modules=()):
        self.timeout, self.mem_gib, self.proc, self.modules = timeout, mem_gib, None, tuple(modules)

    def _start(self):
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, self.mem_gib, self.modules), daemon=True)
        self.proc.start()
        if not self.conn.poll(600) or self.conn.recv() != "ready":
            raise RuntimeError("the sweep's worker process did not start")

    def call(self, *job):
        if self.proc is None or not self.proc.is_alive():
            self._start()
        try:
            self.conn.send(job)
        except Exception as e:  # noqa: BLE001 - 不能序列化的参数
            return ("unclear", f"pickle: {e}")
        if self.conn.poll(self.timeout):
            try:
                return self.conn.recv()
            except EOFError:
                pass
        else:
            self.proc.kill()
            self.proc.join()
            self.proc = None
            return ("hang", f"> {self.timeout} s")
        self.proc.join()
        self.proc = None
        return ("unclear", "worker crashed")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="_build/reports/bad-input.json")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--mem-gib", type=int, default=3)
    ap.add_argument("--modules", nargs="*")
    ap.add_argument("--max-seconds", type=float, default=math.inf)
    ap.add_argument(
        "--phases",
        nargs="*",
        default=["call", "method"],
        help="call: constructors and functions; method: fit/predict/forward",
    )
    args = ap.parse_args(argv)
    records, skipped, no_spec, t0 = [], [], [], time.time()
    found = discover(args.modules)
    runner = Runner(args.timeout, args.mem_gib, sorted({m for m, _ in found}))
    for modname, name in found if "call" in args.phases else []:
        if time.time() - t0 > args.max_seconds:
            break
        kwargs = _plan(modname, name)
        if kwargs is None:
            skipped.append(f"{modname}.{name}")
            continue
        base = runner.call("call", modname, name, kwargs, None)
        if base[0] != "accepted":  # 有效调用本身失败：不扰动
            skipped.append(f"{modname}.{name}")
            continue
        for param, default in kwargs.items():
            for label, bad in _bad_values():
                if (default is None and bad is None) or _in_domain(name, param, label):
                    continue
                outcome, detail = runner.call("call", modname, name, {**kwargs, param: bad}, param)
                records.append(
                    dict(
                        phase="call",
                        module=modname,
                        callable=name,
                        method=None,
                        param=param,
                        bad=label,
                        outcome=outcome,
                        detail=detail,
                    )
                )
    for modname, name in found if "method" in args.phases else []:
        if time.time() - t0 > args.max_seconds:
            break
        obj = getattr(importlib.import_module(modname), name)
        if _is_estimator(obj) and not inspect.isabstract(obj) and name != "BaseEstimator":
            try:
                cases = [("est", modname, name, m, p, lab, fitted) for m, p, lab, fitted, _ in _estimator_cases(obj)]
            except Exception:  # noqa: BLE001 - 有效的构造或 fit 失败
                skipped.append(f"{modname}.{name} (methods)")
                continue
        elif name in MODULE_SPECS and inspect.isclass(obj):
            cases = [("mod", modname, name, m, p, lab) for m, p, lab in _module_cases(obj)]
        else:
            import torch

            if inspect.isclass(obj) and issubclass(obj, torch.nn.Module):  # 新的模块：在 MODULE_SPECS 里加一行
                no_spec.append(f"{modname}.{name}")
            continue
        for job in cases:
            outcome, detail = runner.call(*job)
            records.append(
                dict(
                    phase="method",
                    module=modname,
                    callable=name,
                    method=job[3],
                    param=job[4],
                    bad=job[5],
                    outcome=outcome,
                    detail=detail,
                )
            )
    if runner.proc is not None:
        runner.conn.send(None)
        runner.proc.join(5)
    records = [r for r in records if r["outcome"] != "valid"]  # 坏值其实合法（如分类器学会只有一类）：不计
    overall = Counter(r["outcome"] for r in records)
    per_module = defaultdict(Counter)
    per_phase = defaultdict(Counter)
    for r in records:
        per_module[r["module"]][r["outcome"]] += 1
        per_phase[r["phase"]][r["outcome"]] += 1
    report = dict(
        overall=dict(overall),
        per_phase={p: dict(c) for p, c in sorted(per_phase.items())},
        per_module={m: dict(c) for m, c in sorted(per_module.items())},
        n_calls=len(records),
        skipped=skipped,
        modules_without_spec=no_spec,
        records=records,
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=1))
    if no_spec:
        print("torch modules without a MODULE_SPECS entry (forward not swept):", ", ".join(no_spec))
    print(
        json.dumps(
            dict(overall=report["overall"], per_phase=report["per_phase"], n_calls=len(records), skipped=len(skipped)),
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
