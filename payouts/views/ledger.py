"""The staff ledger page."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render

from accounts.permissions import staff_required
from common.money import format_major
from payouts.forms import FreezeForm
from payouts.selectors.earnings import transaction_label
from payouts.selectors.freezes import freezes_for_staff
from payouts.selectors.ledger import journal_transactions, transaction_kinds, trial_balances
from payouts.selectors.payout_runs import recent_payout_runs
from payouts.selectors.team_credit import team_credits_outstanding

TRANSACTIONS_PER_PAGE = 20


def staff_ledger_context(request, freeze_form=None, credit_form=None) -> dict:
    creator_email = (request.GET.get("creator") or "").strip()
    kind = (request.GET.get("kind") or "").strip()
    page = Paginator(
        journal_transactions(creator_email=creator_email, kind=kind), TRANSACTIONS_PER_PAGE
    ).get_page(request.GET.get("page"))
    active, lifted = freezes_for_staff()
    kinds = transaction_kinds()
    return {
        "page": page,
        "transactions": page.object_list,
        "creator_email": creator_email,
        "kind": kind,
        "kinds": [(k, transaction_label(k)) for k in kinds],
        "trial_balances": trial_balances(),
        "freezes": active,
        "lifted_freezes": lifted,
        "freeze_form": freeze_form or FreezeForm(),
        "team_credits": [
            {
                **row,
                "amount_major": format_major(row["amount"], row["currency"]),
                # The row whose payment came back with an error: shows it, and what was typed.
                "posted": credit_form is not None
                and (str(row["organization_id"]), row["currency"])
                == (credit_form.data.get("organization_id"), credit_form.data.get("currency")),
            }
            for row in team_credits_outstanding()
        ],
        "credit_form": credit_form,
        "runs": recent_payout_runs(),
        "payout_minimum": settings.PAYOUT_MINIMUM,
    }


@staff_required
def staff_ledger(request):
    return render(request, "payouts/staff_ledger.html", staff_ledger_context(request))
