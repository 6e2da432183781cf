"""Tests of presale_supply.sla."""
