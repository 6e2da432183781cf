"""Embedded, fully synthetic example data sets.

:func:`example_campaign` generates the example Double 12 presale campaign (200 SKUs, 8
suppliers, 31 days) from the documented :class:`ExampleParams`; see
:mod:`presale_supply.datasets.example` and ``docs/example_campaign.md``.
"""

from __future__ import annotations

from presale_supply.datasets.example import ExampleCampaign, ExampleParams, example_campaign

__all__ = ["ExampleCampaign", "ExampleParams", "example_campaign"]
