"""What the entry points (``python -m bench.run``, ``python -m bench.aggregate``) share on the
command line: a parser that names the closest option for a mistyped one, and the one line for a
package this Python cannot import. Imports nothing heavy: the aggregator's entry point loads it
before torch, so that a Python without the suite's requirements gets a sentence, not a traceback."""
from __future__ import annotations

import argparse
import difflib
import sys

OWN_PACKAGES = {"bench", "baselines", "priors", "data", "examples"}
PIP_NAMES = {"yaml": "PyYAML", "skimage": "scikit-image", "PIL": "Pillow", "colour": "colour-science",
             "colour_demosaicing": "colour-demosaicing"}


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser, whose error for an unknown option adds "did you mean --table?"."""

    def error(self, message):
        super().error(message + self.suggestion(message))

    def suggestion(self, message: str) -> str:
        """"; did you mean --X?" for the first unknown option of an "unrecognized arguments"
        message that is close to a known one, else ""."""
        head = "unrecognized arguments: "
        if not message.startswith(head):
            return ""
        known = [o for o in self._option_string_actions if o.startswith("--")]
        for token in message[len(head):].split():
            if token.startswith("--"):
                close = difflib.get_close_matches(token.split("=", 1)[0], known, n=1, cutoff=0.6)
                if close:
                    return f"; did you mean {close[0]}?"
        return ""


def missing_package(err: ModuleNotFoundError, command: str) -> str | None:
    """The one-line error for a third-party module this Python lacks (None for the suite's own
    modules: a missing one of those is a bug, and keeps its traceback)."""
    top = (err.name or "").split(".")[0]
    if not top or top in OWN_PACKAGES:
        return None
    package = PIP_NAMES.get(top, top)
    return (f"error: {command} needs the package {package!r} (module {top}), which {sys.executable} cannot "
            f"import: install the suite's requirements into it ({sys.executable} -m pip install -r "
            "requirements.txt) or run it with the checkout's .venv/bin/python (README, Quick start)")
