"""lib.paradigms：自训练、协同训练、多任务学习、CORAL、EWC、MAML。"""

import numpy as np
import pytest
import torch
from scipy.linalg import subspace_angles
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression as SkLR

from lib.linear import LogisticRegression
from lib.paradigms import (
    EWC,
    MultiTaskMLP,
    co_training,
    coral,
    fit_multitask,
    grad_reverse,
    low_rank_multitask,
    maml_adapt,
    maml_forward,
    maml_step,
    self_training,
)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    rng = np.random.default_rng(0)
    lab = np.concatenate([rng.choice(np.flatnonzero(y == c), 3, replace=False) for c in range(10)])
    rest = np.setdiff1d(np.arange(len(y)), lab)
    return X, y, lab, rest[:600], rest[600:]


def test_self_training_adds_pseudo_labels_and_keeps_classes(digits):
    X, y, lab, unl, test = digits
    model, hist = self_training(SkLR(C=1.0, max_iter=500), X[lab], y[lab], X[unl], threshold=0.5, max_iter=5)
    assert sum(hist) > 0 and sum(hist) <= len(unl)
    assert set(model.classes_) == set(range(10))
    # max_iter=0 等于只用标注数据训练
    base, h0 = self_training(SkLR(C=1.0, max_iter=500), X[lab], y[lab], X[unl], max_iter=0)
    assert h0 == []
    ref = SkLR(C=1.0, max_iter=500).fit(X[lab], y[lab])
    np.testing.assert_array_equal(base.predict(X[test]), ref.predict(X[test]))


def test_self_training_with_lib_logistic(digits):
    X, y, lab, unl, _ = digits
    model, hist = self_training(LogisticRegression(C=1.0), X[lab], y[lab], X[unl[:100]], threshold=0.6, max_iter=2)
    assert len(hist) <= 2 and model.predict(X[:5]).shape == (5,)


def test_self_training_matches_sklearn_self_training_classifier(digits):
    from sklearn.semi_supervised import SelfTrainingClassifier

    X, y, lab, unl, test = digits
    model, hist, (idx, pseudo) = self_training(
        SkLR(C=10.0, max_iter=1000), X[lab], y[lab], X[unl], threshold=0.7, max_iter=10, return_pseudo=True
    )
    assert len(idx) == len(pseudo) == sum(hist) and len(set(idx.tolist())) == len(idx)
    y_semi = np.concatenate([y[lab], -np.ones(len(unl), dtype=int)])
    sk = SelfTrainingClassifier(SkLR(C=10.0, max_iter=1000), threshold=0.7, max_iter=10)
    sk.fit(np.vstack([X[lab], X[unl]]), y_semi)
    ours = -np.ones(len(unl), dtype=int)
    ours[idx] = pseudo
    np.testing.assert_array_equal(sk.transduction_[len(lab) :], ours)
    it = sk.labeled_iter_[len(lab) :]
    assert np.bincount(it[it > 0])[1:].tolist() == hist
    # 按加入的先后：第 r 轮加入的样本排在第 r+1 轮之前
    np.testing.assert_array_equal(np.repeat(np.arange(1, len(hist) + 1), hist), it[idx])
    np.testing.assert_array_equal(model.predict(X[test]), sk.predict(X[test]))


def test_co_training_pseudo_labels_come_from_the_two_views(digits):
    X, y, lab, unl, _ = digits
    L, R = X[:, :32], X[:, 32:]
    m1, m2, hist, (idx, pseudo) = co_training(
        SkLR(max_iter=500), (L[lab], R[lab]), y[lab], (L[unl], R[unl]), per_round=2, max_iter=1, return_pseudo=True
    )
    # 第一轮：各视图在标注集上训练的模型在每个预测类别里挑最自信的 2 个，视图一优先
    f1, f2 = SkLR(max_iter=500).fit(L[lab], y[lab]), SkLR(max_iter=500).fit(R[lab], y[lab])
    p1, p2 = f1.predict_proba(L[unl]), f2.predict_proba(R[unl])
    expect = {}
    for p, f in [(p2, f2), (p1, f1)]:
        pred, conf = p.argmax(1), p.max(1)
        for c in range(10):
            members = np.flatnonzero(pred == c)
            for i in members[np.argsort(-conf[members], kind="stable")[:2]]:
                expect[int(i)] = f.classes_[pred[i]]
    assert hist == [len(expect)]
    assert sorted(idx.tolist()) == sorted(expect) and all(expect[int(i)] == lbl for i, lbl in zip(idx, pseudo))


