"""The payouts API: earnings, payouts, reconciliation and team credit for staff."""
