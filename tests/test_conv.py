"""lib.conv (chapter 15) against torch.nn.functional / torch.nn, scipy.signal, finite differences
(torch.autograd.gradcheck) and the worked numbers of the lecture notes (notes: seed-002-004 C06-C11, D16-D22,
D29-D33; seed-000-003 §1.3; seed-001 L6.3)."""

import itertools

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn.functional as F

import lib
from lib.conv import (
    LENET5_C3_TABLE,
    METHODS,
    VGG,
    AlexNet,
    AvgPool2d,
    BasicBlock,
    Conv2d,
    ConvTranspose2d,
    DepthwiseSeparableConv2d,
    GlobalAvgPool2d,
    InceptionBlock,
    InceptionNet,
    LeNet5,
    MaxPool2d,
    ResNet,
    SEBlock,
    avg_pool2d,
    avg_pool2d_backward,
    col2im,
    connection_table_params,
    conv1d,
    conv2d,
    conv2d_backward,
    conv2d_macs,
    conv2d_params,
    conv_output_size,
    conv_transpose2d,
    conv_transpose_output_size,
    count_parameters,
    digits_tensors,
    dilate,
    effective_kernel_size,
    empirical_receptive_field,
    fit_classifier,
    im2col,
    layer_table,
    max_pool2d,
    max_pool2d_backward,
    receptive_field,
    receptive_fields,
    rot180,
    separable_cost,
)

F64 = torch.float64

# (N, C_in, H, W, C_out, kernel, stride, padding, dilation, groups, bias): odd sizes, stride > 1, padding, dilation,
# groups (incl. depthwise), rectangular kernels, batch 1 and > 1
CONV_CASES = [
    (1, 1, 5, 5, 1, (3, 3), 1, 0, 1, 1, False),
    (2, 3, 7, 9, 4, (3, 3), 1, 1, 1, 1, True),
    (3, 4, 11, 8, 6, (3, 2), 2, 0, 1, 2, True),
    (2, 6, 13, 13, 6, (5, 5), (2, 3), (2, 1), 1, 6, False),
    (1, 2, 10, 12, 4, (3, 3), 1, 2, 2, 1, True),
    (2, 4, 9, 10, 8, (2, 3), (3, 2), (1, 2), (2, 1), 4, True),
    (1, 3, 6, 6, 2, (6, 6), 1, 0, 1, 1, True),  # kernel as large as the input
    (4, 2, 8, 7, 3, (1, 1), 2, 0, 1, 1, True),  # 1x1 convolution with stride
    (2, 2, 9, 9, 4, (3, 3), 1, "same", 2, 2, True),
    (1, 3, 7, 8, 3, (2, 4), 1, "same", 1, 1, False),  # even kernel: asymmetric 'same' padding
    (2, 3, 5, 6, 2, (3, 3), 1, "valid", 1, 1, True),
]


