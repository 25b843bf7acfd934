"""The public names of a subpackage, imported from their module when first used (PEP 562).

A subpackage's __init__ lists its public names by module and hands them to lazy_exports. Nothing
is imported until a name is asked for, so:

- importing one module of a subpackage does not import the others (`customer-segmentation
  assign` starts without the churn and value models' training code, the report without the
  clustering);
- modules of different subpackages may import each other's modules (settings imports the
  purchase model's variants, the prediction models import settings) without a cycle through
  the __init__ files.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_exports(
    package: str, homes: Mapping[str, Sequence[str]]
) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """__all__, __getattr__ and __dir__ of `package`, whose public names live in its modules.

    homes: module name (relative to the package) -> the public names it defines.
    """
    module_of = {name: module for module, names in homes.items() for name in names}
    public = sorted(module_of)

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    def __dir__() -> list[str]:
        return public

    return public, __getattr__, __dir__