def test_co_training_two_views(digits):
    X, y, lab, unl, test = digits
    L, R = X[:, :32], X[:, 32:]
    m1, m2, hist = co_training(SkLR(max_iter=500), (L[lab], R[lab]), y[lab], (L[unl], R[unl]), per_round=5, max_iter=3)
    assert len(hist) == 3 and all(1 <= h <= 100 for h in hist)
    assert m1.n_features_in_ == 32 and m2.n_features_in_ == 32


def test_coral_matches_target_covariance():
    rng = np.random.default_rng(1)
    Xs = rng.normal(size=(400, 3)) @ np.array([[2.0, 0, 0], [0.5, 1, 0], [0, 0, 0.3]])
    Xt = rng.normal(size=(300, 3)) + 5
    Z = coral(Xs, Xt, eps=0.0)
    np.testing.assert_allclose(np.cov(Z, rowvar=False), np.cov(Xt, rowvar=False), atol=1e-8)
    np.testing.assert_allclose(Z.mean(0), Xt.mean(0), atol=1e-10)
    Z2 = coral(Xs, Xt, eps=0.0, align_mean=False)
    np.testing.assert_allclose(Z2.mean(0), Xs.mean(0), atol=1e-10)


def test_ewc_fisher_and_penalty():
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2)
    X = torch.randn(20, 3)
    y = torch.randint(0, 2, (20,))
    ewc = EWC(net, X, y, lam=2.0, empirical=True)
    # 与逐样本手算的梯度平方平均比较
    F = torch.zeros_like(net.weight)
    for i in range(20):
        net.zero_grad()
        torch.nn.functional.cross_entropy(net(X[i : i + 1]), y[i : i + 1]).backward()
        F += net.weight.grad**2 / 20
    torch.testing.assert_close(ewc.fisher["weight"], F)
    assert float(ewc.penalty(net).detach()) == 0.0
    with torch.no_grad():
        net.weight += 1.0
    expect = 0.5 * 2.0 * ewc.fisher["weight"].sum()
    torch.testing.assert_close(ewc.penalty(net), expect)
    ewc_mb = EWC(net, X, lam=1.0, batch_size=4)
    assert all((f >= 0).all() for f in ewc_mb.fisher.values())


def test_ewc_sampled_fisher_matches_exact_expectation():
    # 线性 softmax 模型：logit 对权重的梯度 ∂log p(y|x)/∂W_c = (1[c=y] − p_c) x，对 y ~ p(y|x) 精确求期望
    torch.manual_seed(1)
    net = torch.nn.Linear(3, 4)
    X = torch.randn(3000, 3)
    ewc = EWC(net, X)  # 默认：y 从模型分布抽样，逐样本
    with torch.no_grad():
        p = torch.softmax(net(X), dim=1)  # (n, C)
        eye = torch.eye(4)
        # E_y[(1[c=y] − p_c)^2] = Σ_y p_y (1[c=y] − p_c)^2 = p_c (1 − p_c)
        diff = eye[None, :, :] - p[:, :, None]  # diff[n, c, y] = 1[c=y] − p_c
        var = (p[:, None, :] * diff**2).sum(-1)
        torch.testing.assert_close(var, p * (1 - p))
        exact_w = (var[:, :, None] * X[:, None, :] ** 2).mean(0)  # F[c, j] = E_x p_c(1 − p_c) x_j^2
        exact_b = var.mean(0)
    # 抽样估计的相对误差只有蒙特卡罗误差（3000 个样本，约几个百分点）
    assert ((ewc.fisher["weight"] - exact_w).abs() / exact_w).max() < 0.15
    assert ((ewc.fisher["bias"] - exact_b).abs() / exact_b).max() < 0.15
    # 小批量的估计也是无偏的：与精确值同样接近
    ewc_mb = EWC(net, X, batch_size=8)
    assert ((ewc_mb.fisher["bias"] - exact_b).abs() / exact_b).max() < 0.3
    assert ((ewc_mb.fisher["weight"] - exact_w).abs() / exact_w).max() < 0.3


