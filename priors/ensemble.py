"""Parallel prior branches (paper Tables 10-11, "+Number(357)" / "+Number(555)").

One output tensor per branch, so the loss has one term per branch. Branches of a staged
prior (CDC layers, INN blocks) run batched: at each stage, the branches whose stage has the
same shapes are evaluated together: CDC layers as one grouped convolution, other stages
(INN blocks) through one ``torch.func.vmap`` call over their stacked weights.
Each branch has its own independent random weights and its own C-channel output.

Batching pays off where small kernels are launch-bound (GPUs). On a CPU it was measured slower
(4x3x64x64, one thread: CDC (5,5,5) 215-227 ms batched vs 131-140 ms looped; INN 56-58 vs
32-34 ms), so ``batched=None`` (auto) batches on CUDA only; set True/False to force either.
"""
from __future__ import annotations

import torch
import torch.nn as nn
from torch.func import functional_call, vmap

from .base import PriorBase


def stage_signature(module: nn.Module) -> tuple:
    """Modules with equal signatures compute the same function of (weights, input)."""
    return (type(module), repr(module),
            tuple((n, tuple(p.shape)) for n, p in module.named_parameters()),
            tuple((n, tuple(b.shape)) for n, b in module.named_buffers()))


def run_stacked(modules: list[nn.Module], inputs: list[torch.Tensor]) -> list[torch.Tensor]:
    """modules[i](inputs[i]) for all i in one vmapped call (modules share a signature)."""
    if len(modules) == 1:
        return [modules[0](inputs[0])]
    if hasattr(modules[0], "run_grouped"):          # a hand-written grouped kernel (CrossCDC)
        return modules[0].run_grouped(modules, inputs)
    names = [n for n, _ in modules[0].named_parameters()] + [n for n, _ in modules[0].named_buffers()]
    states = [dict(list(m.named_parameters()) + list(m.named_buffers())) for m in modules]
    stacked = {n: torch.stack([s[n] for s in states]) for n in names}
    template = modules[0]
    outputs = vmap(lambda state, x: functional_call(template, state, (x,)))(stacked, torch.stack(inputs))
    return list(outputs.unbind(0))


class PriorEnsemble(PriorBase):
    """``forward(x)`` -> [branch_1(x)[0], branch_2(x)[0], ...] (every output of every branch)."""

    def __init__(self, branches: list[PriorBase]):
        super().__init__()
        if not branches:
            raise ValueError("number must name at least one branch depth")
        self.branches = nn.ModuleList(branches)
        self.in_channels = branches[0].in_channels
        self.staged = all(hasattr(b, "stages") for b in branches) and len({type(b) for b in branches}) == 1
        self.plan = self._plan() if self.staged else []
        self.batched: bool | None = None     # None: batch on CUDA only (see module docstring)

    def _plan(self) -> list[list[list[int]]]:
        """For each stage step, the groups of branch indices that can be stacked."""
        plan = []
        for step in range(max(len(b.stages) for b in self.branches)):
            groups: dict[tuple, list[int]] = {}
            for i, branch in enumerate(self.branches):
                if step < len(branch.stages):
                    groups.setdefault(stage_signature(branch.stages[step]), []).append(i)
            plan.append(list(groups.values()))
        return plan

    def check_size(self, height: int, width: int) -> None:
        self.branches[0].check_size(height, width)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        self.check_input(x)
        batched = x.is_cuda if self.batched is None else self.batched
        if not (self.staged and batched):
            return [out for branch in self.branches for out in branch(x)]
        entry = self.branches[0].enter(x)               # parameter-free, identical for all branches
        features = [entry] * len(self.branches)
        for step, groups in enumerate(self.plan):
            for members in groups:
                outs = run_stacked([self.branches[i].stages[step] for i in members], [features[i] for i in members])
                for i, out in zip(members, outs):
                    features[i] = out
        return [out for branch, z in zip(self.branches, features) for out in branch.leave(z)]