def _case(case, seed=0, dtype=F64):
    n, c_in, h, w, c_out, k, s, p, d, g, has_bias = case
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c_in, h, w, generator=gen, dtype=dtype)
    weight = torch.randn(c_out, c_in // g, *k, generator=gen, dtype=dtype)
    bias = torch.randn(c_out, generator=gen, dtype=dtype) if has_bias else None
    return x, weight, bias, {"stride": s, "padding": p, "dilation": d, "groups": g}


def _ids(cases):
    return [f"case{i}" for i in range(len(cases))]


# ---------------------------------------------------------------------------------------------
# conv2d: every method against torch.nn.functional.conv2d
# ---------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # torch's reference, case 9
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", CONV_CASES, ids=_ids(CONV_CASES))
def test_conv2d_matches_torch(method, case):
    x, w, b, kw = _case(case)
    torch.testing.assert_close(conv2d(x, w, b, method=method, **kw), F.conv2d(x, w, b, **kw), atol=1e-10, rtol=0)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", CONV_CASES[:6], ids=_ids(CONV_CASES[:6]))
def test_conv2d_gradients_match_torch_autograd(method, case):
    x, w, b, kw = _case(case, seed=1)
    for explicit in (False, True):
        leaves = [t.clone().requires_grad_() for t in (x, w) + ((b,) if b is not None else ())]
        ref_leaves = [t.clone().requires_grad_() for t in leaves]
        out = conv2d(*leaves[:2], leaves[2] if b is not None else None, method=method, explicit_backward=explicit, **kw)
        ref = F.conv2d(*ref_leaves[:2], ref_leaves[2] if b is not None else None, **kw)
        g = torch.randn_like(ref)
        for a, r in zip(torch.autograd.grad(out, leaves, g), torch.autograd.grad(ref, ref_leaves, g)):
            torch.testing.assert_close(a, r, atol=1e-10, rtol=0)


def test_conv2d_unbatched_input_and_numpy_round_trip():
    x, w, b, kw = _case(CONV_CASES[1])
    for method in METHODS:
        torch.testing.assert_close(conv2d(x[0], w, b, method=method, **kw), F.conv2d(x[0], w, b, **kw))
    out = conv2d(x[0, 0].numpy()[None], w[:, :1].numpy(), method="direct")
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, F.conv2d(x[0, :1], w[:, :1]).numpy(), atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_flip_gives_true_convolution_as_scipy(method):
    rng = np.random.default_rng(3)
    for shape_x, shape_k in [((7, 9), (3, 3)), ((6, 5), (2, 4)), ((8, 8), (5, 1))]:
        x, k = rng.normal(size=shape_x), rng.normal(size=shape_k)
        conv = conv2d(x[None, None], k[None, None], method=method, flip=True)[0, 0]
        np.testing.assert_allclose(conv, scipy.signal.convolve2d(x, k, mode="valid"), atol=1e-10)
        xcorr = conv2d(x[None, None], k[None, None], method=method)[0, 0]
        np.testing.assert_allclose(xcorr, scipy.signal.correlate2d(x, k, mode="valid"), atol=1e-10)
        np.testing.assert_allclose(conv, conv2d(x[None, None], rot180(k)[None, None], method=method)[0, 0], atol=1e-10)
        full = conv2d(x[None, None], k[None, None], padding=(k.shape[0] - 1, k.shape[1] - 1), method=method, flip=True)
        np.testing.assert_allclose(full[0, 0], scipy.signal.convolve2d(x, k, mode="full"), atol=1e-10)


@pytest.mark.parametrize("method", METHODS)
def test_conv1d_matches_torch(method):
    gen = torch.Generator().manual_seed(4)
    for n, c_in, length, c_out, k, s, p, d, g in [
        (2, 3, 17, 6, 4, 1, 0, 1, 1),
        (1, 4, 33, 4, 7, 2, 3, 2, 4),
        (3, 2, 20, 2, 5, 1, "same", 1, 2),
    ]:
        x = torch.randn(n, c_in, length, generator=gen, dtype=F64)
        w = torch.randn(c_out, c_in // g, k, generator=gen, dtype=F64)
        b = torch.randn(c_out, generator=gen, dtype=F64)
        ref = F.conv1d(x, w, b, s, p, d, g)
        torch.testing.assert_close(conv1d(x, w, b, s, p, d, g, method=method), ref, atol=1e-10, rtol=0)
        torch.testing.assert_close(conv1d(x[0], w, b, s, p, d, g, method=method), ref[0], atol=1e-10, rtol=0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
@pytest.mark.parametrize("method", METHODS)
def test_conv2d_low_precision_keeps_dtype(method, dtype):
    x, w, b, kw = _case(CONV_CASES[2], dtype=torch.float32)
    ref = F.conv2d(x.double(), w.double(), b.double(), **kw)
    out = conv2d(x.to(dtype), w.to(dtype), b.to(dtype), method=method, **kw)
    assert out.dtype == dtype
    tol = {torch.float32: 1e-5, torch.bfloat16: 3e-2, torch.float16: 3e-3}[dtype]
    torch.testing.assert_close(out.double(), ref, atol=tol * ref.abs().max().item(), rtol=0)


def test_conv2d_is_translation_equivariant():
    gen = torch.Generator().manual_seed(5)
    x = torch.zeros(1, 2, 16, 16, dtype=F64)
    x[..., 2:8, 3:9] = torch.randn(2, 6, 6, generator=gen, dtype=F64)
    w = torch.randn(3, 2, 3, 3, generator=gen, dtype=F64)
    for method in METHODS:
        y = conv2d(x, w, method=method)
        y_shift = conv2d(torch.roll(x, shifts=(4, 5), dims=(2, 3)), w, method=method)
        torch.testing.assert_close(y_shift[..., 4:, 5:], y[..., :-4, :-5], atol=1e-12, rtol=0)


# ---------------------------------------------------------------------------------------------
# The worked examples of the notes
# ---------------------------------------------------------------------------------------------
def test_lecture_example_feature_map_7_minus4_0_0():
    # seed-001 L6.3: input [[-1,1,1],[1,-2,1],[1,-1,1]] correlated with [[-1,1],[1,-2]]
    x = np.array([[-1, 1, 1], [1, -2, 1], [1, -1, 1]], dtype=float)
    k = np.array([[-1, 1], [1, -2]], dtype=float)
    for method in METHODS:
        np.testing.assert_allclose(
            conv2d(x[None, None], k[None, None], method=method)[0, 0], [[7, -4], [0, 0]], atol=1e-12
        )
    np.testing.assert_allclose(scipy.signal.correlate2d(x, k, mode="valid"), [[7, -4], [0, 0]])


def test_handwritten_example_convolution_is_minus1_correlation_is_0():
    # seed-004 D29: f = [[0,2,0],[2,1,0],[1,0,0]], g = [[0,0,-1],[0,0,0],[0,0,1]]
    f = np.array([[0, 2, 0], [2, 1, 0], [1, 0, 0]], dtype=float)
    g = np.array([[0, 0, -1], [0, 0, 0], [0, 0, 1]], dtype=float)
    for method in METHODS:
        assert conv2d(f[None, None], g[None, None], method=method, flip=True).item() == pytest.approx(-1, abs=1e-12)
        assert conv2d(f[None, None], g[None, None], method=method).item() == pytest.approx(0, abs=1e-12)
    assert scipy.signal.convolve2d(f, g, mode="valid").item() == -1


def test_pooling_example_of_the_notes():
    # seed-004 D21: 4x4 map, 2x2 windows, stride 2
    x = np.array([[-1, 4, 1, 2], [0, 1, 3, -2], [1, 5, -2, 6], [3, -1, -2, -2]], dtype=float)[None, None]
    np.testing.assert_array_equal(max_pool2d(x, 2)[0, 0], [[4, 3], [5, 6]])
    np.testing.assert_array_equal(avg_pool2d(x, 2)[0, 0], [[1, 1], [2, 0]])
    t = torch.tensor(x)
    np.testing.assert_array_equal(F.max_pool2d(t, 2)[0, 0].numpy(), [[4, 3], [5, 6]])


def test_output_sizes_of_the_notes():
    assert conv_output_size(7, 3) == 5 and conv_output_size(7, 3, stride=2) == 3  # D19
    assert conv_output_size(7, 3, stride=2, padding=1) == 4  # D29, with the floor
    assert [conv_output_size(7, 3, padding=p) for p in (0, 2, 1)] == [5, 9, 7]  # narrow, wide, same (C07)
    assert conv_output_size((6, 7), 3) == (4, 5)  # D18: a 6x7x3 input, 3x3 filter
    sizes = [32]
    for k in (5, 2, 5, 2):  # LeNet: 5x5 conv, 2x2 subsampling, twice (D16)
        sizes.append(conv_output_size(sizes[-1], k, stride=1 if k == 5 else 2))
    assert sizes == [32, 28, 14, 10, 5]
    assert effective_kernel_size(3, 2) == 5


def test_dilated_kernel_example():
    # seed-004 D29: [[0,1],[1,0]] dilated by D = 2
    np.testing.assert_array_equal(dilate(np.array([[0.0, 1.0], [1.0, 0.0]]), 2), [[0, 0, 1], [0, 0, 0], [1, 0, 0]])


@pytest.mark.parametrize(
    "n, k, s, p, d", list(itertools.product([7, 8, 15], [1, 2, 3, 5], [1, 2, 3], [0, 1, 2], [1, 2]))
)
def test_conv_output_size_matches_torch(n, k, s, p, d):
    if d * (k - 1) + 1 > n + 2 * p:
        with pytest.raises(ValueError, match="does not fit"):
            conv_output_size(n, k, s, p, d)
        return
    out = torch.nn.Conv2d(1, 1, k, s, p, d)(torch.zeros(1, 1, n, n)).shape[-1]
    assert conv_output_size(n, k, s, p, d) == out
    if 2 * p <= k:
        ceil = F.max_pool2d(torch.zeros(1, 1, n, n), k, s, p, d, ceil_mode=True).shape[-1]
        assert conv_output_size(n, k, s, p, d, ceil_mode=True) == ceil


def test_conv_transpose_output_size_matches_torch():
    for n, k, s, p, op, d in [(5, 3, 2, 1, 1, 1), (4, 4, 3, 0, 2, 1), (7, 2, 1, 0, 0, 3), (3, 5, 2, 2, 1, 2)]:
        out = F.conv_transpose2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), None, s, p, op, 1, d).shape[-1]
        assert conv_transpose_output_size(n, k, s, p, op, d) == out


def test_receptive_fields_of_the_notes_and_by_gradient():
    assert receptive_field([(3, 1)] * 3) == 7  # three 3x3 layers (D20, D29)
    assert [r for r, _ in receptive_fields([(3, 1, 1), (3, 1, 2), (3, 1, 4)])] == [3, 7, 15]  # dilations 1, 2, 4
    assert receptive_fields([(3, 2), (3, 2), {"kernel_size": 3, "stride": 1, "dilation": 2}]) == [
        (3, 2),
        (7, 4),
        (23, 4),
    ]
    torch.manual_seed(0)
    for spec in [
        [(3, 1, 1)] * 3,
        [(3, 1, 1), (3, 1, 2), (3, 1, 4)],
        [(5, 2, 1), (3, 1, 1), (3, 2, 2)],
        [(2, 2, 1), (3, 1, 3)],
    ]:
        layers = [Conv2d(1, 1, k, s, dilation=d, bias=False).double() for k, s, d in spec]
        for layer in layers:
            layer.weight.data.uniform_(0.5, 1.0)  # positive weights: no cancellation inside the receptive field
        assert empirical_receptive_field(torch.nn.Sequential(*layers), 64) == receptive_field(spec)


def test_parameter_and_mac_counts_of_the_notes():
    assert 32 * 32 * 3 * 1000 + 1000 == 3_073_000  # fully connected, C06
    assert conv2d_params(3, 6, 5) == 456 and conv2d_params(3, 4, 3) == 112  # C06, C09
    assert conv2d_params(3, 1, 3) == 28  # D18: 27 weights + 1 bias per filter
    assert (200 * 200 * 3) ** 2 == 14_400_000_000 and conv2d_params(3, 200, 5, bias=False) == 15_000  # L6.3
    assert conv2d_params(3, 200, 5) == 15_200
    assert conv2d_params(64, 32, 1, bias=False) == 2048 and conv2d_macs(64, 32, 1, 56) == 6_422_528  # D32
    assert conv2d_params(8, 16, 3, groups=4, bias=False) == 8 * 16 * 9 // 4  # group conv (D29)
    c = 10
    assert 2 * conv2d_params(c, c, 3, bias=False) == 18 * c * c and conv2d_params(c, c, 5, bias=False) == 25 * c * c
    assert 3 * conv2d_params(c, c, 3, bias=False) == 27 * c * c and conv2d_params(c, c, 7, bias=False) == 49 * c * c
    cost = separable_cost(3, 32, 256, 14)
    assert cost["ratio"] == pytest.approx(1 / 256 + 1 / 9) and round(cost["ratio"], 5) == 0.11502
    assert connection_table_params(LENET5_C3_TABLE, 5) == 1516
    assert LENET5_C3_TABLE.shape == (6, 16) and LENET5_C3_TABLE.sum() == 60
    assert list(LENET5_C3_TABLE.sum(axis=0)) == [3] * 6 + [4] * 9 + [6]


def test_classic_architectures_parameter_counts():
    with torch.device("meta"):
        counts = {
            "lenet5": count_parameters(LeNet5()),
            "alexnet": count_parameters(AlexNet()),
            "vgg16": count_parameters(VGG("vgg16")),
            "vgg19": count_parameters(VGG("vgg19")),
        }

        # an independent construction with torch.nn layers
        def torch_vgg(cfg):
            layers, c = [], 3
            for v in cfg:
                if v != "M":
                    layers.append(torch.nn.Conv2d(c, v, 3, padding=1))
                    c = v
            layers += [torch.nn.Linear(512 * 7 * 7, 4096), torch.nn.Linear(4096, 4096), torch.nn.Linear(4096, 1000)]
            return sum(p.numel() for layer in layers for p in layer.parameters())

        assert counts["vgg16"] == torch_vgg(lib.conv.VGG_CONFIGS["vgg16"])
    assert counts == {"lenet5": 61_706, "alexnet": 61_100_840, "vgg16": 138_357_544, "vgg19": 143_667_240}
    rows = layer_table(LeNet5(), (1, 1, 32, 32))
    assert [r["output_shape"] for r in rows if r["layer"] in ("Conv2d", "AvgPool2d")] == [
        (6, 28, 28),
        (6, 14, 14),
        (16, 10, 10),
        (16, 5, 5),
    ]
    assert sum(r["params"] for r in rows) == 61_706
    assert rows[0]["macs"] == 28 * 28 * 6 * 25


def test_blocks_shapes_and_extra_parameters():
    x = torch.randn(2, 8, 6, 6)
    se = SEBlock(8, reduction=4)
    assert count_parameters(se) == 2 * 8 * 8 // 4 + 8 // 4 + 8
    for p in se.parameters():
        torch.nn.init.zeros_(p)
    torch.testing.assert_close(se(x), 0.5 * x)  # W1 = W2 = 0 scales every channel by sigmoid(0)
    inc = InceptionBlock(8, 4, 4, 6, 2, 3, 5)
    assert inc(x).shape == (2, 4 + 6 + 3 + 5, 6, 6)
    assert BasicBlock(8, 16, stride=2)(x).shape == (2, 16, 3, 3)
    assert ResNet((8, 16), (1, 1), se_reduction=4)(torch.randn(3, 1, 8, 8)).shape == (3, 10)
    assert InceptionNet()(torch.randn(3, 1, 8, 8)).shape == (3, 10)
    assert InceptionNet(batch_norm=True)(torch.randn(3, 1, 8, 8)).shape == (3, 10)
    assert InceptionBlock(8, 4, 4, 6, 2, 3, 5, batch_norm=True)(x).shape == (2, 18, 6, 6)
    assert GlobalAvgPool2d()(x).shape == (2, 8)
    dsc = DepthwiseSeparableConv2d(8, 16, 3, padding=1, bias=False)
    assert count_parameters(dsc) == 3 * 3 * 8 + 8 * 16
    w = torch.zeros(16, 8, 3, 3)  # the same map as a standard convolution: W[o, c] = P[o, c] * D[c]
    w[:] = dsc.pointwise.weight[:, :, :1, :1] * dsc.depthwise.weight[:, 0][None]
    torch.testing.assert_close(dsc(x), F.conv2d(x, w, padding=1), atol=1e-5, rtol=1e-5)


# ---------------------------------------------------------------------------------------------
# im2col / col2im, conv_transpose2d, pooling
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("k, d, p, s", [(3, 1, 0, 1), ((2, 3), (2, 1), (1, 2), (2, 3)), (1, 1, 0, 2), (4, 2, 3, 1)])
def test_im2col_and_col2im_match_unfold_and_fold(k, d, p, s):
    x = torch.randn(2, 3, 9, 10, dtype=F64)
    cols = im2col(x, k, d, p, s)
    torch.testing.assert_close(cols, F.unfold(x, k, d, p, s))
    y = torch.randn_like(cols)
    torch.testing.assert_close(col2im(y, (9, 10), k, d, p, s), F.fold(y, (9, 10), k, d, p, s))
    # col2im is the adjoint of im2col: <im2col(x), y> = <x, col2im(y)>
    assert torch.dot(cols.flatten(), y.flatten()).item() == pytest.approx(
        torch.dot(x.flatten(), col2im(y, (9, 10), k, d, p, s).flatten()).item(), rel=1e-12
    )


TRANSPOSE_CASES = [
    (2, 4, 5, 6, 6, (3, 2), 1, 0, 0, 1, 2, True),
    (1, 3, 4, 4, 2, (3, 3), 2, 1, 1, 1, 1, False),
    (2, 2, 5, 3, 4, (2, 3), (2, 3), (1, 2), (1, 0), (2, 2), 2, True),
    (1, 2, 3, 3, 2, (2, 2), 2, 0, 2, 3, 1, True),  # output_padding beyond the full result
    (3, 6, 4, 5, 6, (4, 4), 3, 2, 2, 1, 6, False),
]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=_ids(TRANSPOSE_CASES))
def test_conv_transpose2d_matches_torch_and_is_the_adjoint(method, case):
    n, c_in, h, w, c_out, k, s, p, op, d, g, has_bias = case
    gen = torch.Generator().manual_seed(7)
    x = torch.randn(n, c_in, h, w, generator=gen, dtype=F64, requires_grad=True)
    weight = torch.randn(c_in, c_out // g, *k, generator=gen, dtype=F64, requires_grad=True)
    bias = torch.randn(c_out, generator=gen, dtype=F64) if has_bias else None
    out = conv_transpose2d(x, weight, bias, s, p, op, g, d, method=method)
    ref = F.conv_transpose2d(x, weight, bias, s, p, op, g, d)
    torch.testing.assert_close(out, ref, atol=1e-10, rtol=0)
    gy = torch.randn_like(ref)
    for a, r in zip(torch.autograd.grad(out, (x, weight), gy), torch.autograd.grad(ref, (x, weight), gy)):
        torch.testing.assert_close(a, r, atol=1e-10, rtol=0)
    # adjoint of conv2d: <conv2d(z, W), x> = <z, conv_transpose2d(x, W)> (conv2d's output cropped to x's size:
    # an output_padding >= stride lets conv2d fit windows that conv_transpose2d never produced)
    z = torch.randn(n, c_out, *ref.shape[-2:], dtype=F64)
    lhs = torch.sum(conv2d(z, weight.detach(), None, s, p, d, g)[..., :h, :w] * x.detach())
    rhs = torch.sum(z * conv_transpose2d(x.detach(), weight.detach(), None, s, p, op, g, d, method=method))
    assert lhs.item() == pytest.approx(rhs.item(), rel=1e-10)


POOL_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), ceil_mode=True),
    dict(kernel_size=3, stride=1),
    dict(kernel_size=(2, 4), stride=3, padding=(1, 2)),
]


