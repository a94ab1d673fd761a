"""Runs and grids of the studies: the framework (``run``, ``grid``, ``overrides``, ``registry``,
``spec``) and one package per study (``memory/``, ``calculator/``) with its configs and profiles."""
