"""Tests of the staged replenishment planner (solve, formulation, checker, backends)."""