@pytest.mark.parametrize("kw", POOL_CASES, ids=_ids(POOL_CASES))
def test_max_pool2d_matches_torch_incl_indices_and_gradient(kw):
    for dilation in (1, 2):
        x = torch.randn(2, 3, 9, 11, dtype=F64, requires_grad=True)
        try:
            ref, ref_idx = F.max_pool2d(x, dilation=dilation, return_indices=True, **kw)
        except RuntimeError:
            continue  # a configuration torch rejects
        out, idx = max_pool2d(x, dilation=dilation, return_indices=True, **kw)
        torch.testing.assert_close(out, ref)
        assert torch.equal(idx, ref_idx)
        g = torch.randn_like(ref)
        (ga,) = torch.autograd.grad(out, x, g)
        (gr,) = torch.autograd.grad(ref, x, g)
        torch.testing.assert_close(ga, gr)
        explicit = max_pool2d_backward(
            g, x, kw["kernel_size"], kw.get("stride"), kw.get("padding", 0), dilation, kw.get("ceil_mode", False)
        )
        torch.testing.assert_close(explicit, gr)


def test_max_pool_ties_route_the_gradient_to_the_first_maximum_as_torch():
    x = torch.zeros(1, 1, 4, 4, dtype=F64, requires_grad=True)
    (g,) = torch.autograd.grad(max_pool2d(x, 2).sum(), x)
    (r,) = torch.autograd.grad(F.max_pool2d(x, 2).sum(), x)
    torch.testing.assert_close(g, r)
    assert g.sum().item() == 4


