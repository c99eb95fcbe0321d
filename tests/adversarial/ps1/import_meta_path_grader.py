# class: import-system
# what: a sys.meta_path finder hands the hidden tests' "fresh copy" of course.grading.ps1 a fake whose checks return None
# after: setup
# ruff: noqa
import importlib.abc
import importlib.machinery
import sys


class _FakeGrader(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name == "course.grading.ps1":
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__getattr__ = lambda attr: lambda *args, **kwargs: None


sys.meta_path.insert(0, _FakeGrader())
