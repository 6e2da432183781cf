"""Solver comparison suite (see benchmarks/solvers/README in docs/benchmarks.md)."""
