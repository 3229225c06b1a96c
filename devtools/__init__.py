"""Development tools that stand in for services we cannot run here (a local Stripe)."""