def test_low_rank_multitask_recovers_shared_subspace():
    rng = np.random.default_rng(0)
    d, k, M, n = 12, 2, 6, 7  # 单独每个任务欠定（7 < 12），联合 42 个方程、36 个未知数
    B0, A0 = rng.normal(size=(d, k)), rng.normal(size=(M, k))
    Xs = [rng.normal(size=(n, d)) for _ in range(M)]
    ys = [X @ B0 @ a for X, a in zip(Xs, A0)]
    B, A = low_rank_multitask(Xs, ys, k, n_iter=200)
    np.testing.assert_allclose(B.T @ B, np.eye(k), atol=1e-10)
    assert subspace_angles(B, B0).max() < 1e-8
    np.testing.assert_allclose(B @ A.T, B0 @ A0.T, atol=1e-7)
    # 所有权重同乘一个常数不改变解
    B2, A2 = low_rank_multitask(Xs, ys, k, weights=3.0 * np.ones(M), n_iter=200)
    np.testing.assert_allclose(B2 @ A2.T, B @ A.T, atol=1e-7)


def test_low_rank_multitask_weight_shifts_subspace_towards_task():
    rng = np.random.default_rng(1)
    d, M, n = 10, 4, 30
    W = rng.normal(size=(d, 1)) @ rng.normal(size=(1, M))
    W[:, 0] = rng.normal(size=d)  # 任务 0 不在共享的一维子空间里
    Xs = [rng.normal(size=(n, d)) for _ in range(M)]
    ys = [X @ W[:, m] for m, X in enumerate(Xs)]
    errs = []
    for e in [0.01, 100.0]:
        B, A = low_rank_multitask(Xs, ys, 1, weights=[e, 1, 1, 1])
        errs.append(np.linalg.norm(B @ A[0] - W[:, 0]))
    assert errs[1] < 0.5 * errs[0]


def test_multitask_mlp_matches_separate_sequential_and_hard_sharing():
    torch.manual_seed(0)
    M, d = 3, 4
    net = MultiTaskMLP(M, d, (5, 6), sharing="none", activation="relu", generator=torch.Generator().manual_seed(0))
    assert net.trunk_penalty().item() < 1e-10  # 各任务的主干从同一初值出发
    with torch.no_grad():
        for p in net.weights:
            p.add_(0.1 * torch.randn_like(p))
    X = torch.randn(M, 7, d)
    out = net(X)
    assert out.shape == (M, 7, 1)
    for m in range(M):
        seq = torch.nn.Sequential(
            torch.nn.Linear(d, 5), torch.nn.ReLU(), torch.nn.Linear(5, 6), torch.nn.ReLU(), torch.nn.Linear(6, 1)
        )
        with torch.no_grad():
            for lin, W, b in zip([seq[0], seq[2]], net.weights, net.biases):
                lin.weight.copy_(W[m].T)
                lin.bias.copy_(b[m, 0])
            seq[4].weight.copy_(net.head_weight[m].T)
            seq[4].bias.copy_(net.head_bias[m, 0])
        torch.testing.assert_close(out[m], seq(X[m]))
    hard = MultiTaskMLP(M, d, (5,), generator=torch.Generator().manual_seed(0))
    assert hard.weights[0].shape == (1, d, 5) and hard.trunk_penalty().item() == 0.0
    # 硬共享：主干输出与任务无关（同样的输入给出同样的特征）
    Xs = torch.randn(1, 7, d).expand(M, 7, d)
    feats = hard.features(Xs)
    torch.testing.assert_close(feats[0], feats[2])
    # 同一生成器种子：硬共享与单任务网络的初值相同
    torch.testing.assert_close(
        hard.weights[0][0],
        MultiTaskMLP(M, d, (5,), sharing="none", generator=torch.Generator().manual_seed(0)).weights[0][1],
    )


