"""Build hook: ship ``robodojo-gymnasium.pth`` at the top of site-packages.

Gymnasium >= 1.0 no longer reads the ``gymnasium.envs`` entry point, so the
.pth file imports the (light) ``robodojo.envs`` package at interpreter start,
which registers robodojo's ids the moment gymnasium itself is imported.
Everything else about the package lives in pyproject.toml.
"""

import os

from setuptools import setup
from setuptools.command.build_py import build_py

PTH_FILE = "robodojo-gymnasium.pth"


class BuildPyWithPth(build_py):
    def run(self) -> None:
        super().run()
        target = self.build_lib
        if getattr(self, "editable_mode", False):
            # An editable wheel ships the files of its install root, not build_lib.
            target = self.get_finalized_command("install").install_lib
        self.copy_file(os.path.join("envs", PTH_FILE), os.path.join(target, PTH_FILE))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), os.path.join(self.build_lib, PTH_FILE)]


setup(cmdclass={"build_py": BuildPyWithPth})
