"""Today's run keys, pinned (docs/design.md, "Run specs and keys").

A key names a results file: a code change that alters the key of an unchanged experiment orphans
its results (GPU-hours for the paper profile). If one of these tests fails, the change re-keys
results: either keep the old keys (a new behaviour is a new value; a released default is never
changed) or ship a migration in bench/experiment/legacy_records.py with the change, then update the pins here.
The values were computed from the code at commit cdc20d8.
"""
import hashlib

import pytest

from bench.experiment.matrix import build_spec, expand, profile_seeds
from bench.experiment.spec import RunSpec

MIGRATION_HINT = ("re-keys existing results: keep the old keys or add a migration to bench/experiment/legacy_records.py "
                  "(docs/design.md, 'Run specs and keys'), then update the pins in tests/test_keys.py")

# (profile, model, data set, row label) -> key of seed 0
PINNED = {
    # every baseline's paper profile
    ("paper", "DnCNN", "SIDD", "Original"): "6ce8a21151c5acfb",
    ("paper", "MPRNet", "SIDD", "Original"): "2118cde50ff7fdd1",
    ("paper", "SID", "LOL", "Original"): "4bebc7f72ea835a7",
    ("paper", "DRBN", "LOL", "Original"): "7e68c9d4302da736",
    ("paper", "INNformer", "WorldView-II", "Original"): "6420372663404543",
    ("paper", "SFINet", "GaoFen2", "Original"): "15d9135c12af64cb",
    # priors with their knobs and options
    ("paper", "DnCNN", "SIDD", "+CDC(3)+epochR+Depth"): "5e7e02ed3e5fde34",
    ("paper", "DRBN", "LOL", "+INN+epochR+Number(357)"): "70d3c13e854ff2f4",
    ("paper", "MPRNet", "SIDD", "+Taylor+epochR+Transformer"): "aa1bcca070442d53",
    ("paper", "SID", "LOL", "+CDC+epochR+xavier"): "0c034dd1a6c4fe7e",
    ("paper", "DnCNN", "SIDD", "+CDC+theta(1)"): "8dbdfb30d82b3db8",
    ("paper", "DnCNN", "SIDD", "+INN+additive"): "1d2e0f15afbe3d7d",
    # calibrated lambda, for a prior and a weight-free loss
    ("paper", "DnCNN", "SIDD", "+CDC+lambda(auto)"): "fe20edfcb1bcab45",
    ("paper", "DnCNN", "SIDD", "+SSIM+lambda(auto)"): "20f4e16f40c59c26",
    # the study profile (both records are committed under results/study/)
    ("study", "DnCNN", "SIDD", "+CDC+epochR"): "98496b5163321695",
    ("study", "DnCNN", "SIDD", "+Null"): "dfa9f4a3e4b4e026",
    # the smoke profile (its Taylor has a profile option, width 8)
    ("smoke", "DnCNN", "SIDD", "Original"): "dcb24b390a1465df",
    ("smoke", "DnCNN", "SIDD", "+Taylor"): "899d89aef3896cbc",
}

# (profile, tables) -> (number of unique keys, sha256 of the sorted keys joined by newlines),
# over the profile's own seeds (paper 1, study 4), as `./run_all.sh --dry-run` lists them.
PINNED_SETS = {
    # +Null added to Tables 2 and 3 (the noise floor of every block): new keys only, all 106 earlier kept
    ("paper", tuple(range(1, 12))): (112, "b9ca9636f9c8b66f34474c89e268b581d172d957081c157a9ee03a1c5908cd9c"),
    # study: INNformer re-keyed by its study window (12/6) and eval tiles (40); it had no committed study records
    # and +Null in Tables 2 and 3: 20 new keys, all 580 earlier kept
    ("study", None): (600, "57dc95f8de723c240da288adce9f465b5bfe86237e414e7cabda77074e931b57"),
}


@pytest.mark.parametrize("profile, model, dataset, label", list(PINNED))
def test_key_of_a_representative_spec(matrix, profile, model, dataset, label):
    spec = build_spec(matrix, model, dataset, label, profile, seed=0)
    expected = PINNED[profile, model, dataset, label]
    assert spec.key == expected, f"{profile} {model} {dataset} {label}: key {spec.key} != {expected}; {MIGRATION_HINT}"
    # the aggregator keys a record by its recorded spec: the round trip through JSON keeps the key
    recorded = RunSpec.from_dict(spec.to_dict())
    assert recorded.key == expected, f"{label}: the recorded spec keys as {recorded.key}; {MIGRATION_HINT}"


@pytest.mark.parametrize("profile, tables", list(PINNED_SETS))
def test_every_key_of_a_profile(matrix, profile, tables):
    seeds = range(profile_seeds(matrix, profile))
    keys = sorted({e.key for e in expand(matrix, tables=tables, profile=profile, seeds=seeds)})
    digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()
    count, expected = PINNED_SETS[profile, tables]
    assert (len(keys), digest) == (count, expected), \
        f"the {profile} profile's keys (tables {tables or 'all'}) changed; {MIGRATION_HINT}"


def test_keys_differ_per_seed_but_not_per_profile_name(matrix):
    """The seed is keyed; the profile's name is not (the same experiment under two names is one run)."""
    spec = build_spec(matrix, "DnCNN", "SIDD", "Original", "paper", seed=0)
    assert spec.with_seed(1).key != spec.key and spec.with_seed(1).config_key == spec.config_key
    renamed = RunSpec.from_dict({**spec.to_dict(), "profile": "elsewhere"})
    assert renamed.key == spec.key
