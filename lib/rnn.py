r"""循环神经网络：简单循环网络、LSTM、GRU，以及简单循环网络的 BPTT 与 RTRL。

``RNN``、``LSTM``、``GRU`` 直接由单元的方程写成（只用矩阵乘法和逐元素运算，不调用 ``torch.nn.RNN`` 等），
构造参数、参数名与形状、初始化、前向的输入输出都与 ``torch.nn`` 的同名模块相同，所以
``ours.load_state_dict(torch_module.state_dict())`` 之后两者的输出与梯度一致：

- 简单循环网络：:math:`h_t=\tanh(W_{ih}x_t+b_{ih}+W_{hh}h_{t-1}+b_{hh})`（或 ReLU）；
- LSTM（门的顺序 i, f, g, o）：:math:`c_t=f_t\odot c_{t-1}+i_t\odot g_t`，:math:`h_t=o_t\odot\tanh(c_t)`；
- GRU（门的顺序 r, z, n）：:math:`n_t=\tanh(W_{in}x_t+b_{in}+r_t\odot(W_{hn}h_{t-1}+b_{hn}))`，
  :math:`h_t=(1-z_t)\odot n_t+z_t\odot h_{t-1}`。

多层时第 :math:`l` 层的输入是第 :math:`l-1` 层的输出（训练时其间可加 dropout）；双向时反向的一份参数带后缀
``_reverse``，两个方向的输出在特征维上拼接。

``bptt_gradients`` 与 ``rtrl_gradients`` 在 NumPy（float64）里对一条序列上的简单循环网络
:math:`z_t=Uh_{t-1}+Wx_t+b,\ h_t=f(z_t),\ \hat y_t=Vh_t+c`、损失 :math:`\sum_t\tfrac12\lVert\hat y_t-y_t\rVert^2`
分别用沿时间反向传播（反向模式）与实时循环学习（前向模式）求梯度；两者给出同一个梯度。

``recursive_forward`` 是二叉树上的递归神经网络 :math:`h=f(W[h_\text{左};h_\text{右}]+b)`；
``message_passing`` 是图上的消息传递
:math:`\mathbf m_v=\sum_{u\in N(v)}\mathrm{message}(\mathbf h_v,\mathbf h_u,e_{vu})`，
:math:`\mathbf h_v\leftarrow\mathrm{update}(\mathbf h_v,\mathbf m_v)`；
``first_token_task``、``anbn_strings`` 与 ``train_steps`` 是书中小实验用的数据与训练循环。
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import torch
from torch import nn

from .nn.regularization import dropout as _dropout
from .utils import check_array, check_device, check_module_input, check_option, check_scalar, check_size

__all__ = [
    "RNN",
    "LSTM",
    "GRU",
    "rnn_cell",
    "lstm_cell",
    "gru_cell",
    "gate_trace",
    "srn_init",
    "srn_forward",
    "bptt_gradients",
    "rtrl_gradients",
    "first_token_task",
    "anbn_strings",
    "train_steps",
    "recursive_forward",
    "message_passing",
]


# ---------------------------------------------------------------------------------------------
# 单元的方程（一步）
# ---------------------------------------------------------------------------------------------
def rnn_cell(x_proj, h, w_hh, b_hh=None, nonlinearity="tanh"):
    """简单循环网络的一步。``x_proj`` 是已经算好的 ``W_ih x + b_ih``。"""
    z = x_proj + h @ w_hh.T
    if b_hh is not None:
        z = z + b_hh
    return torch.tanh(z) if nonlinearity == "tanh" else torch.relu(z)


def lstm_cell(x_proj, h, c, w_hh, b_hh=None):
    """LSTM 的一步，返回 ``(h, c, (i, f, g, o))``。门按 torch 的顺序 i, f, g, o 排在同一个矩阵里。"""
    gates = x_proj + h @ w_hh.T
    if b_hh is not None:
        gates = gates + b_hh
    i, f, g, o = gates.chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * c + i * g  # 记忆单元：线性的自循环，遗忘门决定保留多少
    h = o * torch.tanh(c)  # 输出门决定露出多少
    return h, c, (i, f, g, o)


def gru_cell(x_proj, h, w_hh, b_hh=None):
    """GRU 的一步，返回 ``(h, (r, z, n))``。门按 torch 的顺序 r, z, n；重置门乘在 ``W_hn h + b_hn`` 上。"""
    gh = h @ w_hh.T
    if b_hh is not None:
        gh = gh + b_hh
    xr, xz, xn = x_proj.chunk(3, dim=-1)
    hr, hz, hn = gh.chunk(3, dim=-1)
    r = torch.sigmoid(xr + hr)
    z = torch.sigmoid(xz + hz)
    n = torch.tanh(xn + r * hn)
    h = (1 - z) * n + z * h  # 更新门 z 大时保留旧状态
    return h, (r, z, n)


# ---------------------------------------------------------------------------------------------
# 与 torch.nn 同接口的模块
# ---------------------------------------------------------------------------------------------
_GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


class _RNNBase(nn.Module):
    _kind = "RNN"

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        device=None,
        dtype=None,
        *,
        nonlinearity="tanh",
    ):
        super().__init__()
        check_size(input_size, "input_size", max_val=2**16)
        check_size(hidden_size, "hidden_size", max_val=2**16)
        check_size(num_layers, "num_layers", max_val=1000)
        check_scalar(dropout, "dropout", Real, min_val=0, max_val=1)
        device = check_device(device)
        for name, flag in (("bias", bias), ("batch_first", batch_first), ("bidirectional", bidirectional)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, got {type(flag).__name__} ({flag!r})")
        check_option(nonlinearity, "nonlinearity", ("tanh", "relu"))
        self.input_size, self.hidden_size, self.num_layers = int(input_size), int(hidden_size), int(num_layers)
        self.bias, self.batch_first, self.bidirectional = bias, batch_first, bidirectional
        self.dropout, self.nonlinearity = float(dropout), nonlinearity
        directions = 2 if bidirectional else 1
        gate_size = _GATES[self._kind] * self.hidden_size
        factory = {"device": device, "dtype": dtype}
        # 注册顺序与 torch 相同：层 → 方向 → (w_ih, w_hh, b_ih, b_hh)，所以同一个随机种子给出同样的初始值
        for layer in range(self.num_layers):
            layer_in = self.input_size if layer == 0 else self.hidden_size * directions
            for d in range(directions):
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                self.register_parameter("weight_ih" + sfx, nn.Parameter(torch.empty(gate_size, layer_in, **factory)))
                self.register_parameter("weight_hh" + sfx, nn.Parameter(torch.empty(gate_size, hidden_size, **factory)))
                if bias:
                    self.register_parameter("bias_ih" + sfx, nn.Parameter(torch.empty(gate_size, **factory)))
                    self.register_parameter("bias_hh" + sfx, nn.Parameter(torch.empty(gate_size, **factory)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """所有参数 ~ U(−1/√hidden_size, 1/√hidden_size)，与 torch 相同。"""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self._kind == "RNN" and self.nonlinearity != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        for name, default in (("bias", True), ("batch_first", False), ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s

    def _weights(self, layer: int, direction: int):
        sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        get = lambda n: getattr(self, n + sfx) if self.bias or n.startswith("weight") else None  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    # --- 输入检查 -------------------------------------------------------------------------
    def _check_input(self, input):
        check_module_input(input, self, "input")
        if input.dim() not in (2, 3):
            raise ValueError(
                f"input must be 2-D (unbatched: L, {self.input_size}) or 3-D (batched), got shape {tuple(input.shape)}"
            )
        if input.shape[-1] != self.input_size:
            raise ValueError(f"input.size(-1) must be input_size={self.input_size}, got {input.shape[-1]}")

    def _check_hidden(self, h, name, batch, unbatched, input):
        D = 2 if self.bidirectional else 1
        expected = (
            (D * self.num_layers, self.hidden_size) if unbatched else (D * self.num_layers, batch, self.hidden_size)
        )
        if not isinstance(h, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(h).__name__}")
        if tuple(h.shape) != expected:
            raise ValueError(f"{name} must have shape {expected}, got {tuple(h.shape)}")
        if h.dtype != input.dtype or h.device != input.device:
            raise TypeError(f"{name} is {h.dtype} on {h.device} but input is {input.dtype} on {input.device}")

    # --- 前向 -----------------------------------------------------------------------------
    def forward(self, input, hx=None):
        self._check_input(input)
        unbatched = input.dim() == 2
        x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if self.batch_first else input)
        L, N = x.shape[0], x.shape[1]
        if L == 0 or N == 0:
            raise ValueError(
                f"input must contain at least one time step and one sample, got shape {tuple(input.shape)}"
            )
        D = 2 if self.bidirectional else 1
        is_lstm = self._kind == "LSTM"
        if hx is None:
            zeros = x.new_zeros(D * self.num_layers, N, self.hidden_size)
            h0, c0 = zeros, zeros
        elif is_lstm:
            if not (isinstance(hx, tuple) and len(hx) == 2):
                raise TypeError(f"hx of an LSTM must be a tuple (h_0, c_0), got {type(hx).__name__}")
            for name, t in zip(("h_0", "c_0"), hx):
                self._check_hidden(t, f"hx[{0 if name == 'h_0' else 1}] ({name})", N, unbatched, input)
            h0, c0 = (t.unsqueeze(1) if unbatched else t for t in hx)
        else:
            self._check_hidden(hx, "hx", N, unbatched, input)
            h0 = hx.unsqueeze(1) if unbatched else hx
            c0 = None

        h_n, c_n = [], []
        layer_input = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                k = layer * D + d
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, d)
                proj = layer_input @ w_ih.T  # 所有时间步的输入投影一次算完：(L, N, G)
                if b_ih is not None:
                    proj = proj + b_ih
                h, c = h0[k], (c0[k] if is_lstm else None)
                steps = range(L - 1, -1, -1) if d == 1 else range(L)
                ys = [None] * L
                for t in steps:
                    if self._kind == "RNN":
                        h = rnn_cell(proj[t], h, w_hh, b_hh, self.nonlinearity)
                    elif is_lstm:
                        h, c, _ = lstm_cell(proj[t], h, c, w_hh, b_hh)
                    else:
                        h, _ = gru_cell(proj[t], h, w_hh, b_hh)
                    ys[t] = h
                outs.append(torch.stack(ys))
                h_n.append(h)
                c_n.append(c)
            layer_input = torch.cat(outs, dim=-1) if D == 2 else outs[0]
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = _dropout(layer_input, self.dropout, True)
        output = layer_input
        h_n = torch.stack(h_n)
        if unbatched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        if is_lstm:
            c_n = torch.stack(c_n)
            return output, (h_n, c_n.squeeze(1) if unbatched else c_n)
        return output, h_n


class RNN(_RNNBase):
    """简单循环网络（Elman 网络），参数与 ``torch.nn.RNN`` 相同。"""

    _kind = "RNN"

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        nonlinearity="tanh",
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        device=None,
        dtype=None,
    ):
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype,
            nonlinearity=nonlinearity,
        )  # fmt: skip


class LSTM(_RNNBase):
    """长短时记忆网络，参数与 ``torch.nn.LSTM`` 相同（不支持 ``proj_size``）。

    ``forward`` 返回 ``output, (h_n, c_n)``。
    """

    _kind = "LSTM"

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        if not isinstance(proj_size, Integral) or isinstance(proj_size, bool) or proj_size != 0:
            raise ValueError(f"proj_size={proj_size!r} is not supported by lib.rnn.LSTM (only proj_size=0)")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype)


class GRU(_RNNBase):
    """门控循环单元网络，参数与 ``torch.nn.GRU`` 相同。"""

    _kind = "GRU"


@torch.no_grad()
def gate_trace(module, input):
    """单层、单向的 ``LSTM``/``GRU`` 在 ``input``（``(L, N, input_size)``，不论 batch_first）上每一步的门。

    返回字典：LSTM 为 ``i, f, g, o, c, h``，GRU 为 ``r, z, n, h``，每项形状 ``(L, N, hidden_size)``。
    """
    if not isinstance(module, (LSTM, GRU)):
        raise TypeError(f"module must be a lib.rnn.LSTM or lib.rnn.GRU, got {type(module).__name__}")
    if module.num_layers != 1 or module.bidirectional:
        raise ValueError("gate_trace needs a single-layer, unidirectional module")
    module._check_input(input)
    if input.dim() != 3:
        raise ValueError(f"input must be 3-D (L, N, input_size), got shape {tuple(input.shape)}")
    w_ih, w_hh, b_ih, b_hh = module._weights(0, 0)
    proj = input @ w_ih.T + (b_ih if b_ih is not None else 0)
    h = input.new_zeros(input.shape[1], module.hidden_size)
    c = torch.zeros_like(h)
    names = ("i", "f", "g", "o", "c", "h") if isinstance(module, LSTM) else ("r", "z", "n", "h")
    trace = {k: [] for k in names}
    for t in range(input.shape[0]):
        if isinstance(module, LSTM):
            h, c, gates = lstm_cell(proj[t], h, c, w_hh, b_hh)
            values = (*gates, c, h)
        else:
            h, gates = gru_cell(proj[t], h, w_hh, b_hh)
            values = (*gates, h)
        for k, v in zip(names, values):
            trace[k].append(v)
    return {k: torch.stack(v) for k, v in trace.items()}


# ---------------------------------------------------------------------------------------------
# 简单循环网络的 BPTT 与 RTRL（NumPy，一条序列）
# ---------------------------------------------------------------------------------------------
_ACT = {
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
    "identity": (lambda z: z, lambda z: np.ones_like(z)),
}
_PARAMS = ("U", "W", "b", "V", "c")


def srn_init(n_in, n_hidden, n_out, rng=None, scale=None):
    """随机参数 ``{U, W, b, V, c}``：``U`` 为 n×n，``W`` 为 n×n_in，``V`` 为 n_out×n；元素 ~ N(0, scale²)。"""
    from .utils import check_random_state

    for name, v in (("n_in", n_in), ("n_hidden", n_hidden), ("n_out", n_out)):
        check_scalar(v, name, Integral, min_val=1)
    rng = check_random_state(rng)
    s = 1.0 / math.sqrt(n_hidden) if scale is None else check_scalar(scale, "scale", Real, min_val=0)
    return {
        "U": rng.normal(0, s, (n_hidden, n_hidden)),
        "W": rng.normal(0, s, (n_hidden, n_in)),
        "b": np.zeros(n_hidden),
        "V": rng.normal(0, s, (n_out, n_hidden)),
        "c": np.zeros(n_out),
    }


def _check_srn(params, X, Y, h0, activation):
    if not isinstance(params, dict) or set(params) != set(_PARAMS):
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise ValueError(f"params must be a dict with keys {_PARAMS}, got {got}")
    p = {k: check_array(params[k], f"params['{k}']", ndim=1 if k in ("b", "c") else 2) for k in _PARAMS}
    n, d, m = p["U"].shape[0], p["W"].shape[1], p["V"].shape[0]
    shapes = {"U": (n, n), "W": (n, d), "b": (n,), "V": (m, n), "c": (m,)}
    for k, s in shapes.items():
        if p[k].shape != s:
            raise ValueError(f"params['{k}'] must have shape {s}, got {p[k].shape}")
    X = check_array(X, "X", ndim=2)
    if X.shape[1] != d:
        raise ValueError(f"X must have {d} columns (the input size of W), got {X.shape[1]}")
    if Y is not None:
        Y = check_array(Y, "Y", ndim=2)
        if Y.shape != (X.shape[0], m):
            raise ValueError(f"Y must have shape {(X.shape[0], m)} (one target per time step), got {Y.shape}")
    h0 = np.zeros(n) if h0 is None else check_array(h0, "h0", ndim=1)
    if h0.shape != (n,):
        raise ValueError(f"h0 must have shape {(n,)}, got {h0.shape}")
    if activation not in _ACT:
        raise ValueError(f"activation must be one of {sorted(_ACT)}, got {activation!r}")
    return p, X, Y, h0


def srn_forward(params, X, h0=None, activation="tanh"):
    """前向：返回净输入 ``Z``（T×n）与状态 ``H``（(T+1)×n，``H[0] = h0``）。"""
    p, X, _, h0 = _check_srn(params, X, None, h0, activation)
    f, _ = _ACT[activation]
    T, n = X.shape[0], h0.shape[0]
    Z, H = np.empty((T, n)), np.empty((T + 1, n))
    H[0] = h0
    for t in range(T):
        Z[t] = p["U"] @ H[t] + p["W"] @ X[t] + p["b"]
        H[t + 1] = f(Z[t])
    return Z, H


def bptt_gradients(params, X, Y, h0=None, activation="tanh", truncate=None):
    r"""沿时间反向传播：返回 ``(loss, grads)``，``grads`` 的键与 ``params`` 相同。

    误差项 :math:`\delta_k=\partial L/\partial z_k` 满足 :math:`\delta_k=f'(z_k)\odot(V^\top e_k+U^\top\delta_{k+1})`，
    :math:`e_k=\hat y_k-y_k`。``truncate=τ`` 时每个 :math:`L_t` 的误差只向前传 τ 步（截断 BPTT，k > t−τ）。
    """
    p, X, Y, h0 = _check_srn(params, X, Y, h0, activation)
    if truncate is not None:
        check_scalar(truncate, "truncate", Integral, min_val=1)
    _, fprime = _ACT[activation]
    Z, H = srn_forward(p, X, h0, activation)
    E = H[1:] @ p["V"].T + p["c"] - Y  # 每一步的输出误差 e_t
    loss = 0.5 * float((E**2).sum())
    T = X.shape[0]
    g = {k: np.zeros_like(v) for k, v in p.items()}
    g["V"], g["c"] = E.T @ H[1:], E.sum(0)
    D = fprime(Z)  # f'(z_k)
    if truncate is None:  # 把所有 L_t 的误差项合在一起传：O(T) 步
        delta = np.zeros_like(h0)
        for k in range(T - 1, -1, -1):
            delta = D[k] * (p["V"].T @ E[k] + p["U"].T @ delta)
            g["U"] += np.outer(delta, H[k])
            g["W"] += np.outer(delta, X[k])
            g["b"] += delta
    else:  # 每个 L_t 单独向前传 τ 步：O(Tτ) 步
        for t in range(T):
            delta = D[t] * (p["V"].T @ E[t])
            for k in range(t, max(t - truncate, -1), -1):
                if k < t:
                    delta = D[k] * (p["U"].T @ delta)
                g["U"] += np.outer(delta, H[k])
                g["W"] += np.outer(delta, X[k])
                g["b"] += delta
    return loss, g


def rtrl_gradients(params, X, Y, h0=None, activation="tanh"):
    r"""实时循环学习：前向地维护敏感度 :math:`P_t=\partial h_t/\partial\theta`，返回 ``(loss, grads)``。

    :math:`P^U_t[i,j,l]=\partial h_{t,i}/\partial U_{jl}` 的递推：
    :math:`P^U_t=\operatorname{diag}(f'(z_t))\bigl(E(h_{t-1})+U P^U_{t-1}\bigr)`，其中 :math:`E(h)[i,j,l]=[i=j]\,h_l`；
    每一步的梯度贡献是 :math:`P_t^\top\,\partial L_t/\partial h_t`。内存与序列长度无关，但 ``U`` 的敏感度有 n³ 个数。
    """
    p, X, Y, h0 = _check_srn(params, X, Y, h0, activation)
    f, fprime = _ACT[activation]
    n, d = p["W"].shape
    T = X.shape[0]
    PU, PW, Pb = np.zeros((n, n, n)), np.zeros((n, n, d)), np.zeros((n, n))
    eye = np.eye(n)
    g = {k: np.zeros_like(v) for k, v in p.items()}
    h, loss = h0, 0.0
    for t in range(T):
        z = p["U"] @ h + p["W"] @ X[t] + p["b"]
        fp = fprime(z)[:, None]
        # 直接项 E(h_{t-1})（只有 i = j 的切片非零）加上经由 h_{t-1} 的间接项 U·P_{t-1}
        PU = np.einsum("ik,kjl->ijl", p["U"], PU)
        PU[np.arange(n), np.arange(n), :] += h
        PU *= fp[:, :, None]
        PW = np.einsum("ik,kjl->ijl", p["U"], PW)
        PW[np.arange(n), np.arange(n), :] += X[t]
        PW *= fp[:, :, None]
        Pb = fp * (eye + p["U"] @ Pb)
        h = f(z)
        e = p["V"] @ h + p["c"] - Y[t]
        loss += 0.5 * float(e @ e)
        dh = p["V"].T @ e  # ∂L_t/∂h_t
        g["U"] += np.einsum("i,ijl->jl", dh, PU)
        g["W"] += np.einsum("i,ijl->jl", dh, PW)
        g["b"] += dh @ Pb
        g["V"] += np.outer(e, h)
        g["c"] += e
    return loss, g


# ---------------------------------------------------------------------------------------------
# 书中用到的小型合成任务与训练循环
# ---------------------------------------------------------------------------------------------
def first_token_task(n, length, n_symbols=4, rng=None):
    r"""“记住第一个符号”：长为 ``length`` 的序列，第一个位置是 ``n_symbols`` 个“信号”符号之一，其余位置是
    ``n_symbols`` 个干扰符号之一（共 2·n_symbols 个符号，one-hot）；目标是第一个符号。

    返回 ``X``（``(length, n, 2·n_symbols)``，float32）与 ``y``（``(n,)``，long）。
    """
    from .utils import check_random_state

    check_scalar(n, "n", Integral, min_val=1)
    check_scalar(length, "length", Integral, min_val=1)
    check_scalar(n_symbols, "n_symbols", Integral, min_val=2)
    rng = check_random_state(rng)
    y = rng.integers(0, n_symbols, n)
    tokens = n_symbols + rng.integers(0, n_symbols, (length, n))
    tokens[0] = y
    X = np.eye(2 * n_symbols, dtype=np.float32)[tokens]
    return torch.from_numpy(X), torch.from_numpy(y)


def anbn_strings(ns):
    """把 aⁿbⁿ 串连起来的下一个符号预测数据：符号 0 = a，1 = b，2 = 结束符（每个块之后）。

    返回 ``(tokens, predictable)``：``tokens`` 是整数数组；``predictable[t]`` 为真表示 ``tokens[t+1]`` 可以由
    ``tokens[:t+1]`` 确定（第一个 b 之后的每个位置：剩下的 b 的个数与结束符都已确定）。
    """
    if isinstance(ns, (str, bytes)) or not hasattr(ns, "__iter__"):
        raise TypeError(f"ns must be a sequence of block sizes n >= 1, got {type(ns).__name__}")
    tokens, predictable = [], []
    for n in ns:
        check_scalar(n, "n", Integral, min_val=1)
        block = [0] * n + [1] * n + [2]
        tokens += block
        # 读到第 k 个 a 时下一个是 a 还是 b 未定；读到第一个 b 之后一切都确定；读到结束符后下一个必是 a
        predictable += [False] * n + [True] * n + [True]
    return np.array(tokens), np.array(predictable)


def train_steps(model, loss_fn, steps, lr=1e-2, clip_norm=1.0):
    """用 Adam 训练 ``steps`` 步：每步调用 ``loss_fn(step)``（它自己取一个小批量并返回标量损失），按范数截断梯度。

    返回每步的损失（列表）。
    """
    from .nn.clip import clip_grad_norm_
    from .nn.optim import Adam

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable (step -> scalar loss), got {type(loss_fn).__name__}")
    check_scalar(steps, "steps", Integral, min_val=1)
    check_scalar(lr, "lr", Real, min_val=0, include_min=False)
    if clip_norm is not None:
        check_scalar(clip_norm, "clip_norm", Real, min_val=0, include_min=False)
    opt = Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    for step in range(steps):
        opt.zero_grad()
        loss = loss_fn(step)
        loss.backward()
        if clip_norm is not None:
            clip_grad_norm_(model.parameters(), clip_norm)
        opt.step()
        losses.append(float(loss.detach()))
    model.eval()
    return losses


# ---------------------------------------------------------------------------------------------
# 递归神经网络（树）与图上的消息传递
# ---------------------------------------------------------------------------------------------
def recursive_forward(tree, leaf, W, b=None, activation=torch.tanh):
    r"""在二叉树上自底向上组合：叶子的表示是 ``leaf(tree)``，内部结点 :math:`h=f(W[h_\text{左};h_\text{右}]+b)`。

    ``tree`` 是叶子（任意非 tuple 的对象）或二元组 ``(左子树, 右子树)``；``W`` 的形状为 ``(n, 2n)``。返回根结点的表示。
    """
    if not callable(leaf):
        raise TypeError(f"leaf must be callable (leaf object -> tensor), got {type(leaf).__name__}")
    if not isinstance(W, torch.Tensor) or W.dim() != 2 or W.shape[1] != 2 * W.shape[0]:
        raise ValueError(f"W must be a tensor of shape (n, 2n), got {getattr(W, 'shape', type(W).__name__)}")
    if b is not None and (not isinstance(b, torch.Tensor) or b.shape != (W.shape[0],)):
        raise ValueError(
            f"b must be None or a tensor of shape ({W.shape[0]},), got {getattr(b, 'shape', type(b).__name__)}"
        )
    if isinstance(tree, tuple):
        if len(tree) != 2:
            raise ValueError(f"an internal node must be a pair (left, right), got a tuple of length {len(tree)}")
        left = recursive_forward(tree[0], leaf, W, b, activation)
        right = recursive_forward(tree[1], leaf, W, b, activation)
        z = W @ torch.cat([left, right])
        return activation(z + b if b is not None else z)
    h = leaf(tree)
    if not isinstance(h, torch.Tensor) or h.shape != (W.shape[0],):
        raise ValueError(f"leaf({tree!r}) must be a tensor of shape ({W.shape[0]},), got {getattr(h, 'shape', h)}")
    return h


def message_passing(A, H, message, update, steps=1):
    r"""图上的消息传递，重复 ``steps`` 轮：

    :math:`\mathbf m_v=\sum_{u:\,A_{vu}\ne0}\mathrm{message}(\mathbf h_v,\mathbf h_u,A_{vu})`，
    :math:`\mathbf h_v\leftarrow\mathrm{update}(\mathbf h_v,\mathbf m_v)`。

    ``A`` 是 ``(n, n)`` 的邻接（或边权）矩阵，``H`` 是 ``(n, d)`` 的结点状态；``message`` 对所有边一次向量化地调用
    （参数形状 ``(E, d)``、``(E, d)``、``(E,)``），``update`` 对所有结点一次调用。
    返回每一轮之后的状态列表（含初始状态）。
    """
    if not isinstance(A, torch.Tensor) or not isinstance(H, torch.Tensor):
        raise TypeError(f"A and H must be torch tensors, got {type(A).__name__} and {type(H).__name__}")
    if A.dim() != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square (n, n) matrix, got shape {tuple(A.shape)}")
    if H.dim() != 2 or H.shape[0] != A.shape[0]:
        raise ValueError(f"H must have shape ({A.shape[0]}, d) (one row per node of A), got {tuple(H.shape)}")
    check_scalar(steps, "steps", Integral, min_val=0)
    for name, fn in (("message", message), ("update", update)):
        if not callable(fn):
            raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
    v, u = A.nonzero(as_tuple=True)  # 边 u → v
    states = [H]
    for _ in range(steps):
        msgs = message(H[v], H[u], A[v, u])
        m = torch.zeros(H.shape[0], msgs.shape[1], dtype=msgs.dtype, device=msgs.device).index_add_(0, v, msgs)
        H = update(H, m)
        states.append(H)
    return states
