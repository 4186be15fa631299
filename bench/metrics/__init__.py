"""Metrics: the image metrics in the published conventions and the one registry of them.

Owns `functions` (PSNR, SSIM in the BasicSR and MATLAB conventions, NIQE with its pristine model
`niqe_pris_params.npz` and that file's `NIQE_PARAMS_PROVENANCE.md`, SAM, ERGAS; numpy only) and
`table` (METRICS: names, directions, units; `score`, the one entry training uses).

May import: numpy, scipy, and itself. Nothing else of bench (training, execution and reporting
import it, never the reverse), and no torch.
"""