def test_fit_multitask_trains_and_soft_sharing_ties_trunks():
    g = torch.Generator().manual_seed(0)
    M, d = 3, 2
    X = torch.randn(M, 20, d, generator=g)
    Y = torch.sin(X.sum(-1, keepdim=True))
    net = MultiTaskMLP(M, d, (8,), sharing="none", generator=g)
    with torch.no_grad():
        net.weights[0].add_(0.3 * torch.randn(net.weights[0].shape, generator=g))
    hist = fit_multitask(net, X, Y, steps=200, lr=0.01)
    assert len(hist) == 200 and hist[-1] < 0.2 * hist[0]
    tied = MultiTaskMLP(M, d, (8,), sharing="none", generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        tied.weights[0].add_(0.3 * torch.randn(tied.weights[0].shape, generator=g))
    p0 = tied.trunk_penalty().item()
    fit_multitask(tied, X, Y, soft=100.0, steps=200, lr=0.01)
    assert tied.trunk_penalty().item() < 0.01 * p0
    # 权重为 0 的任务：它的输出头不被训练
    z = MultiTaskMLP(M, d, (8,), generator=torch.Generator().manual_seed(2))
    head0 = z.head_weight[0].detach().clone()
    fit_multitask(z, X, Y, weights=[0.0, 1.0, 1.0], steps=20)
    torch.testing.assert_close(z.head_weight[0], head0)


def test_multitask_bad_inputs():
    with pytest.raises(ValueError, match="non-empty lists"):
        low_rank_multitask([], [], 1)
    with pytest.raises(ValueError, match="columns"):
        low_rank_multitask([np.ones((3, 2)), np.ones((3, 3))], [np.ones(3), np.ones(3)], 1)
    with pytest.raises(ValueError, match="rows"):
        low_rank_multitask([np.ones((3, 2))], [np.ones(4)], 1)
    with pytest.raises(ValueError, match="rank"):
        low_rank_multitask([np.ones((3, 2))], [np.ones(3)], 3)
    with pytest.raises(ValueError, match="weights"):
        low_rank_multitask([np.ones((3, 2))], [np.ones(3)], 1, weights=[-1.0])
    with pytest.raises(ValueError, match="NaN"):
        low_rank_multitask([np.full((3, 2), np.nan)], [np.ones(3)], 1)
    with pytest.raises(ValueError, match="sharing"):
        MultiTaskMLP(2, 3, sharing="soft")
    with pytest.raises(ValueError, match="hidden"):
        MultiTaskMLP(2, 3, hidden=())
    with pytest.raises(ValueError, match="n_tasks"):
        MultiTaskMLP(0, 3)
    net = MultiTaskMLP(2, 3)
    with pytest.raises(ValueError, match=r"shape \(2, n, 3\)"):
        net(torch.ones(3, 5, 3))
    with pytest.raises(TypeError, match="float64"):
        net(torch.ones(2, 5, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match="MultiTaskMLP"):
        fit_multitask(torch.nn.Linear(1, 1), torch.ones(2, 1, 3), torch.ones(2, 1, 1))
    with pytest.raises(ValueError, match="Y must"):
        fit_multitask(net, torch.ones(2, 5, 3), torch.ones(2, 4, 1))
    with pytest.raises(ValueError, match="weights"):
        fit_multitask(net, torch.ones(2, 5, 3), torch.ones(2, 5, 1), weights=[1.0])
    with pytest.raises(ValueError, match="soft"):
        fit_multitask(net, torch.ones(2, 5, 3), torch.ones(2, 5, 1), soft=-1.0)


def _sine_tasks(n_tasks, gen):
    tasks = []
    for _ in range(n_tasks):
        a, ph = 0.1 + 4.9 * torch.rand(1, generator=gen), np.pi * torch.rand(1, generator=gen)
        x = 10 * torch.rand(20, 1, generator=gen, dtype=torch.float64) - 5
        yv = a * torch.sin(x + ph)
        tasks.append((x[:10], yv[:10], x[10:], yv[10:]))
    return tasks


def test_maml_second_order_gradient_matches_autograd_and_first_order_differs():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(1, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
    tasks = _sine_tasks(2, torch.Generator().manual_seed(0))
    mse = torch.nn.functional.mse_loss
    loss = maml_step(net, tasks, mse, inner_lr=0.05, inner_steps=1)
    g2 = torch.autograd.grad(loss, list(net.parameters()))
    # 手写一步内循环，逐任务展开
    ps = list(net.parameters())

    def f(params, x):
        W1, b1, W2, b2 = params
        return torch.tanh(x @ W1.T + b1) @ W2.T + b2

    ref = 0
    for xs, ys, xq, yq in tasks:
        gi = torch.autograd.grad(mse(f(ps, xs), ys), ps, create_graph=True)
        ref = ref + mse(f([p - 0.05 * g for p, g in zip(ps, gi)], xq), yq)
    ref = ref / 2
    torch.testing.assert_close(loss, ref)
    for a, b in zip(g2, torch.autograd.grad(ref, ps)):
        torch.testing.assert_close(a, b)
    g1 = torch.autograd.grad(maml_step(net, tasks, mse, inner_lr=0.05, first_order=True), ps)
    assert any(not torch.allclose(a, b) for a, b in zip(g1, g2))
    # inner_steps=0：就是 query 上的普通损失
    l0 = maml_step(net, tasks, mse, inner_steps=0)
    torch.testing.assert_close(l0, sum(mse(net(t[2]), t[3]) for t in tasks) / 2)


class _Scalar(torch.nn.Module):
    """输出就是唯一的参数 θ（忽略输入），用来构造 L(θ) = ½(θ − c)²。"""

    def __init__(self, theta):
        super().__init__()
        self.theta = torch.nn.Parameter(torch.tensor([theta], dtype=torch.float64))

    def forward(self, x):
        return self.theta.expand(x.shape[0], 1)


def test_maml_quadratic_meta_gradient_is_analytic():
    half_sq = lambda out, c: 0.5 * ((out - c) ** 2).mean()  # noqa: E731
    alpha, theta, cs = 0.3, 1.7, [0.5, -1.0, 2.0]
    net = _Scalar(theta)
    one = torch.ones(1, 1, dtype=torch.float64)
    tasks = [(one, c * one, one, c * one) for c in cs]
    for fo, factor in [(False, (1 - alpha) ** 2), (True, 1 - alpha)]:
        (g,) = torch.autograd.grad(maml_step(net, tasks, half_sq, inner_lr=alpha, first_order=fo), [net.theta])
        expect = factor * np.mean([theta - c for c in cs])
        assert abs(g.item() - expect) < 1e-12
    # k 步内循环：θ' − c = (1−α)^k (θ − c)，二阶元梯度因子 (1−α)^{2k}
    (g3,) = torch.autograd.grad(maml_step(net, tasks, half_sq, inner_lr=alpha, inner_steps=3), [net.theta])
    assert abs(g3.item() - (1 - alpha) ** 6 * np.mean([theta - c for c in cs])) < 1e-12


def test_maml_adapt_batched_matches_per_task_and_trajectory():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(1, 6), torch.nn.Tanh(), torch.nn.Linear(6, 1)).double()
    tasks = _sine_tasks(3, torch.Generator().manual_seed(2))
    xs = torch.stack([t[0] for t in tasks])
    ys = torch.stack([t[1] for t in tasks])
    mse = torch.nn.functional.mse_loss
    path = maml_adapt(net, xs, ys, mse, inner_lr=0.05, steps=3, trajectory=True, batched=True)
    assert len(path) == 4 and path[0]["0.weight"].shape == (3, 6, 1)
    for i in range(3):
        single = maml_adapt(net, xs[i], ys[i], mse, inner_lr=0.05, steps=3)
        for name, p in single.items():
            torch.testing.assert_close(path[-1][name][i], p)
        out = maml_forward(net, path[-1], xs, batched=True)[i]
        torch.testing.assert_close(out, maml_forward(net, single, xs[i]))
    # 每一步都让支持集损失下降（小步长）
    losses = [torch.stack([mse(o, y) for o, y in zip(maml_forward(net, p, xs, batched=True), ys)]) for p in path]
    assert all((b < a).all() for a, b in zip(losses, losses[1:]))
    # 步数为 0：原参数
    assert maml_adapt(net, xs[0], ys[0], mse, steps=0)["0.weight"] is dict(net.named_parameters())["0.weight"]
    with pytest.raises(ValueError, match="leading task"):
        maml_adapt(net, xs, ys[:2], mse, batched=True)
    with pytest.raises(ValueError, match="steps"):
        maml_adapt(net, xs[0], ys[0], mse, steps=-1)
    with pytest.raises(TypeError, match="Module"):
        maml_adapt("net", xs[0], ys[0], mse)


def test_bad_inputs(digits):
    X, y, lab, unl, _ = digits
    est = SkLR()
    with pytest.raises(ValueError, match="X_l and y_l"):
        self_training(est, X[lab], y[lab][:-1], X[unl])
    with pytest.raises(ValueError, match="two classes"):
        self_training(est, X[lab[:3]], y[lab[:3]], X[unl])
    with pytest.raises(ValueError, match="threshold"):
        self_training(est, X[lab], y[lab], X[unl], threshold=1.5)
    with pytest.raises(ValueError, match="columns"):
        self_training(est, X[lab], y[lab], X[unl][:, :10])
    with pytest.raises(TypeError, match="predict_proba"):
        self_training(object(), X[lab], y[lab], X[unl])
    with pytest.raises(TypeError, match="return_pseudo"):
        self_training(est, X[lab], y[lab], X[unl], return_pseudo=1)
    with pytest.raises(ValueError, match="pair"):
        co_training(est, (X[lab],), y[lab], (X[unl],))
    with pytest.raises(ValueError, match="NaN"):
        coral(np.array([[np.nan, 1.0], [0, 1]]), np.ones((3, 2)))
    with pytest.raises(ValueError, match="columns"):
        coral(np.ones((3, 2)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="singular"):
        coral(np.ones((5, 2)), np.random.default_rng(0).normal(size=(5, 2)), eps=0.0)
    with pytest.raises(TypeError, match="Module"):
        EWC("net", torch.ones(2, 2))
    with pytest.raises(ValueError, match="empirical"):
        EWC(torch.nn.Linear(2, 2), torch.ones(2, 2), empirical=True)
    with pytest.raises(ValueError, match="batch_size=1"):
        EWC(torch.nn.Linear(2, 2), torch.ones(2, 2), torch.zeros(2, dtype=torch.long), empirical=True, batch_size=2)
    with pytest.raises(ValueError, match="empty"):
        maml_step(torch.nn.Linear(1, 1), [], torch.nn.functional.mse_loss)
    with pytest.raises(ValueError, match="inner_lr"):
        maml_step(torch.nn.Linear(1, 1), [(torch.ones(1, 1),) * 4], torch.nn.functional.mse_loss, inner_lr=-1.0)


def test_grad_reverse_forward_identity_backward_negated():
    x = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    out = grad_reverse(x, 0.7)
    torch.testing.assert_close(out, x)
    w = torch.randn(5, 3, dtype=torch.float64)
    (g,) = torch.autograd.grad((out * w).sum(), x)
    torch.testing.assert_close(g, -0.7 * w)
    # 函数 x ↦ x 的雅可比是 I，而反转层给出 −λI：gradcheck 应当失败，对 −λ·x 的数值雅可比则一致
    assert not torch.autograd.gradcheck(lambda t: grad_reverse(t, 0.7), (x,), raise_exception=False)
    # DANN：一次反传 = 判别器对 L_c 的梯度 + 特征对 (分类损失 − λ L_c) 的梯度
    torch.manual_seed(0)
    g_net, f_net, c_net = torch.nn.Linear(2, 4), torch.nn.Linear(4, 2), torch.nn.Linear(4, 1)
    xs, ys, xt = torch.randn(6, 2), torch.randint(0, 2, (6,)), torch.randn(5, 2)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    ce = torch.nn.functional.cross_entropy

    def losses(h_s, h_t):
        dom = torch.cat([c_net(h_s), c_net(h_t)])[:, 0]
        lab = torch.cat([torch.ones(6), torch.zeros(5)])
        return ce(f_net(g_net(xs)), ys), bce(dom, lab)

    h_s, h_t = g_net(xs), g_net(xt)
    cls, dom = losses(grad_reverse(h_s, 0.5), grad_reverse(h_t, 0.5))
    grads = torch.autograd.grad(cls + dom, [g_net.weight, c_net.weight])
    cls2, dom2 = losses(g_net(xs), g_net(xt))
    torch.testing.assert_close(grads[0], torch.autograd.grad(cls2 - 0.5 * dom2, g_net.weight, retain_graph=True)[0])
    torch.testing.assert_close(grads[1], torch.autograd.grad(dom2, c_net.weight)[0])
    with pytest.raises(TypeError, match="tensor"):
        grad_reverse(np.ones(3))
    with pytest.raises(ValueError, match="lambd"):
        grad_reverse(x, -1.0)