@pytest.mark.parametrize(
    "kw", POOL_CASES[:4] + [dict(kernel_size=3, stride=2, padding=1, divisor_override=5)], ids=_ids(POOL_CASES[:5])
)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_torch_and_explicit_backward(kw, count_include_pad):
    x = torch.randn(2, 3, 9, 11, dtype=F64, requires_grad=True)
    ref = F.avg_pool2d(x, count_include_pad=count_include_pad, **kw)
    out = avg_pool2d(x, count_include_pad=count_include_pad, **kw)
    torch.testing.assert_close(out, ref)
    g = torch.randn_like(ref)
    (gr,) = torch.autograd.grad(ref, x, g)
    torch.testing.assert_close(torch.autograd.grad(out, x, g)[0], gr)
    explicit = avg_pool2d_backward(
        g,
        x,
        kw["kernel_size"],
        kw.get("stride"),
        kw.get("padding", 0),
        kw.get("ceil_mode", False),
        count_include_pad,
        kw.get("divisor_override"),
    )
    torch.testing.assert_close(explicit, gr)


# ---------------------------------------------------------------------------------------------
# The explicit backward of section 15.4
# ---------------------------------------------------------------------------------------------
GRADCHECK_CASES = [
    ((1, 2, 5, 6), (4, 1, 3, 3), dict(stride=2, padding=1, groups=2)),
    ((2, 1, 6, 5), (2, 1, 2, 3), dict(dilation=2, padding=(1, 0))),
    ((1, 3, 7, 7), (3, 3, 3, 3), dict(stride=3, dilation=(1, 2))),
    ((1, 2, 5, 5), (2, 2, 2, 2), dict(padding="same")),
]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shapes", GRADCHECK_CASES, ids=_ids(GRADCHECK_CASES))
def test_explicit_backward_passes_gradcheck(method, shapes):
    xs, ws, kw = shapes
    gen = torch.Generator().manual_seed(11)
    x = torch.randn(*xs, generator=gen, dtype=F64, requires_grad=True)
    w = torch.randn(*ws, generator=gen, dtype=F64, requires_grad=True)
    b = torch.randn(ws[0], generator=gen, dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda a, k, c: conv2d(a, k, c, method=method, explicit_backward=True, **kw), (x, w, b)
    )


