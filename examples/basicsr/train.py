"""BasicSR's training entry point with the random-weight prior losses registered.

    pip install basicsr        # BasicSR itself (not a dependency of this suite)
    pip install <this checkout>  # the loss, as random_weight_prior
    python examples/basicsr/train.py -opt examples/basicsr/train_RIDNet_SIDD_CDCprior.yml

A BasicSR-based project does the same in its own train.py: import
``random_weight_prior.basicsr_loss`` (which registers ``PixelPriorLoss`` and ``RandomPriorLoss`` in
BasicSR's ``LOSS_REGISTRY``) before ``train_pipeline`` reads the options file.
"""
import os.path as osp

import random_weight_prior.basicsr_loss  # noqa: F401  (registers the losses in BasicSR's LOSS_REGISTRY)
from basicsr.train import train_pipeline

if __name__ == "__main__":
    train_pipeline(osp.abspath(osp.join(__file__, osp.pardir)))
