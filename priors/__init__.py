"""Random-weight priors as plug-and-play losses (NeurIPS 2023, "Training Your Image Restoration
Network Better with Random Weight Network as Optimization Function"). Depends on torch only.

    from priors import build_prior, RandomPriorLoss, PRIORS
"""
from .build import PRIORS, build_prior
from .loss import RandomPriorLoss

__all__ = ["PRIORS", "build_prior", "RandomPriorLoss"]