def test_conv2d_backward_formulas_against_autograd_and_conv_transpose():
    gen = torch.Generator().manual_seed(12)
    x = torch.randn(2, 4, 9, 8, generator=gen, dtype=F64, requires_grad=True)
    w = torch.randn(6, 2, 3, 3, generator=gen, dtype=F64, requires_grad=True)
    kw = dict(stride=2, padding=1, dilation=1, groups=2)
    y = F.conv2d(x, w, None, **kw)
    delta = torch.randn_like(y)
    gx, gw = torch.autograd.grad(y, (x, w), delta)
    for method in METHODS:
        gi, gk, gb = conv2d_backward(x.detach(), w.detach(), delta, **kw, method=method)
        torch.testing.assert_close(gi, gx)
        torch.testing.assert_close(gk, gw)
        torch.testing.assert_close(gb, delta.sum(dim=(0, 2, 3)))
    # the input gradient is the transposed convolution; output_padding restores the column lost to the floor in
    # the output size ((8 + 2 - 3) / 2 is not an integer)
    torch.testing.assert_close(conv_transpose2d(delta, w.detach(), None, 2, 1, (0, 1), 2), gx)
    # stride 1, no padding, one channel: dX = rot180(W) wide-correlated with delta = full convolution of delta and W
    x1, w1 = torch.randn(1, 1, 6, 6, dtype=F64), torch.randn(1, 1, 3, 3, dtype=F64)
    d1 = torch.randn(1, 1, 4, 4, dtype=F64)
    gi, gk, _ = conv2d_backward(x1, w1, d1)
    full = scipy.signal.convolve2d(d1[0, 0].numpy(), w1[0, 0].numpy(), mode="full")
    np.testing.assert_allclose(gi[0, 0].numpy(), full, atol=1e-12)
    np.testing.assert_allclose(
        gk[0, 0].numpy(), scipy.signal.correlate2d(x1[0, 0].numpy(), d1[0, 0].numpy(), "valid"), atol=1e-12
    )


