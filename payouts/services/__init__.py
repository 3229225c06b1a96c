"""Money services: business events posted to the ledger, freezes, payout runs."""

from .events import (
    SaleItem,
    dispute_lost_post,
    dispute_opened_post,
    dispute_won_post,
    hold_release,
    holdback_amount,
    holds_release_due,
    refund_post,
    sale_post,
    split_amount,
)
from .freezes import freeze_create, freeze_lift, is_frozen
from .holdback import holdback_forfeit, holdback_release
from .payout_runs import payout_run_create, payout_send, payout_send_enqueue
from .recovery import transfer_reversal_recover
from .team_credit import team_credit_pay_out

__all__ = [
    "SaleItem",
    "dispute_lost_post",
    "dispute_opened_post",
    "dispute_won_post",
    "freeze_create",
    "freeze_lift",
    "hold_release",
    "holdback_amount",
    "holdback_forfeit",
    "holdback_release",
    "holds_release_due",
    "is_frozen",
    "payout_run_create",
    "payout_send",
    "payout_send_enqueue",
    "refund_post",
    "sale_post",
    "split_amount",
    "team_credit_pay_out",
    "transfer_reversal_recover",
]
