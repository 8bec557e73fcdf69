"""Register robodojo's Gymnasium ids as soon as gymnasium is imported.

Gymnasium >= 1.0 dropped plugin loading through the ``gymnasium.envs`` entry
point, yet users expect ``gymnasium.make("robodojo/FallRecovery-v0")`` to work
without importing robodojo first. The installed ``robodojo-gymnasium.pth``
imports :mod:`robodojo.envs` at interpreter start; that import must stay cheap,
so instead of importing gymnasium (~100 ms) it leaves a one-shot import hook
that runs the registration right after ``gymnasium.envs`` has executed.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import importlib.machinery
    from collections.abc import Callable, Sequence
    from types import ModuleType

TRIGGER_MODULE = "gymnasium.envs"


class _RunAfterImport:
    """Meta-path finder (duck-typed: importing importlib.abc costs more than this module) that wraps one module's loader to call ``callback`` after it executes."""

    def __init__(self, module_name: str, callback: Callable[[], None]) -> None:
        self.module_name = module_name
        self.callback = callback

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.module_name:
            return None
        sys.meta_path.remove(self)  # one shot, and no recursion in the lookup below
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module
        callback = self.callback

        def exec_then_callback(module: ModuleType) -> None:
            execute(module)
            try:
                callback()
            except Exception as error:  # never break `import gymnasium` for the user
                import warnings

                warnings.warn(f"robodojo could not register its Gymnasium ids: {error!r}", stacklevel=2)

        spec.loader.exec_module = exec_then_callback  # type: ignore[method-assign]
        return spec


def run_when_gymnasium_loads(callback: Callable[[], None]) -> None:
    """Call ``callback`` now if gymnasium is loaded, else right after it loads."""
    if TRIGGER_MODULE in sys.modules:
        callback()
    elif not any(isinstance(finder, _RunAfterImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _RunAfterImport(TRIGGER_MODULE, callback))
