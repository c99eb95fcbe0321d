# class: import-system
# what: importlib.import_module is replaced; every course.grading.* module it returns is a fake
# after: setup
# ruff: noqa
import importlib
import types

_real_import_module = importlib.import_module


def _import_module(name, package=None):
    if name.startswith("course.grading"):
        fake = types.ModuleType(name)
        fake.__getattr__ = lambda attr: lambda *args, **kwargs: None
        return fake
    return _real_import_module(name, package)


importlib.import_module = _import_module
