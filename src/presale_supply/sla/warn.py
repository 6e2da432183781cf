"""Exception warnings at least ``lead_hours`` before a promise is breached, and their back-test.

Rules (the earliest one that fires gives the warning time; none fires -> no warning):

1. *predicted*: at payment the prediction gives ``p_on_time < risk_threshold`` -> warn at the
   payment time (the earliest moment the risk is known).
2. *missed safe hand-over* (needs actual ``shipped_at``): the latest safe hand-over is
   ``s* = deadline - Q_lane(safe_probability)`` for a deliver-by promise and ``s* = deadline``
   for a ship-by promise (the deadline is itself the hand-over deadline; transit does not
   count); at ``t = min(s*, deadline - lead)`` an order not yet handed over is warned at ``t``.
3. *final check* (optional): an order whose promised event (delivery, or hand-over for a
   ship-by promise) has not happened at ``deadline - lead`` is warned then.

A warning is *timely* when ``warn_at <= deadline - lead_hours``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
import pandas as pd

from presale_supply.exceptions import InputError
from presale_supply.sla._time import HOUR_NS, NAT, to_datetime_index
from presale_supply.sla.audit import AuditResult, OrderStatus
from presale_supply.sla.promise import PromiseAnchor
from presale_supply.sla.simulate import Prediction

__all__ = ["WarnReason", "WarningPolicy", "Warnings", "backtest", "warn"]


class WarnReason(IntEnum):
    """Why an order was warned."""

    NONE = 0
    PREDICTED = 1
    MISSED_SAFE_HANDOVER = 2
    FINAL_CHECK = 3


@dataclass(frozen=True)
class WarningPolicy:
    """Parameters of the warning rules (see the module docstring).

    Raises
    ------
    InputError
        Negative lead time or probabilities outside (0, 1].
    """

    lead_hours: float = 3.0
    risk_threshold: float = 0.5
    safe_probability: float = 0.5
    final_check: bool = False

    def __post_init__(self) -> None:
        if not self.lead_hours >= 0:
            raise InputError("lead_hours must be >= 0.", value=self.lead_hours)
        for name in ("risk_threshold", "safe_probability"):
            v = getattr(self, name)
            if not 0.0 < v <= 1.0:
                raise InputError(f"{name} must be in (0, 1].", value=v)


@dataclass(frozen=True)
class Warnings:
    """Per-order warnings: ``warn_at`` (UTC ns, ``NAT`` = none), ``reason``, ``timely``."""

    prediction: Prediction
    policy: WarningPolicy
    warn_at: np.ndarray
    reason: np.ndarray
    timely: np.ndarray

    @property
    def warned(self) -> np.ndarray:
        """Mask of warned orders."""
        return self.warn_at != NAT

    def to_frame(self) -> pd.DataFrame:
        """Warned orders: id, row, deadline, warning time, lead hours, reason."""
        idx = np.flatnonzero(self.warned)
        tz = self.prediction.orders.tz
        names = np.array([r.name.lower() for r in WarnReason], dtype=object)
        dl = self.prediction.deadline[idx]
        return pd.DataFrame(
            {
                "order_id": self.prediction.orders.order_id[idx],
                "row": idx + 1,
                "deadline": to_datetime_index(dl, tz),
                "warn_at": to_datetime_index(self.warn_at[idx], tz),
                "lead_hours": (dl - self.warn_at[idx]) / HOUR_NS,
                "reason": names[self.reason[idx]],
                "timely": self.timely[idx],
            }
        )


def warn(prediction: Prediction, policy: WarningPolicy | None = None) -> Warnings:
    """Warning time per order (see the module docstring).

    Rule 2 uses the orders' actual ``shipped_at`` when the table has it; rule 3 their
    ``delivered_at`` (``shipped_at`` for a ship-by promise). Orders not eligible or without a
    deadline are never warned.
    """
    policy = policy or WarningPolicy()
    o = prediction.orders
    n = len(o)
    dl = prediction.deadline
    has_dl = dl != NAT
    lead = np.int64(round(policy.lead_hours * HOUR_NS))
    big = np.iinfo(np.int64).max
    best = np.full(n, big, dtype=np.int64)
    reason = np.zeros(n, dtype=np.int8)

    def offer(mask: np.ndarray, when: np.ndarray, why: WarnReason) -> None:
        better = mask & (when < best)
        best[better] = when[better]
        reason[better] = why

    p = prediction.p_on_time
    risky = has_dl & np.isfinite(p) & (p < policy.risk_threshold) & (o.paid_at != NAT)
    offer(risky, o.paid_at, WarnReason.PREDICTED)
    if "shipped_at" in o.present and prediction.network.lanes:
        transits = _lane_quantiles(prediction, policy.safe_probability)
        lane = prediction.lane_id
        ok = has_dl & (lane >= 0)
        s_star = np.full(n, NAT, dtype=np.int64)
        if prediction.rule.anchor is PromiseAnchor.SHIP_BY:
            s_star[ok] = dl[ok]
        else:
            s_star[ok] = dl[ok] - np.round(transits[lane[ok]] * HOUR_NS).astype(np.int64)
        t = np.minimum(s_star, dl - lead)
        t = np.maximum(t, o.paid_at)
        ship = o.shipped_at
        late_handover = ok & ((ship == NAT) | (ship > t))
        offer(late_handover, t, WarnReason.MISSED_SAFE_HANDOVER)
    ship_by = prediction.rule.anchor is PromiseAnchor.SHIP_BY
    event_col = "shipped_at" if ship_by else "delivered_at"
    if policy.final_check and event_col in o.present:
        t = dl - lead
        dlv = o.shipped_at if ship_by else o.delivered_at
        offer(has_dl & ((dlv == NAT) | (dlv > t)), np.maximum(t, o.paid_at), WarnReason.FINAL_CHECK)
    warn_at = np.where(best == big, NAT, best)
    timely = (warn_at != NAT) & (warn_at <= dl - lead)
    return Warnings(
        prediction=prediction, policy=policy, warn_at=warn_at, reason=reason, timely=timely
    )


def _lane_quantiles(prediction: Prediction, prob: float) -> np.ndarray:
    from presale_supply.sla.simulate import _lane_ids

    _, transits = _lane_ids(prediction.orders, prediction.network)
    return np.array([t.quantile(prob) for t in transits] or [0.0])


def backtest(warnings: Warnings, actual: AuditResult) -> dict[str, Any]:
    """Score warnings against actual outcomes (orders decided by the audit only).

    Returns
    -------
    dict
        ``decided``, ``late``, ``warned``, ``true_positives``, ``false_positives``,
        ``missed``, ``recall``, ``precision``, and over true positives the lead time in hours
        (``lead_hours_median``, ``lead_hours_min``) and the share warned at least
        ``lead_hours`` ahead (``timely_share``).

    Raises
    ------
    InputError
        If the audit and the warnings are about different numbers of orders.
    """
    if len(actual.status) != len(warnings.warn_at):
        raise InputError(
            "the audit and the warnings cover different orders.",
            value=(len(actual.status), len(warnings.warn_at)),
        )
    st = actual.status
    decided = (st == OrderStatus.ON_TIME) | (st == OrderStatus.LATE)
    late = st == OrderStatus.LATE
    warned = warnings.warned & decided
    tp = warned & late
    fp = warned & ~late
    missed = late & ~warnings.warned
    n_tp, n_fp = int(tp.sum()), int(fp.sum())
    lead = (warnings.prediction.deadline[tp] - warnings.warn_at[tp]) / HOUR_NS
    return {
        "decided": int(decided.sum()),
        "late": int(late.sum()),
        "warned": int(warned.sum()),
        "true_positives": n_tp,
        "false_positives": n_fp,
        "missed": int(missed.sum()),
        "recall": n_tp / int(late.sum()) if late.any() else None,
        "precision": n_tp / (n_tp + n_fp) if (n_tp + n_fp) else None,
        "lead_hours_median": float(np.median(lead)) if lead.size else None,
        "lead_hours_min": float(lead.min()) if lead.size else None,
        "timely_share": float(warnings.timely[tp].mean()) if n_tp else None,
    }
