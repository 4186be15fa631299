"""Random-weight priors as plug-and-play losses (NeurIPS 2023, "Training Your Image Restoration
Network Better with Random Weight Network as Optimization Function"), plus weight-free auxiliary
losses behind the same interface. Depends on torch only; see docs/priors.md. Installed (``pip install
<checkout>``) as ``random_weight_prior``; the suite, run from the checkout, imports it as ``priors``.

    from random_weight_prior import build_prior, RandomPriorLoss, PRIORS, build_auxiliary, calibrate
"""
from .auxiliary import LOSSES, CharbonnierLoss, EdgeLoss, FFTLoss, SSIMLoss
from .build import PRIORS, build_prior, validate
from .factory import auxiliary_names, build_auxiliary, printed_names
from .loss import RandomPriorLoss
from .term import AuxiliaryTerm, calibrate, measure_ratio

__all__ = ["PRIORS", "build_prior", "validate", "RandomPriorLoss", "LOSSES", "FFTLoss", "SSIMLoss", "EdgeLoss",
           "CharbonnierLoss", "AuxiliaryTerm", "build_auxiliary", "auxiliary_names", "printed_names",
           "calibrate", "measure_ratio"]