def test_wide_convolution_commutes_only_with_rot180():
    rng = np.random.default_rng(13)
    a, b = rng.normal(size=(3, 3)), rng.normal(size=(5, 4))

    def wide_xcorr(kernel, x):  # kernel slides over x padded by kernel-1: the "wide" correlation
        return conv2d(x[None, None], kernel[None, None], padding=(kernel.shape[0] - 1, kernel.shape[1] - 1))[0, 0]

    np.testing.assert_allclose(wide_xcorr(rot180(a), b), wide_xcorr(rot180(b), a), atol=1e-12)  # true convolution
    assert not np.allclose(wide_xcorr(a, b), wide_xcorr(b, a))
    np.testing.assert_allclose(wide_xcorr(a, b), rot180(wide_xcorr(b, a)), atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Layers: same parameters and outputs as torch.nn
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "circular", "replicate"])
def test_conv2d_layer_matches_torch_nn(padding_mode):
    kw = dict(kernel_size=3, stride=2, padding=1, dilation=1, groups=2, bias=True, padding_mode=padding_mode)
    torch.manual_seed(0)
    ours = Conv2d(4, 6, **kw)
    torch.manual_seed(0)
    ref = torch.nn.Conv2d(4, 6, **kw)
    torch.testing.assert_close(ours.weight, ref.weight, atol=0, rtol=0)
    torch.testing.assert_close(ours.bias, ref.bias, atol=0, rtol=0)
    x = torch.randn(2, 4, 9, 10)
    for method in METHODS:
        ours.method = method
        torch.testing.assert_close(ours(x), ref(x), atol=1e-5, rtol=1e-5)
    ours.load_state_dict(ref.state_dict())  # the two layers are interchangeable
    assert "method='fft'" in repr(ours)


