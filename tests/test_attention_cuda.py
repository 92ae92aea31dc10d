"""lib.attention's torch.nn-compatible layers, lib.graph.GCNConv and the pointer network on a CUDA device."""

import pytest
import torch

from lib.attention import MultiheadAttention, PointerNetwork, TransformerEncoderLayer
from lib.graph import GCNConv

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]
CUDA = torch.device("cuda")


def test_encoder_layer_on_cuda_matches_torch_on_cuda_and_cpu():
    torch.manual_seed(0)
    ref = torch.nn.TransformerEncoderLayer(16, 4, 32, batch_first=True).double().eval()
    ours = TransformerEncoderLayer(16, 4, 32, batch_first=True).double().eval()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(3, 9, 16, dtype=torch.float64)
    pad = torch.zeros(3, 9, dtype=torch.bool)
    pad[1, -3:] = True
    causal = torch.ones(9, 9, dtype=torch.bool).triu(1)
    y_cpu = ours(x, src_mask=causal, src_key_padding_mask=pad)
    ours, ref = ours.to(CUDA), ref.to(CUDA)
    xc = x.to(CUDA).requires_grad_()  # requires_grad keeps torch off its inference fast path
    y = ours(xc, src_mask=causal.to(CUDA), src_key_padding_mask=pad.to(CUDA))
    y_ref = ref(xc, src_mask=causal.to(CUDA), src_key_padding_mask=pad.to(CUDA))
    assert y.device.type == "cuda"
    torch.testing.assert_close(y, y_ref, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(y.cpu(), y_cpu, rtol=1e-10, atol=1e-12)


def test_multihead_attention_weights_on_cuda():
    torch.manual_seed(1)
    ref = torch.nn.MultiheadAttention(8, 2).to(CUDA)
    ours = MultiheadAttention(8, 2).to(CUDA)
    ours.load_state_dict(ref.state_dict())
    q, k = torch.randn(5, 2, 8, device=CUDA), torch.randn(6, 2, 8, device=CUDA)
    y, w = ours(q, k, k)
    y_ref, w_ref = ref(q, k, k)
    torch.testing.assert_close(y, y_ref, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(w, w_ref, rtol=1e-4, atol=1e-5)


def test_gcn_and_pointer_network_run_on_cuda():
    torch.manual_seed(2)
    conv = GCNConv(3, 2).to(CUDA)
    assert conv(torch.randn(4, 3, device=CUDA), torch.eye(4, device=CUDA)).device.type == "cuda"
    net = PointerNetwork(1, 16, nhead=2).to(CUDA)
    ptr, A = net.decode(torch.rand(2, 5, 1, device=CUDA))
    assert ptr.device.type == "cuda" and all(sorted(p.tolist()) == list(range(5)) for p in ptr)
