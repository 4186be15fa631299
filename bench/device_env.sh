# Sourced by bench/device_check.sh and bench/device_study.sh. The device machine has torch,
# scikit-image, pandas, pyyaml, tabulate, tqdm and h5py but not the stand-ins' pure-Python
# dependencies (colour-science, colour-demosaicing: the SIDD camera pipeline), and no network.
# Bring their wheels along: here, once,
#   .venv/bin/pip download --no-deps -d .cache/wheels $(grep -E '^colour' requirements.txt)
# then pass carry [".cache/wheels"] to the device call; this unpacks them onto PYTHONPATH.
if ! python3 -c "import colour_demosaicing" 2>/dev/null; then
  if ls .cache/wheels/*.whl >/dev/null 2>&1; then
    site=$(mktemp -d)
    for wheel in .cache/wheels/*.whl; do python3 -m zipfile -e "$wheel" "$site"; done
    export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
  else
    echo "error: colour_demosaicing is missing and .cache/wheels has no wheels (see bench/device_env.sh)" >&2
    exit 1
  fi
fi