def test_conv_transpose_and_pool_layers_match_torch_nn():
    torch.manual_seed(1)
    ours = ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
    torch.manual_seed(1)
    ref = torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
    x = torch.randn(2, 4, 5, 5)
    torch.testing.assert_close(ours(x), ref(x), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(MaxPool2d(3, 2, 1)(x), torch.nn.MaxPool2d(3, 2, 1)(x))
    torch.testing.assert_close(AvgPool2d(2, ceil_mode=True)(x), torch.nn.AvgPool2d(2, ceil_mode=True)(x))
    assert layer_table(torch.nn.Sequential(ours), (1, 4, 5, 5))[0]["macs"] == 5 * 5 * ours.weight.numel()


def test_explicit_backward_layer_trains_exactly_like_autograd():
    X, y, _, _ = digits_tensors(8)
    X, y = X[:64], y[:64]
    losses = []
    for explicit in (False, True):
        torch.manual_seed(0)
        net = torch.nn.Sequential(
            Conv2d(1, 4, 3, padding=1, explicit_backward=explicit),
            torch.nn.ReLU(),
            MaxPool2d(2),
            torch.nn.Flatten(),
            torch.nn.Linear(64, 10),
        ).double()
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(5):
            loss = F.cross_entropy(net(X), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-10)


def test_digits_tensors_and_fit_classifier():
    Xtr, ytr, Xte, yte = digits_tensors(8)
    assert Xtr.shape[1:] == (1, 8, 8) and len(Xtr) + len(Xte) == 1797 and 0 <= Xtr.min() and Xtr.max() <= 1
    X32 = digits_tensors(32)[0]
    assert X32.shape[1:] == (1, 32, 32)
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(128, 10)
    ).double()
    hist = fit_classifier(model, Xtr, ytr, Xte, yte, epochs=2, lr=1e-2)
    assert len(hist.test_accuracy) == 2 and hist.test_accuracy[-1] > 0.85
    assert hist.train_loss[1] < hist.train_loss[0]


# ---------------------------------------------------------------------------------------------
# Errors name the argument, what was expected and what was received
# ---------------------------------------------------------------------------------------------
def test_conv_errors():
    x, w = torch.randn(1, 3, 5, 5), torch.randn(4, 3, 3, 3)
    with pytest.raises(ValueError, match="input has 3 channels but weight expects"):
        conv2d(x, torch.randn(4, 2, 3, 3))
    with pytest.raises(ValueError, match="groups=2 must divide the number of input channels, got 3"):
        conv2d(x, torch.randn(4, 1, 3, 3), groups=2)
    with pytest.raises(ValueError, match="groups=4 must divide the number of output channels"):
        conv2d(torch.randn(1, 4, 5, 5), torch.randn(6, 1, 3, 3), groups=4)
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv2d(x, torch.randn(4, 3, 7, 7), padding=0)
    with pytest.raises(ValueError, match=r"larger than the padded input \(5x5\)"):
        conv2d(x, w, dilation=3)
    with pytest.raises(ValueError, match="input must be a 4-D"):
        conv2d(torch.randn(5, 5), w)
    with pytest.raises(ValueError, match="weight must be a 4-D"):
        conv2d(x, torch.randn(4, 3, 3))
    with pytest.raises(ValueError, match="method must be one of"):
        conv2d(x, w, method="winograd")
    with pytest.raises(ValueError, match="stride must be >= 1"):
        conv2d(x, w, stride=0)
    with pytest.raises(TypeError, match="padding must be an int or a pair"):
        conv2d(x, w, padding=1.5)
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        conv2d(x, w, padding="same", stride=2)
    with pytest.raises(ValueError, match="bias must be a 1-D tensor of length out_channels = 4"):
        conv2d(x, w, torch.randn(3))
    with pytest.raises(TypeError, match="same dtype"):
        conv2d(x, w.double())
    with pytest.raises(TypeError, match="floating-point"):
        conv2d(x.long(), w)
    with pytest.raises(ValueError, match="weight.shape\\[0\\] \\(in_channels\\) is 4"):
        conv_transpose2d(x, torch.randn(4, 2, 3, 3))
    with pytest.raises(ValueError, match="output_padding must be smaller than either stride or dilation"):
        conv_transpose2d(x, torch.randn(3, 2, 3, 3), stride=2, output_padding=2)
    with pytest.raises(ValueError, match="padding must be at most half of kernel_size"):
        max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="pooling window"):
        avg_pool2d(x, 7)
    with pytest.raises(ValueError, match="grad_output must have the output's shape"):
        conv2d_backward(x, w, torch.randn(1, 4, 2, 2))
    with pytest.raises(ValueError, match="input must be a 3-D"):
        conv1d(torch.randn(2, 3, 4, 5), torch.randn(1, 3, 2))
    with pytest.raises(ValueError, match="groups=2 must divide both"):
        Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="LeNet5 expects 32x32"):
        LeNet5()(torch.randn(1, 1, 28, 28))
    with pytest.raises(ValueError, match="layers must be a non-empty sequence"):
        receptive_fields([])
    with pytest.raises(TypeError, match=r"layers\[1\] must be"):
        receptive_fields([(3, 1), "conv"])
    with pytest.raises(ValueError, match="table must contain only 0/1"):
        connection_table_params(np.full((2, 2), 2), 3)
    with pytest.raises(ValueError, match="groups=3 must divide"):
        conv2d_params(4, 6, 3, groups=3)
    with pytest.raises(ValueError, match="reduction=3 must divide channels=8"):
        SEBlock(8, 3)


