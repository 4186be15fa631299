"""A small transformer body for the ``arch="transformer"`` priors (paper Tables 4-5).

Channel self-attention (attention over the C x C channel covariance, cost linear in H*W, so
any spatial size works) followed by a gated depth-wise feed-forward, both pre-norm residual.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class ChannelLayerNorm(nn.Module):
    """LayerNorm over the channels of each pixel of an NCHW tensor."""

    def __init__(self, channels: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(1, keepdim=True)
        var = (x - mean).pow(2).mean(1, keepdim=True)
        x = (x - mean) * torch.rsqrt(var + self.eps)
        return x * self.weight[:, None, None] + self.bias[:, None, None]


class ChannelSelfAttention(nn.Module):
    """Multi-head self-attention across channels: softmax(q k^T * t) v per head (q, k L2-normalised)."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.qkv = nn.Conv2d(dim, dim * 3, 1, bias=False)
        self.qkv_local = nn.Conv2d(dim * 3, dim * 3, 3, padding=1, groups=dim * 3, bias=False)
        self.proj = nn.Conv2d(dim, dim, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        q, k, v = self.qkv_local(self.qkv(x)).chunk(3, dim=1)
        q, k, v = (t.reshape(n, self.heads, c // self.heads, h * w) for t in (q, k, v))
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        attn = torch.softmax(q @ k.transpose(-2, -1) * self.temperature, dim=-1)
        return self.proj((attn @ v).reshape(n, c, h, w))


class GatedFeedForward(nn.Module):
    """1x1 expand -> 3x3 depth-wise -> GELU gate -> 1x1 project."""

    def __init__(self, dim: int, expansion: int = 2):
        super().__init__()
        hidden = dim * expansion
        self.expand = nn.Conv2d(dim, hidden * 2, 1, bias=False)
        self.local = nn.Conv2d(hidden * 2, hidden * 2, 3, padding=1, groups=hidden * 2, bias=False)
        self.project = nn.Conv2d(hidden, dim, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, value = self.local(self.expand(x)).chunk(2, dim=1)
        return self.project(F.gelu(gate) * value)


class TransformerBlock(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        heads = max(1, dim // 16)
        while dim % heads:
            heads -= 1
        self.norm_attn = ChannelLayerNorm(dim)
        self.attn = ChannelSelfAttention(dim, heads)
        self.norm_ffn = ChannelLayerNorm(dim)
        self.ffn = GatedFeedForward(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm_attn(x))
        return x + self.ffn(self.norm_ffn(x))


class TransformerBody(nn.Sequential):
    """3x3 embed (in -> width), ``blocks`` transformer blocks, 3x3 project (width -> out)."""

    def __init__(self, in_channels: int, out_channels: int, width: int, blocks: int):
        super().__init__(nn.Conv2d(in_channels, width, 3, padding=1),
                         *[TransformerBlock(width) for _ in range(blocks)],
                         nn.Conv2d(width, out_channels, 3, padding=1))