# ---------------------------------------------------------------------------------------------
# The benchmark helpers (section 15.5) and the committed CPU results
# ---------------------------------------------------------------------------------------------
def test_time_conv_and_results_table(tmp_path):
    for method in lib.conv.BENCH_METHODS:
        r = lib.conv.time_conv(method, (1, 2, 12, 12), (2, 1, 5, 5), padding=2, groups=2, backward=True, repeat=2)
        assert r["median_s"] > 0 and len(r["times_s"]) == 2 and r["peak_mem_bytes"] is None
    with pytest.raises(ValueError, match="method must be one of"):
        lib.conv.time_conv("winograd", (1, 1, 4, 4), (1, 1, 3, 3))
    data = lib.conv.load_results("cpu")  # the file committed with the book
    assert data["environment"]["device"] == "cpu"
    suites = {r["suite"] for r in data["results"]}
    assert suites == {"resnet", "large_kernel", "long_1d"}
    for r in data["results"]:
        assert r["method"] in lib.conv.BENCH_METHODS
        assert r.get("skipped") or (r["forward_s"] > 0 and r["forward_backward_s"] > 0)
    rows = lib.conv.results_rows(data, suite="large_kernel")
    assert [row["k"] for row in rows] == [7, 15, 31, 63]
    assert all(row["torch_forward_ms"] > 0 and row["fft_forward_ratio"] > 0 for row in rows)
    with pytest.raises(FileNotFoundError, match="run `python benchmarks/conv.py`"):
        lib.conv.load_results(path=tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"results": []}', encoding="utf-8")
    with pytest.raises(ValueError, match="missing key 'environment'"):
        lib.conv.load_results(path=bad)
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda'"):
        lib.conv.results_path("tpu")


# ---------------------------------------------------------------------------------------------
# The FFT path: channels contracted in the frequency domain, kernel spectra cached for frozen weights
# ---------------------------------------------------------------------------------------------
def test_fft_kernel_spectrum_is_cached_for_frozen_weights_and_invalidated_by_in_place_updates():
    from lib.conv.functional import _SPECTRUM_CACHE

    gen = torch.Generator().manual_seed(21)
    x = torch.randn(2, 4, 9, 9, generator=gen, dtype=F64)
    w = torch.randn(6, 4, 3, 3, generator=gen, dtype=F64)
    y1 = conv2d(x, w, padding=1, method="fft")
    assert id(w) in _SPECTRUM_CACHE
    spec = _SPECTRUM_CACHE[id(w)][2]
    y2 = conv2d(x, w, padding=1, method="fft")
    assert _SPECTRUM_CACHE[id(w)][2] is spec and torch.equal(y1, y2)
    with torch.no_grad():
        w.mul_(2.0)  # an in-place update bumps the version counter: the cached spectrum must not be used
    torch.testing.assert_close(conv2d(x, w, padding=1, method="fft"), F.conv2d(x, w, padding=1), atol=1e-12, rtol=0)
    assert _SPECTRUM_CACHE[id(w)][2] is not spec
    with lib.conv.spectrum_cache(False):
        w2 = torch.randn(6, 4, 3, 3, generator=gen, dtype=F64)
        conv2d(x, w2, padding=1, method="fft")
        assert id(w2) not in _SPECTRUM_CACHE
    w3 = w.clone().requires_grad_()  # weights that need a gradient are transformed on every call
    conv2d(x, w3, padding=1, method="fft").sum().backward()
    assert id(w3) not in _SPECTRUM_CACHE and w3.grad is not None
    with pytest.raises(TypeError, match="enabled"):
        lib.conv.spectrum_cache("no")


def test_fft_path_matches_torch_for_large_depthwise_and_long_1d_kernels():
    gen = torch.Generator().manual_seed(22)
    x = torch.randn(1, 3, 20, 20, generator=gen, dtype=F64)
    w = torch.randn(3, 1, 15, 15, generator=gen, dtype=F64)
    torch.testing.assert_close(
        conv2d(x, w, padding=7, groups=3, method="fft"), F.conv2d(x, w, padding=7, groups=3), atol=1e-10, rtol=0
    )
    u = torch.randn(2, 4, 128, generator=gen, dtype=F64)
    k = torch.randn(4, 1, 127, generator=gen, dtype=F64)
    torch.testing.assert_close(
        conv1d(u, k, padding=63, groups=4, method="fft"), F.conv1d(u, k, padding=63, groups=4), atol=1e-10, rtol=0
    )
